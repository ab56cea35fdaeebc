"""Station management through the test client: admins only (pages and POSTs), CSRF, messages, staff at once."""
import re

import pytest
from sqlmodel import select

from models import Role, RoleName, Station
from tests.conftest import Auth, csrf_from


class Person:
    """A member as the tests need them: plain values, so that reading them never touches the database.

    (The in-memory test database has one shared connection: a lazy load by the test's session after a
    rollback would leave a transaction open under the app's next request.)
    """

    def __init__(self, member):
        self.id, self.phone, self.name = member.id, member.phone, member.name


@pytest.fixture
def world(factory):
    branch = factory.branch(name="莲花北社区党支部")
    station = factory.station(name="莲花北社区党群服务中心")
    people = {
        "admin": factory.member(branch, name="管理员", roles=["admin"]),
        "secretary": factory.secretary(branch, name="李书记"),
        "member": factory.member(branch, name="王志愿", phone="13912345678"),
        "staff": factory.member(branch, name="陈站长", phone="13987654321", roles=[("station_staff", station)]),
    }
    return {"sid": station.id, **{key: Person(m) for key, m in people.items()}}


def _station(session, sid) -> tuple:
    """The station's (mode, radius, open), read and the read ended."""
    session.expire_all()
    st = session.get(Station, sid)
    values = (st.checkin_mode, st.geofence_radius_m, st.is_active)
    session.rollback()
    return values


def _manage(world) -> str:
    return f"/stations/{world['sid']}/manage"


def _post(client, path, data, page):
    """POST a form with the CSRF token of the page it sits on."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _settings(mode="geofence", radius="200", active=True) -> dict:
    data = {"checkin_mode": mode, "geofence_radius_m": radius}
    if active:
        data["is_active"] = "y"
    return data


def _staff_ids(session, station_id) -> set[int]:
    """The member ids of the station's staff, read and the read ended."""
    ids = set(session.exec(select(Role.member_id).where(Role.role == RoleName.station_staff,
                                                        Role.station_id == station_id)).all())
    session.rollback()
    return ids


def test_pages_need_sign_in(client, world):
    """Is the management page behind sign-in?"""
    response = client.get(_manage(world))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_the_page_linked_from_the_station(client, auth, world):
    """Does an admin find the page from the station page, with the modes explained, the staff and the kiosk links?"""
    auth.login(world["admin"].phone)
    station_page = client.get(f"/stations/{world['sid']}").get_data(as_text=True)
    assert f'href="{_manage(world)}"' in station_page and "管理站点" in station_page
    page = client.get(_manage(world)).get_data(as_text=True)
    assert "签到方式" in page and "扫码 + 定位" in page and "站点签到屏上的动态码" in page
    assert "陈站长" in page and "139****4321" in page and "13987654321" not in page and "莲花北社区党支部" in page
    assert f"/checkin/stations/{world['sid']}/kiosk" in page
    assert f"/checkin/stations/{world['sid']}/poster" in page
    assert 'value="100"' in page and re.search(r'<input checked id="checkin_mode-0"[^>]*value="kiosk"', page)


def test_closed_station_is_found_again_from_station_administration(client, auth, session, world):
    """Once closed, is a station listed on the admin's station page (reached from 我的) with a link to reopen it?"""
    auth.login(world["admin"].phone)
    assert 'href="/stations/import"' in client.get("/me/").get_data(as_text=True)
    assert "没有停用的站点" in client.get("/stations/import").get_data(as_text=True)
    response = _post(client, _manage(world), _settings(mode="kiosk", active=False), _manage(world))
    assert response.status_code in (302, 303) and _station(session, world["sid"])[2] is False
    page = client.get("/stations/import").get_data(as_text=True)
    assert "已停用的站点" in page and f'href="{_manage(world)}"' in page and "莲花北社区党群服务中心" in page
    response = _post(client, _manage(world), _settings(mode="kiosk", active=True), _manage(world))
    assert _station(session, world["sid"])[2] is True
    assert "没有停用的站点" in client.get("/stations/import").get_data(as_text=True)


@pytest.mark.parametrize("who", ["secretary", "member", "staff"])
def test_others_get_403_on_every_route_incl_posts(client, auth, session, world, who):
    """Are a secretary, a member and the station's own staff refused every page and every POST, with nothing changed?"""
    auth.login(world[who].phone)
    sid = world["sid"]
    assert "管理站点" not in client.get(f"/stations/{sid}").get_data(as_text=True)
    assert client.get(_manage(world)).status_code == 403
    posts = [(_manage(world), _settings(mode="off", active=False)),
             (f"/stations/{sid}/staff", {"phone": world["member"].phone}),
             (f"/stations/{sid}/staff/{world['staff'].id}/remove", {})]
    for path, data in posts:
        assert _post(client, path, data, page="/").status_code == 403
    assert _station(session, sid) == ("kiosk", 100, True)
    assert _staff_ids(session, sid) == {world["staff"].id}


def test_unknown_station_is_404_for_admin(client, auth, world):
    """Is a station id that does not exist a 404, for the page and the POSTs?"""
    auth.login(world["admin"].phone)
    assert client.get("/stations/9999/manage").status_code == 404
    assert _post(client, "/stations/9999/manage", _settings(), page=_manage(world)).status_code == 404
    assert _post(client, "/stations/9999/staff", {"phone": world["member"].phone},
                 page=_manage(world)).status_code == 404


