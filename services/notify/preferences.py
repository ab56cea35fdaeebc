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


def chunks(ids, size: int = CHUNK):
    """A long id list in pieces small enough for one IN (...)."""
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def refusals(session: Session, *, member_ids, purpose: str) -> set[tuple[int, str]]:
    """(member, channel) pairs that turned `purpose` off, among `member_ids`."""
    if purpose in ALWAYS:
        return set()
    found: set[tuple[int, str]] = set()
    for part in chunks(sorted(set(member_ids))):
        found.update(session.exec(select(NotifyPreference.member_id, NotifyPreference.channel).where(
            NotifyPreference.member_id.in_(part), NotifyPreference.purpose == purpose,
            NotifyPreference.enabled.is_(False))).all())
    return found


def allows(session: Session, *, member_id: int, purpose: str, channel: str) -> bool:
    """Whether the member lets `purpose` come by `channel` (the inbox always)."""
    if purpose in ALWAYS or channel not in SENDING_CHANNELS:
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
    session.exec(delete(NotifyPreference).where(NotifyPreference.member_id == member_id))
    session.add_all([NotifyPreference(member_id=member_id, purpose=p, channel=c, enabled=(p, c) in picked)
                     for p in CHOOSABLE if p not in ALWAYS for c in SENDING_CHANNELS])
    session.commit()
    return grid(session, member_id=member_id)


__all__ = ["PUSH", "allows", "grid", "parse_choices", "refusals", "save"]
