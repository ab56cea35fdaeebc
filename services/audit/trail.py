"""Reading the trail: a secretary sees the entries of the units they run, an administrator all of them."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlmodel import Session

from models import Member
from models.audit import AuditEntry
from models.db import ALL_ORGS, unscoped
from services.accounts import orgs
from services.accounts.principal import Principal
from services.audit.actions import ACTIONS, label
from services.errors import DomainError

MAX_ID = 2**31 - 1
PAGE = 50


@dataclass(frozen=True)
class Filters:
    """A checked trail filter: member, action, first and last local day (each optional)."""

    member_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def args(self) -> dict:
        """The filter as query arguments (for links to the next page)."""
        return {k: v for k, v in (("member", self.member_id), ("action", self.action),
                                  ("since", self.since.isoformat() if self.since else None),
                                  ("until", self.until.isoformat() if self.until else None)) if v}


@dataclass(frozen=True)
class Row:
    """One entry as the trail screen shows it."""

    id: int
    at: datetime
    action: str
    action_label: str
    actor: str
    member: str
    member_id: int | None
    target: str
    before: str
    after: str
    before_items: tuple = ()
    after_items: tuple = ()


# How the trail names the fields of before/after (a field without a name shows as it is stored).
FIELD_LABELS = {
    "status": _l("Status"), "credited_minutes": _l("Minutes credited"), "minutes": _l("Minutes"),
    "checked_out_at": _l("Checked out at"), "station_id": _l("Station"), "day": _l("Day"),
    "attendance": _l("Attendance"), "mark_method": _l("How marked"), "role": _l("Role"),
    "leave_status": _l("Leave"), "locked": _l("Locked"), "host_id": _l("Host"), "recorder_id": _l("Recorder"),
    "marked_at_lock": _l("Marked when locked"), "addendum_id": _l("Addendum"), "text": _l("Text"),
    "org_unit_id": _l("Branch"), "group_id": _l("Group"), "joined_on": _l("Joined"),
    "must_change_password": _l("Must set a new password"), "sessions_ended": _l("Signed out everywhere"),
    "rows": _l("Rows"), "member_ids": _l("Members"), "created": _l("Added"), "updated": _l("Updated"),
    "unchanged": _l("Unchanged"), "checkin_mode": _l("Check-in mode"), "geofence_radius_m": _l("Radius (m)"),
    "is_active": _l("Active"), "due_at": _l("Takes effect"), "cancelled": _l("Cancelled"), "subject": _l("About"),
    "field": _l("Field"), "anonymised": _l("Anonymised"), "location": _l("Location"), "push": _l("Push"),
    "sms": _l("Text messages"),
}


def _shown(value) -> str:
    if value is True:
        return str(_l("yes"))
    if value is False:
        return str(_l("no"))
    if value is None:
        return "—"
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value[:20]) + ("…" if len(value) > 20 else "")
    if isinstance(value, dict):
        return "；".join(f"{k}: {_shown(v)}" for k, v in list(value.items())[:20])
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:  # stored in UTC, shown in the city's time like every other time
            moment = moment.astimezone(_tz())
            return f"{moment.year}/{moment.month}/{moment.day} {moment:%H:%M}"
    return str(value)


def items(text: str) -> tuple:
    """A stored before/after as (field name, value) pairs for people."""
    import json

    try:
        values = json.loads(text or "{}")
    except ValueError:
        return ((str(_l("Value")), text),)
    if not isinstance(values, dict):
        return ((str(_l("Value")), _shown(values)),)
    return tuple((str(FIELD_LABELS.get(k, k)), _shown(v)) for k, v in values.items())


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai")


def _day(raw, name) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DomainError("bad_filter", _l("The %(name)s date is not a date: write it as 2026-07-01.", name=name))
    if not 2000 <= day.year <= 2100:
        raise DomainError("bad_filter", _l("The %(name)s date is out of range.", name=name))
    return day


def parse_filters(*, member=None, action=None, since=None, until=None) -> Filters:
    """Check a filter typed or edited by hand; DomainError("bad_filter") with a clear message."""
    member_id = None
    raw_member = (member or "").strip() if isinstance(member, str) else member
    if raw_member not in (None, ""):
        try:
            member_id = int(raw_member)
        except (TypeError, ValueError):
            raise DomainError("bad_filter", _l("Choose a member from the list."))
        if not 0 < member_id <= MAX_ID:
            raise DomainError("bad_filter", _l("Choose a member from the list."))
    action = (action or "").strip() or None
    if action is not None and action not in ACTIONS:
        raise DomainError("bad_filter", _l("Choose an action from the list."))
    first, last = _day(since, _l("from")), _day(until, _l("until"))
    if first and last and first > last:
        raise DomainError("bad_filter", _l("The first day is after the last day."))
    return Filters(member_id, action, first, last)


def _reach(session: Session, principal: Principal):
    orgs.require_leader(principal)
    return orgs.led_subtree_ids(session, principal)


def members_for_filter(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The members a person may filter the trail by: those of the units they run (everyone for an admin)."""
    reach = _reach(session, principal)
    query = select(Member.id, Member.name).order_by(Member.name, Member.id)
    if reach != ALL_ORGS:
        query = query.where(or_(Member.org_unit_id.in_(reach or [-1]), Member.group_id.in_(reach or [-1])))
    with unscoped(session):
        return [(mid, name) for mid, name in session.execute(query.limit(2000)).all()]


def entries(session: Session, principal: Principal, *, filters: Filters = Filters(),
            before_id: int | None = None, limit: int = PAGE) -> list[Row]:
    """The trail, newest first, under the filter; a secretary sees only their units' entries."""
    reach = _reach(session, principal)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 200)))
    if reach != ALL_ORGS:
        query = query.where(AuditEntry.org_unit_id.in_(reach or [-1]))
    if filters.member_id:
        query = query.where(AuditEntry.member_id == filters.member_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    tz = _tz()
    if filters.since:
        query = query.where(AuditEntry.created_at >= datetime.combine(filters.since, time(), tz).astimezone(timezone.utc))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tz).astimezone(timezone.utc)
        query = query.where(AuditEntry.created_at < end)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    rows = session.execute(query).scalars().all()
    ids = {r.actor_id for r in rows} | {r.member_id for r in rows}
    ids.discard(None)
    with unscoped(session):
        names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids or [-1]))).all())
    system = str(_l("System"))
    return [Row(id=r.id, at=r.created_at, action=r.action, action_label=label(r.action),
                actor=names.get(r.actor_id, "—") if r.actor_id else system,
                member=names.get(r.member_id, "—") if r.member_id else "", member_id=r.member_id,
                target=r.target, before=r.before, after=r.after, before_items=items(r.before),
                after_items=items(r.after)) for r in rows]


def for_member(session: Session, *, member_id: int) -> list[AuditEntry]:
    """Every entry about a member (their data export)."""
    return list(session.execute(select(AuditEntry).where(AuditEntry.member_id == member_id)
                                .order_by(AuditEntry.id)).scalars().all())
