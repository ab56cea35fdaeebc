"""The member's consents, each seen and withdrawn on its own: location (ranking stations near them), Web Push
(messages to their devices) and text messages. Withdrawing one never closes anything else of the app."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import PushSubscription, utcnow
from models.db import begin_write
from services import audit, notify, stations
from services.errors import DomainError
from services.privacy.common import get_member

KINDS = ("location", "push", "sms")


@dataclass(frozen=True)
class Consent:
    """One consent as the privacy page shows it."""

    kind: str
    given: bool
    since: datetime | None = None
    devices: int = 0


def forget_devices(session: Session, *, member_id: int) -> int:
    """Delete the member's push devices at once (the notifications domain's own function when it has one)."""
    own = getattr(notify, "forget_devices", None)
    if own is not None:
        return own(session, member_id=member_id, commit=False)
    begin_write(session)
    return session.execute(delete(PushSubscription).where(PushSubscription.member_id == member_id)).rowcount


def consents(session: Session, *, member_id: int) -> list[Consent]:
    """Location, push and SMS: whether each is given (push: on how many devices)."""
    located = stations.consent_of(session, member_id=member_id)
    devices = session.execute(select(func.count(PushSubscription.id)).where(
        PushSubscription.member_id == member_id)).scalar_one()
    return [
        Consent("location", located is not None, located),
        Consent("push", devices > 0, devices=devices),  # subscribing a device is the consent; deleting them all withdraws it
        Consent("sms", not notify.channel_withdrawn(session, member_id=member_id, channel="sms")),
    ]


def _kind(kind) -> str:
    if kind not in KINDS:
        raise DomainError("unknown_consent", _l("That is not one of the consents listed."), status=404)
    return kind


def withdraw(session: Session, *, member_id: int, kind: str, now: datetime | None = None) -> bool:
    """Withdraw one consent now; True when there was one to withdraw (nothing is written otherwise)."""
    kind = _kind(kind)
    now = now or utcnow()
    member = get_member(session, member_id)
    if kind == "location":
        changed = stations.withdraw_consent(session, member_id=member.id)
        begin_write(session)
    else:
        begin_write(session)
        if kind == "push":
            changed = forget_devices(session, member_id=member.id) > 0
        else:
            changed = notify.withdraw_channel(session, member_id=member.id, channel="sms", commit=False)
    if changed:
        audit.record(session, actor=member.id, action="privacy.consent", member=member.id, unit=member.org_unit_id,
                     target=f"consent:{kind}", before={kind: "given"}, after={kind: "withdrawn"}, now=now)
    session.commit()
    return changed


def allow(session: Session, *, member_id: int, kind: str) -> bool:
    """Give the SMS consent back (location is asked for on the map, push when a device is switched on)."""
    kind = _kind(kind)
    if kind != "sms":
        raise DomainError("ask_where_used", _l("This consent is asked for where it is used: location on the map, "
                                               "push messages in the reminder settings."))
    get_member(session, member_id)
    return notify.allow_channel(session, member_id=member_id, channel=kind)
