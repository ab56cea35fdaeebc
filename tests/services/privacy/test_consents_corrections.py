"""Consents withdrawn one by one; the member's own mobile number; correction requests the secretary answers."""
import pytest
from sqlmodel import select

from models import Delivery, LocationConsent, Member, PushSubscription
from models.audit import AuditEntry
from models.privacy import DataRequest
from services import notify, privacy
from services.errors import DomainError, Forbidden, NotFound
from tests.conftest import PASSWORD
from tests.services.privacy.helpers import rich_member
from tests.services.study.helpers import principal


@pytest.fixture
def rich(ctx, session, factory, instance_dir):
    return rich_member(session, factory)


def _states(session, member):
    return {c.kind: c.given for c in privacy.consents.consents(session, member_id=member.id)}


def test_each_consent_is_withdrawn_on_its_own(rich, session):
    """Does withdrawing location, push and SMS each remove only that consent, with an audit entry each?"""
    member = rich[0]
    assert _states(session, member) == {"location": True, "push": True, "sms": True}
    assert privacy.withdraw(session, member_id=member.id, kind="location")
    assert _states(session, member) == {"location": False, "push": True, "sms": True}
    assert session.exec(select(LocationConsent).where(LocationConsent.member_id == member.id)).first() is None
    assert privacy.withdraw(session, member_id=member.id, kind="push")
    assert session.exec(select(PushSubscription).where(PushSubscription.member_id == member.id)).all() == []
    assert privacy.withdraw(session, member_id=member.id, kind="sms")
    assert _states(session, member) == {"location": False, "push": False, "sms": False}
    assert not privacy.withdraw(session, member_id=member.id, kind="sms")  # already withdrawn: nothing written
    targets = [e.target for e in session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.consent"))]
    assert targets == ["consent:location", "consent:push", "consent:sms"]
    with pytest.raises(DomainError):
        privacy.withdraw(session, member_id=member.id, kind="camera")


def test_withdrawn_sms_stops_every_text_even_cancellations(rich, session, app):
    """With SMS withdrawn, does no important message (not even a cancellation) get an SMS delivery?"""
    member = rich[0]
    app.config.update(SMS_PROVIDER="aliyun", SMS_ACCESS_KEY_ID="k", SMS_ACCESS_KEY_SECRET="s", SMS_SIGN_NAME="服务圈",
                      SMS_TEMPLATES="meeting_cancelled=SMS_1,meeting_reminder=SMS_2")
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CANCELLED, key="c0", important=True,
                message=notify.Message(title="会议取消"))
    waiting = session.exec(select(Delivery).where(Delivery.member_id == member.id, Delivery.channel == "sms")).one()
    privacy.withdraw(session, member_id=member.id, kind="sms")
    session.refresh(waiting)
    assert waiting.status == "cancelled"  # an SMS not yet sent is not sent after the withdrawal
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CANCELLED, key="c1", important=True,
                message=notify.Message(title="会议取消"))
    channels = {d.channel for d in session.exec(select(Delivery).where(Delivery.member_id == member.id,
                                                                       Delivery.status == "pending"))}
    assert "sms" not in channels
    privacy.allow(session, member_id=member.id, kind="sms")
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CANCELLED, key="c2", important=True,
                message=notify.Message(title="会议取消"))
    channels = {d.channel for d in session.exec(select(Delivery).where(Delivery.member_id == member.id))}
    assert "sms" in channels


def test_own_mobile_number_changes_with_the_password(rich, session, factory):
    """Can the member change their number with their password, and are a wrong password or a taken number refused?"""
    member = rich[0]
    other = factory.member(name="别人")
    with pytest.raises(DomainError) as e:
        privacy.change_phone(session, member_id=member.id, new_phone="13511112222", password="wrong")
    assert e.value.code == "bad_current_password"
    with pytest.raises(DomainError) as e:
        privacy.change_phone(session, member_id=member.id, new_phone=other.phone, password=PASSWORD)
    assert e.value.code == "phone_taken"
    with pytest.raises(DomainError):
        privacy.change_phone(session, member_id=member.id, new_phone="12345", password=PASSWORD)
    privacy.change_phone(session, member_id=member.id, new_phone="135 1111 2222", password=PASSWORD)
    session.expire_all()
    assert session.get(Member, member.id).phone == "13511112222"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.correct")).one()
    assert "13511112222" not in entry.after + entry.before


def test_correction_request_reaches_the_secretary_who_answers(rich, session, factory):
    """Is the secretary told of a request, may only they answer it, and is the member told the answer?"""
    member, sec, _station = rich
    row = privacy.ask(session, member_id=member.id, subject="name", text="姓名里的字写错了")
    from models import Notification

    to_sec = session.exec(select(Notification).where(Notification.member_id == sec.id,
                                                     Notification.purpose == "data_request")).one()
    assert to_sec.url == "/privacy/requests"
    sec_p = principal(session, sec)
    assert row.id in [r.id for r, _name in privacy.for_leader(session, sec_p)]
    stranger = principal(session, factory.secretary(factory.branch(name="外支部")))
    assert privacy.for_leader(session, stranger) == []
    with pytest.raises(NotFound):
        privacy.answer(session, stranger, request_id=row.id, done=True, text="")
    with pytest.raises(DomainError) as e:
        privacy.answer(session, sec_p, request_id=row.id, done=False, text="")
    assert e.value.code == "reason_needed"
    privacy.answer(session, sec_p, request_id=row.id, done=True, text="已更正")
    with pytest.raises(DomainError) as e:
        privacy.answer(session, sec_p, request_id=row.id, done=True, text="")
    assert e.value.code == "answered"
    to_member = session.exec(select(Notification).where(Notification.member_id == member.id,
                                                        Notification.purpose == "data_request")).one()
    assert to_member.body == "已更正"
    with pytest.raises(Forbidden):
        privacy.for_leader(session, principal(session, member))


@pytest.mark.parametrize("subject, text, code", [("nonsense", "有错", "bad_subject"), ("name", "", "bad_text"),
                                                 ("name", "x" * 501, "bad_text"), ("name", "\x00\x01", "bad_text")])
def test_bad_correction_requests_write_nothing(rich, session, subject, text, code):
    """Is a request with an unknown subject or a bad text refused, with nothing written?"""
    member = rich[0]
    before = len(session.exec(select(DataRequest)).all())
    with pytest.raises(DomainError) as e:
        privacy.ask(session, member_id=member.id, subject=subject, text=text)
    assert e.value.code == code
    assert len(session.exec(select(DataRequest)).all()) == before
