"""Log lines and audit rows stay free of phone numbers, coordinates and tokens through the privacy flows."""
import logging
import re

from sqlmodel import select

from models.audit import AuditEntry
from ops.logs import JsonFormatter
from tests.conftest import PASSWORD, csrf_from

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
COORD = re.compile(r"(?<![\d.])\d{2,3}\.\d{4,}(?![\d.])")


def test_flows_leave_no_phone_coordinate_or_token_in_logs_or_audit(app, client, auth, factory, session, caplog,
                                                                   tmp_path):
    """After sign-in, a scan with a position, every data right and the trail, are logs and audit rows clean?"""
    app.config["PRIVACY_EXPORT_DIR"] = str(tmp_path / "exports")
    branch = factory.branch(name="日志测试支部")
    sec = factory.secretary(branch, name="日志书记")
    member = factory.member(branch, name="日志党员")
    with caplog.at_level(logging.DEBUG):
        auth.login(member.phone)
        token = csrf_from(client.get("/checkin/").get_data(as_text=True))
        client.post("/checkin/scan", data={"csrf_token": token, "code": "r.1.2.abc", "nonce": "n" * 32,
                                           "lat": "22.543219", "lon": "114.057368", "accuracy": "12"})
        auth.post("/me/privacy/export", page="/me/privacy")
        auth.post("/me/privacy/phone", {"phone": "13677778888", "password": PASSWORD}, page="/me/privacy")
        auth.post("/me/privacy/requests", {"subject": "name", "text": "电话 13912340000 写错了"}, page="/me/privacy")
        auth.post("/me/privacy/consents/sms/withdraw", page="/me/privacy")
        auth.post("/me/privacy/delete", {"confirm": "y"}, page="/me/privacy")
        auth.post("/me/privacy/delete/cancel", page="/me/privacy")
        cookie = client.get_cookie("sc_session")
        auth.logout()
        auth.login(sec.phone)
        client.get("/audit/?member=abc")
        client.get("/audit/")
        client.get("/privacy/requests")
    lines = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert lines, "nothing was logged"
    for phone in (member.phone, sec.phone, "13677778888", "13912340000"):
        assert phone not in lines
    assert not COORD.search(lines), COORD.search(lines)
    if cookie is not None:
        assert cookie.value not in lines
    rows = session.exec(select(AuditEntry)).all()
    assert {r.action for r in rows} >= {"privacy.export", "privacy.correct", "privacy.request", "privacy.consent",
                                        "privacy.delete_request", "privacy.delete_cancel"}
    text = "\n".join(r.before + r.after + r.target for r in rows)
    assert not PHONE.search(text) and not COORD.search(text)
    assert "n" * 32 not in text
