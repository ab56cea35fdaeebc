"""Check-in through the test client: scanning, sign-in in between, errors, kiosk, sync, secretary tools."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from models import Activity, CheckIn, utcnow
from services.checkin import codes as qr
from tests.conftest import csrf_from


@pytest.fixture
def world(factory):
    branch = factory.branch(name="莲花支部")
    station = factory.station()
    return {
        "branch": branch, "station": station,
        "member": factory.member(branch, name="王志愿"),
        "secretary": factory.secretary(branch),
        "staff": factory.member(branch, name="站点小李", roles=[("station_staff", station)]),
    }


def code_for(app, station, **kw):
    with app.test_request_context():
        return qr.rotating_token(station, **kw)


def confirm_form(html: str) -> dict:
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    fields.update({k: v for v, k in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="([a-z_]+)"', html)})
    return fields


@pytest.mark.parametrize("path", ["/checkin/", "/checkin/my-code", "/checkin/service", "/checkin/activities",
                                  "/checkin/community", "/checkin/stations/1/kiosk"])
def test_pages_need_sign_in(client, path):
    """Does every check-in page send a stranger to sign in?"""
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_scan_without_csrf_token_is_refused(app, client, auth, world, session):
    """Is the check-in POST refused without its CSRF token (the form leaves it to CSRFProtect), writing nothing?"""
    auth.login(world["member"].phone)
    fields = confirm_form(client.get(f"/c/{code_for(app, world['station'])}").get_data(as_text=True))
    assert fields.get("csrf_token")
    for data in ({k: v for k, v in fields.items() if k != "csrf_token"}, dict(fields, csrf_token="forged")):
        response = client.post("/checkin/scan", data=data)
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert session.exec(select(CheckIn.id)).all() == []


def test_scan_confirm_and_check_out(app, client, auth, world, session):
    """Does a member open a code, confirm, see the timer, and check out with the button?"""
    auth.login(world["member"].phone)
    page = client.get(f"/c/{code_for(app, world['station'])}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "莲花北社区党群服务中心" in html and "确认签到" in html
    response = client.post("/checkin/scan", data=confirm_form(html))
    assert response.status_code == 303
    record_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-since" in record_page and "签退" in record_page
    record_id = session.exec(select(CheckIn.id)).one()
    session.commit()  # in-memory SQLite shares one connection with the app: end the read (no expiry)
    token = csrf_from(record_page)
    out = client.post(f"/checkin/records/{record_id}/checkout", data={"csrf_token": token, "nonce": uuid.uuid4().hex})
    assert out.status_code == 303
    assert session.exec(select(CheckIn.checked_out_at).where(CheckIn.id == record_id)).one() is not None


def test_signed_out_scan_survives_sign_in(app, client, auth, world, session):
    """Does a code opened while signed out lead, after sign-in, to the confirmation?"""
    code = code_for(app, world["station"])
    first = client.get(f"/c/{code}")
    assert first.status_code == 302 and "/login?next=" in first.headers["Location"]
    next_url = re.search(r"next=([^&]+)", first.headers["Location"]).group(1)
    from urllib.parse import unquote

    landing = auth.login(world["member"].phone, next_url=unquote(next_url))
    assert landing.status_code == 302 and landing.headers["Location"].startswith(f"/c/{code}?p=")
    page = client.get(landing.headers["Location"]).get_data(as_text=True)
    assert "确认签到" in page


def test_stale_pass_after_two_minutes_is_expired(app, client, auth, world):
    """Is a sign-in that took longer than 2 minutes answered with the expired-code message?"""
    code = code_for(app, world["station"])
    with app.test_request_context():
        old_pass = qr.sign_scan(code, utcnow() - timedelta(seconds=150))
    auth.login(world["member"].phone)
    response = client.get(f"/c/{code}?p={old_pass}")
    assert response.status_code == 410 and "扫码已过期，请扫描现场最新二维码" in response.get_data(as_text=True)


def test_expired_and_bad_codes(app, client, auth, world):
    """Are an old code (410) and a forged one (400) refused with a clear Chinese message?"""
    auth.login(world["member"].phone)
    with app.test_request_context():
        old = qr.rotating_token(world["station"], step=qr.step_at() - 3)
    response = client.get(f"/c/{old}")
    assert response.status_code == 410 and "扫码已过期" in response.get_data(as_text=True)
    forged = client.get("/c/r.1.2.AAAAAAAAAAAAAAAA")
    assert forged.status_code == 400 and "不是有效的" in forged.get_data(as_text=True)


def test_poster_outside_fence_says_how_far(app, client, auth, world, session):
    """Does a poster scan outside the fence get 403 with the distance, and nothing written?"""
    auth.login(world["member"].phone)
    with app.test_request_context():
        poster = qr.poster_token(world["station"])
    html = client.get(f"/c/{poster}").get_data(as_text=True)
    assert "data-needs-position" in html
    data = confirm_form(html) | {"lat": "22.5600", "lon": "114.0550", "accuracy": "20"}
    response = client.post("/checkin/scan", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and "1110" in body and "我的签到码" in body
    assert session.exec(select(CheckIn)).all() == []
    session.commit()
    data = confirm_form(client.get(f"/c/{poster}").get_data(as_text=True))
    data |= {"lat": "22.5501", "lon": "114.0550", "accuracy": "15"}
    assert client.post("/checkin/scan", data=data).status_code == 303
    record = session.exec(select(CheckIn)).one()
    assert record.geo_inside and record.geo_distance_m == 10


def test_kiosk_for_staff_only(client, auth, world):
    """Is the kiosk shown to the station's staff (with a fresh code fragment) and refused to a member?"""
    auth.login(world["member"].phone)
    assert client.get(f"/checkin/stations/{world['station'].id}/kiosk").status_code == 403
    auth.logout()
    auth.login(world["staff"].phone)
    page = client.get(f"/checkin/stations/{world['station'].id}/kiosk").get_data(as_text=True)
    assert "<svg" in page and 'hx-trigger="every 5s"' in page
    fragment = client.get(f"/checkin/stations/{world['station'].id}/kiosk", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="kiosk_code"') and "<html" not in html
    assert f"/c/r.{world['station'].id}." in html
    poster = client.get(f"/checkin/stations/{world['station'].id}/poster").get_data(as_text=True)
    assert f"/c/p.{world['station'].id}." in poster


def test_staff_scans_member_code(app, client, auth, world, session):
    """Does staff scanning a member's own code check that member in?"""
    auth.login(world["staff"].phone)
    page = client.get(f"/checkin/stations/{world['station'].id}/kiosk").get_data(as_text=True)
    with app.test_request_context():
        code = qr.member_token(world["member"].id)
    response = client.post(f"/checkin/stations/{world['station'].id}/staff-scan",
                           data={"csrf_token": csrf_from(page), "code": code, "nonce": uuid.uuid4().hex},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "王志愿" in response.get_data(as_text=True)
    assert session.exec(select(CheckIn)).one().member_id == world["member"].id


def test_my_code_fragment(client, auth, world):
    """Does 我的签到码 show a member code that refreshes by polling?"""
    auth.login(world["member"].phone)
    html = client.get("/checkin/my-code", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="my_code_qr"') and f'data-code="m.{world["member"].id}.' in html


def test_offline_sync_once(app, client, auth, world, session):
    """Is an offline scan accepted once, its retry answered with the same record, and a bad one a 4xx?"""
    auth.login(world["member"].phone)
    token = auth.csrf("/checkin/")
    scanned = utcnow() - timedelta(minutes=20)
    with app.test_request_context():
        code = qr.rotating_token(world["station"], step=qr.step_at(scanned))
    body = {"code": code, "nonce": uuid.uuid4().hex, "scanned_at": int(scanned.timestamp() * 1000), "geo": None}
    first = client.post("/checkin/sync", json=body, headers={"X-CSRFToken": token})
    assert first.status_code == 200 and first.json["ok"] and first.json["action"] == "checked_in"
    again = client.post("/checkin/sync", json=body, headers={"X-CSRFToken": token})
    assert again.json["record_id"] == first.json["record_id"]
    record = session.exec(select(CheckIn)).one()
    assert record.offline
    session.commit()
    late = dict(body, nonce=uuid.uuid4().hex, scanned_at=int((utcnow() - timedelta(hours=30)).timestamp() * 1000))
    refused = client.post("/checkin/sync", json=late, headers={"X-CSRFToken": token})
    assert refused.status_code == 410 and refused.json["code"] == "scan_too_old"
    assert client.post("/checkin/sync", json=body).status_code == 400  # no CSRF token


def test_service_page_certificate_and_pdf(app, client, auth, world, session):
    """Do 我的服务, the printable certificate and its PDF show the member's hours?"""
    from services.checkin import pdf_available

    now = utcnow()
    session.add(CheckIn(member_id=world["member"].id, org_unit_id=world["branch"].id, station_id=world["station"].id,
                        status="counted", checked_in_at=now - timedelta(hours=3), checked_out_at=now - timedelta(hours=1),
                        service_day=(now - timedelta(hours=3)).astimezone(timezone(timedelta(hours=8))).date(),
                        minutes=120, credited_minutes=120))
    session.commit()
    auth.login(world["member"].phone)
    page = client.get("/checkin/service").get_data(as_text=True)
    assert "莲花北社区党群服务中心" in page and "已计入" in page
    year = now.year
    cert = client.get(f"/checkin/certificate?start={year}-01-01&end={year}-12-31").get_data(as_text=True)
    assert "王志愿" in cert and "志愿服务证明" in cert
    pdf = client.get(f"/checkin/certificate.pdf?start={year}-01-01&end={year}-12-31")
    if pdf_available():
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    else:
        assert pdf.status_code == 503
    assert client.get("/checkin/certificate?start=bad").status_code == 400


def test_pdf_degrades_without_font(app, client, auth, world):
    """Without the CJK font, is the PDF a clear 503 and the printable page still offered?"""
    app.config["CHECKIN_PDF_FONT"] = "/nonexistent/font.ttc"
    auth.login(world["member"].phone)
    response = client.get("/checkin/certificate.pdf?start=2026-01-01&end=2026-12-31")
    assert response.status_code == 503 and "打印页面" in response.get_data(as_text=True)


def test_secretary_approves_in_bulk_and_exports(app, client, auth, world, session, factory):
    """Does the secretary approve pending records in bulk, export CSV with a BOM, and get 404 elsewhere?"""
    other = factory.branch(name="外支部")
    outsider = factory.member(other, name="外人")
    rows = []
    for m in (world["member"], outsider):
        c = CheckIn(member_id=m.id, org_unit_id=m.org_unit_id, station_id=world["station"].id, status="pending",
                    source="manual", method="manual", checked_in_at=utcnow() - timedelta(days=1),
                    checked_out_at=utcnow() - timedelta(days=1) + timedelta(hours=2),
                    service_day=(utcnow() - timedelta(days=1)).date(), minutes=120, credited_minutes=120, note="=cmd")
        session.add(c)
        rows.append(c)
    session.commit()
    ids, year, outsider_id = [r.id for r in rows], rows[0].service_day.year, outsider.id
    auth.login(world["secretary"].phone)
    response = client.get(f"/checkin/branch/{world['branch'].id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "王志愿" in page and "外人" not in page
    token = csrf_from(page)
    assert client.get(f"/checkin/branch/{other.id}").status_code == 404
    assert client.post(f"/checkin/branch/{world['branch'].id}/decide",
                       data={"csrf_token": token, "ids": [ids[1]], "decision": "approve"}).status_code == 404
    ok = client.post(f"/checkin/branch/{world['branch'].id}/decide",
                     data={"csrf_token": token, "ids": [ids[0]], "decision": "approve"})
    assert ok.status_code == 303
    statuses = dict(session.exec(select(CheckIn.id, CheckIn.status)).all())
    assert statuses[ids[0]] == "approved" and statuses[ids[1]] == "pending"
    session.commit()
    csv = client.get(f"/checkin/branch/{world['branch'].id}/export.csv?year={year}")
    assert csv.data.startswith("\ufeff".encode()) and "王志愿" in csv.data.decode("utf-8-sig")
    assert "'=cmd" in csv.data.decode("utf-8-sig")
    assert client.get(f"/checkin/branch/{other.id}/export.csv").status_code == 404
    assert client.get(f"/checkin/branch/members/{outsider_id}").status_code == 404
    auth.logout()
    auth.login(world["member"].phone)
    assert client.get(f"/checkin/branch/{world['branch'].id}").status_code == 403


def test_activity_sign_up_full(client, auth, world, session, factory):
    """Does a member sign up, and does the next one get a clear 'full' answer?"""
    act = Activity(title="社区义诊", station_id=world["station"].id, starts_at=utcnow() + timedelta(days=1),
                   ends_at=utcnow() + timedelta(days=1, hours=2), slots=1)
    session.add(act)
    session.commit()
    auth.login(world["member"].phone)
    token = auth.csrf(f"/checkin/activities/{act.id}")
    assert client.post(f"/checkin/activities/{act.id}/signup", data={"csrf_token": token}).status_code == 303
    auth.logout()
    auth.login(world["secretary"].phone)
    token = auth.csrf(f"/checkin/activities/{act.id}")
    full = client.post(f"/checkin/activities/{act.id}/signup", data={"csrf_token": token},
                       headers={"HX-Request": "true"})
    assert full.status_code == 409 and "已满" in full.get_data(as_text=True)


def test_home_card_and_tab(client, auth, world):
    """Do the home page's check-in card and the 签到 tab appear?"""
    auth.login(world["member"].phone)
    home = client.get("/").get_data(as_text=True)
    assert "今年服务时长" in home and 'href="/checkin/"' in home
    me = client.get("/me/").get_data(as_text=True)
    assert "我的签到码" in me and "报到社区" in me


def test_post_activity_and_community(client, auth, world, session):
    """Can staff post an activity, and a member register with a home community?"""
    auth.login(world["staff"].phone)
    token = auth.csrf("/checkin/activities/new")
    response = client.post("/checkin/activities/new", data={
        "csrf_token": token, "title": "垃圾分类宣传", "station_id": world["station"].id, "place": "一楼大厅",
        "starts_at": "2030-01-05T09:00", "ends_at": "2030-01-05T11:00", "slots": 20, "bring": "帽子"})
    assert response.status_code == 303
    assert session.exec(select(Activity.starts_at)).one() == datetime(2030, 1, 5, 1, 0, tzinfo=timezone.utc)
    session.commit()
    auth.logout()
    auth.login(world["member"].phone)
    assert client.post("/checkin/activities/new", data={"csrf_token": token}).status_code in (400, 403)
    results = client.get("/checkin/community?q=莲花", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "莲花北社区党群服务中心" in results
    token = csrf_from(client.get("/checkin/community").get_data(as_text=True))
    assert client.post("/checkin/community", data={"csrf_token": token, "station_id": world["station"].id}).status_code == 303
    assert "莲花北社区党群服务中心" in client.get("/checkin/community").get_data(as_text=True)
