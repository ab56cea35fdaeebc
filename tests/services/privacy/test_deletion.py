"""Deleting an account: seven days to change one's mind, then no personal data of the member anywhere."""
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, select, text
from sqlmodel import SQLModel

from models import CheckIn, Member, StudyProgress, utcnow
from models.privacy import DeletionRequest
from services import audit, privacy
from services.errors import DomainError, Forbidden
from tests.services.privacy.helpers import CORRECTION, LEAVE, NAME, NOTE, PHONE, REPORT, rich_member
from tests.services.study.helpers import principal

SECRETS = (NAME, PHONE, REPORT, LEAVE, CORRECTION, NOTE, "push.example.test", "测试手机")


@pytest.fixture
def rich(ctx, session, factory, instance_dir):
    return rich_member(session, factory)


def _all_text(session) -> str:
    """Every string value of every table, one big text (the database, searched whole)."""
    parts = []
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.c if isinstance(c.type, (String, Text)) or c.type.__class__.__name__ in (
            "AutoString", "JSON")]
        if not columns:
            continue
        for row in session.execute(select(*columns)).all():
            parts.extend(str(v) for v in row if v is not None)
    return "\n".join(parts)


def _instance_text(root) -> str:
    """Every file under the test's instance/, ZIPs opened."""
    parts = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                parts.extend(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_deletion_leaves_no_personal_data_anywhere(rich, session, instance_dir):
    """After the cooling-off period, is nothing personal of the member left in any column or instance/ file,
    while their hours, attendance and study records stay, without their identity?"""
    member, _sec, _station = rich
    export = privacy.request_export(session, member_id=member.id)
    privacy.build_now_if_small(session, export=export)
    assert NAME in _instance_text(instance_dir)  # the download holds everything before
    me = principal(session, member)
    row = privacy.request_deletion(session, me, member_id=member.id)
    assert row.due_at - row.requested_at == timedelta(days=7)
    assert privacy.run_due(session) == 0  # not yet
    assert privacy.run_due(session, now=utcnow() + timedelta(days=7, minutes=1)) == 1
    session.expire_all()
    session.info["org_scope"] = "all"
    everything = _all_text(session)
    for secret in SECRETS:
        assert secret not in everything, f"{secret!r} is still in the database"
    files = _instance_text(instance_dir)
    for secret in SECRETS:
        assert secret not in files, f"{secret!r} is still in instance/"
    kept = session.get(Member, member.id)
    assert kept.name == privacy.ANONYMOUS_NAME and not kept.is_active and kept.password_hash is None
    assert session.exec(select(CheckIn).where(CheckIn.member_id == member.id)).all()  # hours kept
    assert session.exec(select(StudyProgress).where(StudyProgress.member_id == member.id)).all()
    assert session.get(DeletionRequest, row.id).done_at is not None
    assert audit.verify(session).ok
    actions = [e.action for e in audit.for_member(session, member_id=member.id)]
    assert "privacy.delete_request" in actions and "privacy.anonymise" in actions


def test_cancelled_request_is_never_carried_out(rich, session):
    """Can the member cancel within the seven days, after which nothing happens?"""
    member = rich[0]
    me = principal(session, member)
    privacy.request_deletion(session, me, member_id=member.id)
    assert privacy.pending(session, member_id=member.id) is not None
    privacy.cancel_deletion(session, me, member_id=member.id)
    assert privacy.pending(session, member_id=member.id) is None
    assert privacy.run_due(session, now=utcnow() + timedelta(days=8)) == 0
    session.expire_all()
    assert session.get(Member, member.id).name == NAME
    privacy.request_deletion(session, me, member_id=member.id)  # and may ask again


def test_deletion_for_someone_else_is_refused(rich, session, factory):
    """Is a request for another member's account refused, with nothing written?"""
    member = rich[0]
    other = principal(session, factory.member(name="旁人"))
    with pytest.raises(Forbidden):
        privacy.request_deletion(session, other, member_id=member.id)
    with pytest.raises(Forbidden):
        privacy.cancel_deletion(session, other, member_id=member.id)
    assert session.exec(select(DeletionRequest)).all() == []


def test_asking_twice_and_cancelling_nothing_get_clear_messages(rich, session):
    """Are a second request and a cancel without a request refused with a clear message?"""
    member = rich[0]
    me = principal(session, member)
    with pytest.raises(DomainError) as e:
        privacy.cancel_deletion(session, me, member_id=member.id)
    assert e.value.code == "no_request" and e.value.status == 409
    privacy.request_deletion(session, me, member_id=member.id)
    with pytest.raises(DomainError) as e:
        privacy.request_deletion(session, me, member_id=member.id)
    assert e.value.code == "already_requested"
    assert len(session.exec(select(DeletionRequest)).all()) == 1


def test_anonymised_member_cannot_sign_in(rich, session):
    """Is the anonymised account closed to sign-in (no phone, no password)?"""
    from services.accounts import authenticate

    member = rich[0]
    privacy.request_deletion(session, principal(session, member), member_id=member.id)
    privacy.run_due(session, now=utcnow() + timedelta(days=8))
    with pytest.raises(DomainError):
        authenticate(session, phone=PHONE, password="correct horse 42")
    assert session.execute(text("SELECT count(*) FROM user_session WHERE member_id = :m"),
                           {"m": member.id}).scalar() == 0
