"""Per-member channel choices: what each purpose may send by push and by text message.

No row means the default (on). The inbox is always on, and cancellations always go out on
every channel the member has.
"""
from sqlmodel import Session, delete, select

from flask_babel import lazy_gettext as _l

from models import NotifyPreference
from models.db import begin_write
from services.errors import DomainError
from services.notify.purposes import ALWAYS, CHOOSABLE, PUSH, SENDING_CHANNELS

CHUNK = 900
# A row (member, CONSENT, channel, enabled=False) means the member withdrew their consent to the channel
# altogether (我的 → 个人信息与隐私): nothing goes to them by it, cancellations included, until they allow it again.
CONSENT = "consent"


def chunks(ids, size: int = CHUNK):
    """A long id list in pieces small enough for one IN (...)."""
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def refusals(session: Session, *, member_ids, purpose: str) -> set[tuple[int, str]]:
    """(member, channel) pairs that turned `purpose` off, among `member_ids`."""
    purposes = [CONSENT] if purpose in ALWAYS else [purpose, CONSENT]
    found: set[tuple[int, str]] = set()
    for part in chunks(sorted(set(member_ids))):
        found.update(session.exec(select(NotifyPreference.member_id, NotifyPreference.channel).where(
            NotifyPreference.member_id.in_(part), NotifyPreference.purpose.in_(purposes),
            NotifyPreference.enabled.is_(False))).all())
    return found


def allows(session: Session, *, member_id: int, purpose: str, channel: str) -> bool:
    """Whether the member lets `purpose` come by `channel` (the inbox always)."""
    if channel not in SENDING_CHANNELS:
        return True
    return (member_id, channel) not in refusals(session, member_ids=[member_id], purpose=purpose)


def grid(session: Session, *, member_id: int) -> dict[tuple[str, str], bool]:
    """Every choosable (purpose, channel) with the member's setting."""
    rows = session.exec(select(NotifyPreference).where(NotifyPreference.member_id == member_id)).all()
    chosen = {(r.purpose, r.channel): r.enabled for r in rows}
    return {(p, c): (True if p in ALWAYS else chosen.get((p, c), True)) for p in CHOOSABLE for c in SENDING_CHANNELS}


def parse_choices(values) -> set[tuple[str, str]]:
    """The ticked boxes of the preferences form ("purpose:channel"); anything unknown is refused."""
    picked: set[tuple[str, str]] = set()
    for raw in values:
        purpose, sep, channel = str(raw).partition(":")
        if not sep or purpose not in CHOOSABLE or channel not in SENDING_CHANNELS:
            raise DomainError("unknown_choice", _l("That choice is not one of the channels offered."))
        picked.add((purpose, channel))
    return picked


def save(session: Session, *, member_id: int, enabled) -> dict[tuple[str, str], bool]:
    """Store the member's choices: the given (purpose, channel) pairs on, every other one off."""
    picked = parse_choices(enabled)
    begin_write(session)
    session.exec(delete(NotifyPreference).where(NotifyPreference.member_id == member_id,
                                                NotifyPreference.purpose != CONSENT))
    session.add_all([NotifyPreference(member_id=member_id, purpose=p, channel=c, enabled=(p, c) in picked)
                     for p in CHOOSABLE if p not in ALWAYS for c in SENDING_CHANNELS])
    session.commit()
    return grid(session, member_id=member_id)


def channel_withdrawn(session: Session, *, member_id: int, channel: str) -> bool:
    """Whether the member withdrew their consent to a sending channel (push, SMS)."""
    return session.exec(select(NotifyPreference.enabled).where(
        NotifyPreference.member_id == member_id, NotifyPreference.purpose == CONSENT,
        NotifyPreference.channel == channel, NotifyPreference.enabled.is_(False))).first() is not None


def withdraw_channel(session: Session, *, member_id: int, channel: str, commit: bool = True) -> bool:
    """Withdraw the member's consent to a channel: nothing more is sent by it; True when it was not withdrawn yet."""
    if channel not in SENDING_CHANNELS:
        raise DomainError("unknown_channel", _l("That choice is not one of the channels offered."))
    begin_write(session)
    if channel_withdrawn(session, member_id=member_id, channel=channel):
        if commit:
            session.commit()
        return False
    session.exec(delete(NotifyPreference).where(NotifyPreference.member_id == member_id,
                                                NotifyPreference.purpose == CONSENT,
                                                NotifyPreference.channel == channel))
    session.add(NotifyPreference(member_id=member_id, purpose=CONSENT, channel=channel, enabled=False))
    session.flush()
    from sqlalchemy import update

    from models import Delivery, utcnow

    session.exec(update(Delivery).where(Delivery.member_id == member_id, Delivery.channel == channel,
                                        Delivery.status == "pending", Delivery.claimed_at.is_(None))
                 .values(status="cancelled", failed_at=utcnow(), last_error="consent withdrawn"))
    if commit:
        session.commit()
    return True


def allow_channel(session: Session, *, member_id: int, channel: str, commit: bool = True) -> bool:
    """Give the consent to a channel back; True when it had been withdrawn."""
    if channel not in SENDING_CHANNELS:
        raise DomainError("unknown_channel", _l("That choice is not one of the channels offered."))
    begin_write(session)
    done = session.exec(delete(NotifyPreference).where(
        NotifyPreference.member_id == member_id, NotifyPreference.purpose == CONSENT,
        NotifyPreference.channel == channel)).rowcount
    if commit:
        session.commit()
    return bool(done)


__all__ = ["CONSENT", "PUSH", "allow_channel", "allows", "channel_withdrawn", "grid", "parse_choices", "refusals",
           "save", "withdraw_channel"]
