"""What the meeting modules share: labels, local time, settings, who may see or run a meeting, the write guard."""
from datetime import datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import (InviteRole, Meeting, MeetingInvite, MeetingKind, MeetingSettings, OrgUnit, Role, RoleName,
                    utcnow)
from models.db import ALL_ORGS, unscoped
from services.accounts import Principal
from services.accounts.orgs import led_subtree_ids
from services.errors import DomainError, Forbidden, NotFound

KIND_LABELS = {
    MeetingKind.branch_assembly: _l("Branch member assembly"),
    MeetingKind.committee: _l("Branch committee meeting"),
    MeetingKind.group: _l("Party group meeting"),
    MeetingKind.lecture: _l("Party lecture"),
    MeetingKind.theme_day: _l("Theme Party day"),
    MeetingKind.life_meeting: _l("Organisational life meeting"),
    MeetingKind.review: _l("Democratic appraisal of members"),
}
ATTENDANCE_LABELS = {
    "present": _l("Present"), "late": _l("Late"), "leave": _l("On leave"), "absent": _l("Absent without leave"),
}
COUNTED_ROLES = (InviteRole.attendee, InviteRole.observer)  # on the list (a scan request is not, until admitted)
DEFAULT_REMINDERS = [1440, 60]
MAX_LENGTH = timedelta(hours=12)


def writes(fn):
    """A write service: whatever it raises, the session is rolled back, so nothing is half-written."""

    @wraps(fn)
    def wrapper(session, *args, **kwargs):
        try:
            return fn(session, *args, **kwargs)
        except Exception:
            session.rollback()
            raise

    return wrapper


def cfg(name: str, default):
    """A setting from the app's config, or its default outside an app."""
    return current_app.config.get(name, default) if has_app_context() else default


def tz() -> ZoneInfo:
    """The city's time zone (times are stored UTC and shown in it)."""
    return ZoneInfo(cfg("TIMEZONE", "Asia/Shanghai"))


def local(moment: datetime) -> datetime:
    """An aware moment in the city's time."""
    return moment.astimezone(tz())


def kind_label(kind) -> str:
    """The meeting kind in the member's language."""
    known = MeetingKind._value2member_map_.get(kind)
    return str(KIND_LABELS.get(known, "")) if known is not None else ""


def is_over(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether the meeting has ended."""
    return meeting.ends_at <= (now or utcnow())


def has_started(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether the meeting has started."""
    return meeting.starts_at <= (now or utcnow())


def code_opens_at(meeting: Meeting) -> datetime:
    """When the attendance code starts to work (30 minutes before the start by default)."""
    return meeting.starts_at - timedelta(minutes=int(cfg("MEETING_CODE_OPENS_MINUTES", 30)))


# -- settings --------------------------------------------------------------------------------------------------

def settings_of(session: Session, unit_id: int) -> MeetingSettings:
    """A branch's meeting settings (defaults when it has none saved; not added to the session)."""
    with unscoped(session):
        row = session.exec(select(MeetingSettings).where(MeetingSettings.org_unit_id == unit_id)).first()
    return row or MeetingSettings(org_unit_id=unit_id, reminder_minutes=list(DEFAULT_REMINDERS),
                                  important_kinds=[MeetingKind.branch_assembly.value])


def settings_for(session: Session, unit_ids) -> dict[int, MeetingSettings]:
    """Settings of many branches in one query (defaults for those with none)."""
    ids = sorted(set(unit_ids))
    with unscoped(session):
        rows = {s.org_unit_id: s for s in session.exec(
            select(MeetingSettings).where(MeetingSettings.org_unit_id.in_(ids or [-1]))).all()}
    return {i: rows.get(i) or MeetingSettings(org_unit_id=i, reminder_minutes=list(DEFAULT_REMINDERS),
                                               important_kinds=[MeetingKind.branch_assembly.value]) for i in ids}


# -- who may see and run a meeting -------------------------------------------------------------------------------

def leads(session: Session, principal: Principal, unit_id: int) -> bool:
    """Whether the person runs this unit (secretary or committee member of it or above, or an admin)."""
    if principal.is_admin:
        return True
    if not principal.led_org_ids:
        return False
    reach = led_subtree_ids(session, principal)
    return reach == ALL_ORGS or unit_id in reach


def get_meeting_led(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    """A meeting of a branch the person runs, or NotFound (the same for everyone else's)."""
    with unscoped(session):
        meeting = session.get(Meeting, meeting_id)
    if meeting is None or not leads(session, principal, meeting.org_unit_id):
        raise NotFound()
    return meeting


def own_invite(session: Session, member_id: int, meeting_id: int) -> MeetingInvite | None:
    """The member's row on a meeting's list, if any."""
    with unscoped(session):
        return session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == meeting_id,
                                                        MeetingInvite.member_id == member_id)).first()


def get_meeting_seen(session: Session, principal: Principal, meeting_id: int
                     ) -> tuple[Meeting, MeetingInvite | None, bool]:
    """A meeting the person is on the list of or runs: (meeting, their invite, whether they run it); else NotFound."""
    with unscoped(session):
        meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    invite = own_invite(session, principal.id, meeting.id)
    runs = leads(session, principal, meeting.org_unit_id)
    if not runs and (invite is None or invite.role not in COUNTED_ROLES):
        raise NotFound()
    return meeting, invite, runs


def require_runs(session: Session, principal: Principal, unit_id: int) -> OrgUnit:
    """A branch the person runs, or NotFound."""
    with unscoped(session):
        unit = session.get(OrgUnit, unit_id)
    if unit is None or unit.kind != "branch" or not leads(session, principal, unit.id):
        raise NotFound()
    return unit


def can_decide_leave(session: Session, principal: Principal, meeting: Meeting) -> bool:
    """The branch's secretary (or a secretary above it), the committee member on duty, or an admin."""
    if principal.is_admin:
        return True
    if not leads(session, principal, meeting.org_unit_id):
        return False
    if settings_of(session, meeting.org_unit_id).duty_member_id == principal.id:
        return True
    with unscoped(session):
        unit = session.get(OrgUnit, meeting.org_unit_id)
        above = [int(p) for p in unit.path.strip("/").split("/") if p]
        return session.exec(select(Role.id).where(Role.member_id == principal.id, Role.role == RoleName.secretary,
                                                  Role.org_unit_id.in_(above))).first() is not None


def require_leave_decider(session: Session, principal: Principal, meeting: Meeting) -> None:
    """Refuse anyone but the secretary and the committee member on duty."""
    if not can_decide_leave(session, principal, meeting):
        raise Forbidden(_l("Only the branch secretary or the committee member on duty can decide leave requests."))


def refuse(code: str, message, status: int = 400):
    """Raise a broken rule with its message (a lazy text stays lazy: the worker and load tests have no request)."""
    error = DomainError(code, code, status=status)
    error.message = message
    raise error
