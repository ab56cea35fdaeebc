"""Downloads of everything held: every domain in data.json and the CSVs, no secrets, one at a time, owner only."""
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from models import Notification, utcnow
from models.audit import AuditEntry
from models.privacy import DataExport
from services import privacy
from services.errors import DomainError, NotFound
from services.privacy import registry
from tests.services.privacy.helpers import NAME, PHONE, REPORT, rich_member


@pytest.fixture
def rich(ctx, session, factory, instance_dir):
    return rich_member(session, factory)


def _zip(path):
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def test_export_covers_every_domain(rich, session):
    """Does the ZIP hold a row from every table the member has rows in, in JSON and CSV, and no secret?"""
    member, _sec, _station = rich
    export = privacy.request_export(session, member_id=member.id)
    assert privacy.build_now_if_small(session, export=export)
    path, filename = privacy.file_for(session, member_id=member.id, export_id=export.id)
    assert filename.endswith(".zip") and NAME not in path.name
    zf = _zip(path)
    doc = json.loads(zf.read("data.json"))
    tables = doc["tables"]
    assert set(tables) == {s.table for s in registry.sources()}
    expected = {"member", "membership", "checkin", "activity_signup", "community_registration", "location_consent",
                "study_progress", "study_attempt", "meeting_invite", "calendar_feed", "notification",
                "push_subscription", "notify_preference", "sms_quota", "user_session", "data_request",
                "audit_entry", "data_export"}
    empty = sorted(t for t in expected if not tables[t]["rows"])
    assert not empty, f"no rows exported for {empty}"
    assert tables["member"]["rows"][0]["name"] == NAME and tables["member"]["rows"][0]["phone"] == PHONE
    assert tables["study_progress"]["rows"][0]["report_text"] == REPORT
    for name in expected:
        assert f"csv/{name}.csv" in zf.namelist()
    csv_text = zf.read("csv/member.csv").decode("utf-8-sig")
    assert NAME in csv_text
    raw = json.dumps(doc)
    for secret in ("password_hash", "token_hash", "p256dh", "endpoint_hash", '"nonce"'):
        assert secret not in raw
    assert "README.txt" in zf.namelist()


def test_ready_export_is_announced_in_the_inbox(rich, session):
    """Is the member told in the inbox, with a link to the download, when it is ready?"""
    member = rich[0]
    export = privacy.request_export(session, member_id=member.id)
    privacy.build_now_if_small(session, export=export)
    note = session.exec(select(Notification).where(Notification.member_id == member.id,
                                                   Notification.purpose == "export_ready")).one()
    assert note.url == f"/me/privacy/exports/{export.id}"


def test_second_request_while_preparing_is_refused(rich, session):
    """Is a second request refused with a clear message while the first is being prepared, and nothing written?"""
    member = rich[0]
    privacy.request_export(session, member_id=member.id)
    before = session.exec(select(DataExport)).all()
    entries = len(session.exec(select(AuditEntry)).all())
    with pytest.raises(DomainError) as e:
        privacy.request_export(session, member_id=member.id)
    assert e.value.code == "export_pending" and e.value.status == 409 and "正在准备" in str(e.value.message)
    assert len(session.exec(select(DataExport)).all()) == len(before)
    assert len(session.exec(select(AuditEntry)).all()) == entries


def test_large_export_waits_for_the_worker(rich, session, app):
    """Does a download over the inline limit wait for the worker's sweep, which builds it once?"""
    member = rich[0]
    app.config["PRIVACY_EXPORT_INLINE_ROWS"] = 0
    export = privacy.request_export(session, member_id=member.id)
    assert not privacy.build_now_if_small(session, export=export)
    assert session.get(DataExport, export.id).status == "pending"
    with pytest.raises(DomainError) as e:
        privacy.file_for(session, member_id=member.id, export_id=export.id)
    assert e.value.code == "not_ready"
    assert privacy.build_pending(session) == 1
    assert privacy.build_pending(session) == 0
    session.expire_all()
    row = session.get(DataExport, export.id)
    assert row.status == "ready" and row.pending_member_id is None and row.row_count > 10
    privacy.request_export(session, member_id=member.id)  # a new one may be asked for once it is ready


def test_link_works_only_for_its_owner_and_until_it_expires(rich, session, factory):
    """Is another member's download not found, and an expired one refused with a clear 410?"""
    member = rich[0]
    other = factory.member(name="别人")
    export = privacy.request_export(session, member_id=member.id)
    privacy.build_now_if_small(session, export=export)
    with pytest.raises(NotFound):
        privacy.file_for(session, member_id=other.id, export_id=export.id)
    for bad in (0, -1, 2**40, True, "1"):
        with pytest.raises(NotFound):
            privacy.file_for(session, member_id=member.id, export_id=bad)
    later = utcnow() + timedelta(hours=73)
    with pytest.raises(DomainError) as e:
        privacy.file_for(session, member_id=member.id, export_id=export.id, now=later)
    assert e.value.code == "expired" and e.value.status == 410


def test_failed_build_frees_the_member(rich, session, monkeypatch):
    """When a build fails, is the export marked failed and may the member ask again?"""
    member = rich[0]
    export = privacy.request_export(session, member_id=member.id)
    monkeypatch.setattr(privacy.exports, "_zip_bytes", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    privacy.build(session, export_id=export.id)
    session.expire_all()
    assert session.get(DataExport, export.id).status == "failed"
    privacy.request_export(session, member_id=member.id)


def test_export_of_nobody_is_not_found(ctx, session, instance_dir):
    """Is a download for a member who does not exist refused?"""
    with pytest.raises(NotFound):
        privacy.request_export(session, member_id=987654)