def test_csrf_is_enforced(client, auth, session, world):
    """Is every POST without a valid CSRF token refused with nothing changed?"""
    auth.login(world["admin"].phone)
    sid = world["sid"]
    for path, data in [(_manage(world), _settings()), (f"/stations/{sid}/staff", {"phone": world["member"].phone}),
                       (f"/stations/{sid}/staff/{world['staff'].id}/remove", {})]:
        for token in (None, "forged"):
            body = dict(data, **({"csrf_token": token} if token else {}))
            response = client.post(path, data=body)
            assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert _station(session, sid) == ("kiosk", 100, True)
    assert _staff_ids(session, sid) == {world["staff"].id}


def test_admin_saves_settings(client, auth, session, world):
    """Does an admin switch the mode to geofence with a new radius, and close the station?"""
    auth.login(world["admin"].phone)
    response = _post(client, _manage(world), _settings(mode="geofence", radius="250", active=False),
                     page=_manage(world))
    assert response.status_code == 303 and response.headers["Location"].endswith(_manage(world) + "#settings")
    page = client.get(_manage(world)).get_data(as_text=True)
    assert "签到设置已保存" in page and "已停用" in page
    assert _station(session, world["sid"]) == ("geofence", 250, False)
    assert client.get(f"/stations/{world['sid']}").status_code == 404  # members no longer see it
    assert client.get(_manage(world)).status_code == 200  # the admin still can, to open it again


@pytest.mark.parametrize("radius, message", [("5", "请输入 30 到 1000 米之间的半径"),
                                             ("5000", "请输入 30 到 1000 米之间的半径"),
                                             ("abc", "不是有效的整数"), ("", "请输入半径")])
def test_bad_radius_keeps_what_was_typed(client, auth, session, world, radius, message):
    """Is a radius out of bounds or not a number refused with a Chinese message, the typed value kept, nothing saved?"""
    auth.login(world["admin"].phone)
    response = _post(client, _manage(world), _settings(mode="geofence", radius=radius), page=_manage(world))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert f'value="{radius}"' in html or (radius == "" and 'name="geofence_radius_m"' in html)
    assert re.search(r'<input checked id="checkin_mode-1"[^>]*value="geofence"', html)
    assert _station(session, world["sid"]) == ("kiosk", 100, True)


def test_bad_mode_is_refused(client, auth, world):
    """Is a mode outside the three refused with a Chinese message?"""
    auth.login(world["admin"].phone)
    response = _post(client, _manage(world), _settings(mode="teleport"), page=_manage(world))
    assert response.status_code == 400 and "请选择党员在本站点的签到方式" in response.get_data(as_text=True)


def test_admin_adds_staff_by_phone(client, auth, session, world):
    """Does an admin add a member by a phone number typed with spaces, and see them listed masked?"""
    auth.login(world["admin"].phone)
    sid = world["sid"]
    response = _post(client, f"/stations/{sid}/staff", {"phone": "139 1234 5678"}, page=_manage(world))
    assert response.status_code == 303 and response.headers["Location"].endswith("#staff")
    page = client.get(_manage(world)).get_data(as_text=True)
    assert "王志愿已成为本站点工作人员" in page and "139****5678" in page
    assert _staff_ids(session, sid) == {world["staff"].id, world["member"].id}


@pytest.mark.parametrize("phone, message, status", [
    ("12345", "请输入 11 位大陆手机号", 400),
    ("", "请输入手机号", 400),
    ("13700000000", "没有手机号为 13700000000 的党员", 400),
    ("13987654321", "陈站长已经是本站点的工作人员", 409),
])
def test_add_staff_messages_keep_the_number(client, auth, session, world, phone, message, status):
    """Are a bad number, an unknown number and a duplicate refused with a clear message, the number kept, nothing added?"""
    auth.login(world["admin"].phone)
    sid = world["sid"]
    response = _post(client, f"/stations/{sid}/staff", {"phone": phone}, page=_manage(world))
    html = response.get_data(as_text=True)
    assert response.status_code == status and message in html
    assert f'value="{phone}"' in html or phone == ""
    assert _staff_ids(session, sid) == {world["staff"].id}


def test_removal_takes_effect_on_the_staffers_next_request(app, auth, client, session, world):
    """After an admin removes a staffer, is their very next kiosk request refused (their session kept open)?"""
    sid = world["sid"]
    kiosk = f"/checkin/stations/{sid}/kiosk"
    staffer = app.test_client()
    Auth(staffer).login(world["staff"].phone)
    assert staffer.get(kiosk).status_code == 200
    auth.login(world["admin"].phone)
    page = client.get(_manage(world)).get_data(as_text=True)
    assert "确定将陈站长移出本站点工作人员" in page  # the confirmation asked before the POST
    response = _post(client, f"/stations/{sid}/staff/{world['staff'].id}/remove", {}, page=_manage(world))
    assert response.status_code == 303
    assert "陈站长已不再是本站点工作人员" in client.get(_manage(world)).get_data(as_text=True)
    assert _staff_ids(session, sid) == set()
    assert staffer.get(kiosk).status_code == 403
    assert staffer.get(f"/checkin/stations/{sid}/poster").status_code == 403
    again = _post(client, f"/stations/{sid}/staff/{world['staff'].id}/remove", {}, page=_manage(world))
    assert again.status_code == 303
    assert "不在本站点工作人员之列" in client.get(_manage(world)).get_data(as_text=True)


def test_get_never_writes(client, auth, session, world):
    """Are the write routes POST only (a GET changes nothing)?"""
    auth.login(world["admin"].phone)
    sid = world["sid"]
    assert client.get(f"/stations/{sid}/staff/{world['staff'].id}/remove").status_code == 405
    assert client.get(f"/stations/{sid}/staff?phone={world['member'].phone}").status_code == 405
    assert _staff_ids(session, sid) == {world["staff"].id}
