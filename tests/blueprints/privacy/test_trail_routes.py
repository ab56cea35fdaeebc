"""The trail screen: a secretary sees their branch's entries, an admin all; garbage filters get a clear message."""
import pytest

from services import audit
from tests.conftest import Factory  # noqa: F401


@pytest.fixture
def world(app, factory, session):
    a, b = factory.branch(name="甲支部"), factory.branch(name="乙支部")
    sec_a = factory.secretary(a, name="甲书记")
    member_a = factory.member(a, name="甲党员")
    member_b = factory.member(b, name="乙党员")
    admin = factory.member(name="管理员", roles=["admin"])
    plain = factory.member(a, name="普通党员")
    with app.app_context():
        audit.record(session, actor=sec_a.id, action="hours.approve", member=member_a.id, unit=a.id,
                     target="checkin:1", before={"status": "pending"}, after={"status": "approved"})
        audit.record(session, actor=None, action="leave.approve", member=member_b.id, unit=b.id, target="meeting:2")
        audit.record(session, actor=admin.id, action="station.settings", target="station:3",
                     before={"geofence_radius_m": 100}, after={"geofence_radius_m": 200})
        session.commit()
    return {"a": a, "b": b, "sec_a": sec_a, "member_a": member_a, "member_b": member_b, "admin": admin, "plain": plain}


def test_secretary_sees_only_their_branch(world, auth, client):
    """Does a secretary see their branch's entries and none of another branch's or the stations'?"""
    auth.login(world["sec_a"].phone)
    page = client.get("/audit/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "甲党员" in html and "服务时长审核通过" in html
    assert "乙党员" not in html and "修改站点设置" not in html.split("</select>")[-1]
    assert page.headers["Cache-Control"] == "private, no-store"


def test_admin_sees_everything(world, auth, client):
    """Does an administrator see every branch's entries and the station changes?"""
    auth.login(world["admin"].phone)
    html = client.get("/audit/").get_data(as_text=True)
    body = html.split("trail-list")[-1]
    assert "甲党员" in body and "乙党员" in body and "修改站点设置" in body


def test_member_is_refused(world, auth, client):
    """Is the trail closed to a member who runs nothing?"""
    auth.login(world["plain"].phone)
    assert client.get("/audit/").status_code == 403


def test_filters_narrow_the_list(world, auth, client):
    """Do the member, action and date filters narrow the list?"""
    auth.login(world["admin"].phone)
    body = client.get(f"/audit/?member={world['member_b'].id}").get_data(as_text=True).split("trail-list")[-1]
    assert "乙党员" in body and "甲党员" not in body
    body = client.get("/audit/?action=station.settings").get_data(as_text=True).split("trail-list")[-1]
    assert "修改站点设置" in body and "乙党员" not in body
    body = client.get("/audit/?since=2000-01-01&until=2000-01-02").get_data(as_text=True).split("trail-list")[-1]
    assert "没有符合条件的记录" in body


@pytest.mark.parametrize("query, words", [
    ("member=abc", "请从列表中选择党员"),
    ("member=99999999999999999999999", "请从列表中选择党员"),
    ("member=-1", "请从列表中选择党员"),
    ("action=drop%20table", "请从列表中选择操作类型"),
    ("since=2026-13-45", "日期格式不对"),
    ("until=yesterday", "日期格式不对"),
    ("since=0001-01-01", "日期超出范围"),
    ("since=2026-05-01&until=2026-04-01", "起始日期晚于截止日期"),
    ("before=abc", "不存在"),
    ("before=99999999999999999999", "不存在"),
    ("member=%00", "请从列表中选择党员"),
])
def test_garbage_filters_get_a_clear_message(world, auth, client, query, words):
    """Does a filter that makes no sense get a 400 with a clear message, never a 500?"""
    auth.login(world["sec_a"].phone)
    page = client.get(f"/audit/?{query}")
    assert page.status_code == 400
    assert words in page.get_data(as_text=True)


def test_other_branch_member_filter_shows_nothing(world, auth, client):
    """Does filtering by a member of another branch show nothing of them?"""
    auth.login(world["sec_a"].phone)
    body = client.get(f"/audit/?member={world['member_b'].id}").get_data(as_text=True).split("trail-list")[-1]
    assert "乙党员" not in body
