"""The privacy screens through the client: download, correct, consents, deletion; bad input never a 500."""
import io
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from models import LocationConsent, Member, utcnow
from models.audit import AuditEntry
from models.privacy import DataExport, DataRequest, DeletionRequest
from services import privacy
from tests.conftest import PASSWORD


@pytest.fixture
def people(app, factory, session, tmp_path):
    app.config["PRIVACY_EXPORT_DIR"] = str(tmp_path / "exports")
    branch = factory.branch(name="路由测试支部")
    sec = factory.secretary(branch, name="路由书记")
    member = factory.member(branch, name="路由党员")
    other = factory.member(branch, name="另一个党员")
    session.add(LocationConsent(member_id=member.id))
    session.commit()
    return {"branch": branch, "sec": sec, "member": member, "other": other}


def test_privacy_page_is_public_and_linked(client, people, auth):
    """Is the privacy page readable without signing in, with the periods from config, and linked from sign-in and 我的?"""
    page = client.get("/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "隐私政策" in html and "30 天" in html and "个人信息保护法" in html
    assert 'href="/privacy"' in client.get("/login").get_data(as_text=True)
    auth.login(people["member"].phone)
    assert 'href="/me/privacy"' in client.get("/me/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/me/privacy", "/privacy/requests", "/audit/"])
def test_screens_need_sign_in(client, people, path):
    """Do the personal screens send a stranger to sign in?"""
    assert client.get(path).status_code == 302


def test_member_downloads_their_data(client, people, auth, session):
    """Does a member get a ZIP of their own data, and may nobody else fetch it?"""
    auth.login(people["member"].phone)
    response = auth.post("/me/privacy/export", page="/me/privacy")
    assert response.status_code == 302
    export = session.exec(select(DataExport)).one()
    session.commit()  # end the read (kept objects stay loaded): the client shares the in-memory connection
    page = client.get("/me/privacy").get_data(as_text=True)
    assert f"/me/privacy/exports/{export.id}" in page
    file = client.get(f"/me/privacy/exports/{export.id}")
    assert file.status_code == 200 and file.mimetype == "application/zip"
    assert file.headers["Cache-Control"].startswith("private")
    names = zipfile.ZipFile(io.BytesIO(file.data)).namelist()
    file.close()  # a streamed file: closing it ends the request (its database session with it)
    assert "data.json" in names and "csv/member.csv" in names
    auth.logout()
    auth.login(people["other"].phone)
    foreign = client.get(f"/me/privacy/exports/{export.id}")
    assert foreign.status_code == 404 and "不属于你" in foreign.get_data(as_text=True)
    assert client.get("/me/privacy/exports/99999999999999999999").status_code == 404


def test_export_twice_and_expired_link(client, people, auth, session, app):
    """Are a second request while preparing and an expired link refused with a clear message, nothing written?"""
    app.config["PRIVACY_EXPORT_INLINE_ROWS"] = 0
    auth.login(people["member"].phone)
    auth.post("/me/privacy/export", page="/me/privacy")
    again = auth.post("/me/privacy/export", page="/me/privacy")
    assert again.status_code == 409 and "正在准备" in again.get_data(as_text=True)
    assert len(session.exec(select(DataExport)).all()) == 1
    session.commit()
    export = session.exec(select(DataExport)).one()
    session.commit()  # end the read (kept objects stay loaded): the client shares the in-memory connection
    waiting = client.get(f"/me/privacy/exports/{export.id}")
    assert waiting.status_code == 409 and "准备中" in waiting.get_data(as_text=True)
    with app.test_request_context():
        privacy.build_pending(session)
    row = session.get(DataExport, export.id, populate_existing=True)
    session.commit()  # end the read (kept objects stay loaded): the client shares the in-memory connection
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    expired = client.get(f"/me/privacy/exports/{export.id}")
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)


def test_withdrawing_location_keeps_the_app_usable(client, people, auth, session):
    """After withdrawing location, do the map, home and check-in pages still work, without the consent?"""
    auth.login(people["member"].phone)
    response = auth.post("/me/privacy/consents/location/withdraw", page="/me/privacy")
    assert response.status_code == 302
    assert session.exec(select(LocationConsent)).first() is None
    session.commit()
    for path in ("/", "/stations/", "/checkin/", "/study/", "/meetings/", "/me/", "/inbox/", "/me/privacy"):
        assert client.get(path).status_code == 200, path
    assert "撤回" in client.get("/me/privacy").get_data(as_text=True)
    for kind in ("push", "sms"):
        assert auth.post(f"/me/privacy/consents/{kind}/withdraw", page="/me/privacy").status_code == 302
    assert client.get("/").status_code == 200
    assert auth.post("/me/privacy/consents/camera/withdraw", page="/me/privacy").status_code == 404
    assert [e.target for e in session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.consent"))] == [
        "consent:location", "consent:sms"]  # push had no device: nothing to withdraw


def test_request_and_cancel_deletion(client, people, auth, session):
    """Can a member ask for deletion, see the date, and cancel it?"""
    auth.login(people["member"].phone)
    refused = auth.post("/me/privacy/delete", page="/me/privacy")
    assert refused.status_code == 400 and "请勾选确认" in refused.get_data(as_text=True)
    assert auth.post("/me/privacy/delete", {"confirm": "y"}, page="/me/privacy").status_code == 302
    page = client.get("/me/privacy").get_data(as_text=True)
    assert "撤销注销申请" in page
    twice = auth.post("/me/privacy/delete", {"confirm": "y"}, page="/me/privacy")
    assert twice.status_code in (200, 302, 409)
    assert len(session.exec(select(DeletionRequest)).all()) == 1
    session.commit()
    assert auth.post("/me/privacy/delete/cancel", page="/me/privacy").status_code == 302
    assert privacy.pending(session, member_id=people["member"].id) is None
    again = auth.post("/me/privacy/delete/cancel", page="/me/privacy")
    assert again.status_code == 409 and "没有可以撤销的注销申请" in again.get_data(as_text=True)


@pytest.mark.parametrize("member_field", ["other", "abc", "99999999999999999999", "-5"])
def test_deletion_for_someone_else_is_refused(client, people, auth, session, member_field):
    """Is a deletion form edited to name someone else refused with a clear message, nothing written?"""
    auth.login(people["member"].phone)
    value = str(people["other"].id) if member_field == "other" else member_field
    response = auth.post("/me/privacy/delete", {"confirm": "y", "member_id": value}, page="/me/privacy")
    assert response.status_code == 403 and "只能申请注销你自己的账号" in response.get_data(as_text=True)
    assert session.exec(select(DeletionRequest)).all() == []
    session.commit()


def test_phone_change_and_correction_request(client, people, auth, session):
    """Can a member change their number (with the password) and ask the secretary, who answers?"""
    auth.login(people["member"].phone)
    bad = auth.post("/me/privacy/phone", {"phone": people["other"].phone, "password": PASSWORD}, page="/me/privacy")
    assert bad.status_code == 409 and "已有账号" in bad.get_data(as_text=True)
    wrong = auth.post("/me/privacy/phone", {"phone": "13522223333", "password": "nope"}, page="/me/privacy")
    assert wrong.status_code == 400
    assert auth.post("/me/privacy/phone", {"phone": "13522223333", "password": PASSWORD},
                     page="/me/privacy").status_code == 302
    assert session.get(Member, people["member"].id, populate_existing=True).phone == "13522223333"
    session.commit()
    garbage = auth.post("/me/privacy/requests", {"subject": "<script>", "text": "错了"}, page="/me/privacy")
    assert garbage.status_code == 400 and "请选择需要更正的内容" in garbage.get_data(as_text=True)
    assert auth.post("/me/privacy/requests", {"subject": "name", "text": "名字写错了"},
                     page="/me/privacy").status_code == 302
    request_row = session.exec(select(DataRequest)).one()
    session.commit()  # end the read (kept objects stay loaded): the client shares the in-memory connection
    auth.logout()
    auth.login(people["sec"].phone)
    listing = client.get("/privacy/requests").get_data(as_text=True)
    assert "名字写错了" in listing and "路由党员" in listing
    no_reason = auth.post(f"/privacy/requests/{request_row.id}/answer", {"outcome": "declined", "text": ""},
                          page="/privacy/requests")
    assert no_reason.status_code == 400 and "请说明不予更正的理由" in no_reason.get_data(as_text=True)
    assert auth.post(f"/privacy/requests/{request_row.id}/answer", {"outcome": "done", "text": "已改"},
                     page="/privacy/requests").status_code == 302
    assert auth.post("/privacy/requests/99999999999/answer", {"outcome": "done"},
                     page="/privacy/requests").status_code == 404


def test_other_branch_secretary_cannot_answer(client, people, auth, session, factory):
    """Is another branch's request invisible to a secretary, and answering it a 404?"""
    row = DataRequest(member_id=people["member"].id, org_unit_id=people["branch"].id, subject="name", text="错字")
    session.add(row)
    session.commit()
    outsider = factory.secretary(factory.branch(name="外面支部"), name="外书记")
    auth.login(outsider.phone)
    assert "错字" not in client.get("/privacy/requests").get_data(as_text=True)
    assert auth.post(f"/privacy/requests/{row.id}/answer", {"outcome": "done"},
                     page="/privacy/requests").status_code == 404
    assert session.get(DataRequest, row.id).status == "open"
    session.commit()


def test_writes_need_csrf(client, people, auth):
    """Is every write refused without the CSRF token?"""
    auth.login(people["member"].phone)
    for path in ("/me/privacy/export", "/me/privacy/delete", "/me/privacy/delete/cancel",
                 "/me/privacy/consents/location/withdraw", "/me/privacy/phone", "/me/privacy/requests"):
        assert client.post(path, data={"confirm": "y"}).status_code == 400, path
