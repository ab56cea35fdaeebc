"""A branch's meeting settings: its 固定党日, the lateness grace, the reminder plan, the committee member on duty."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import MeetingKind, MeetingSettings, Member, Role, RoleName, utcnow
from models.db import begin_write, unscoped
from services.accounts import Principal
from services.errors import NotFound
from services.meetings.common import refuse, require_runs, writes


@writes
def save_settings(session: Session, principal: Principal, *, unit_id: int, fixed_day: int | None,
                  late_grace_minutes: int, reminder_minutes: list[int], important_kinds: list[str],
                  duty_member_id: int | None, now: datetime | None = None) -> MeetingSettings:
    """Save a branch's settings (the reminders of meetings already scheduled follow at their next change)."""
    if fixed_day is not None and not 1 <= int(fixed_day) <= 28:
        refuse("bad_day", _l("The fixed Party day is a day of the month from 1 to 28."))
    if not 0 <= int(late_grace_minutes) <= 120:
        refuse("bad_grace", _l("Lateness grace is 0 to 120 minutes."))
    offsets = sorted({int(m) for m in reminder_minutes}, reverse=True)
    if len(offsets) > 4 or any(not 5 <= m <= 60 * 24 * 14 for m in offsets):
        refuse("bad_reminders", _l("Choose up to four reminder times between 5 minutes and 14 days before."))
    kinds = sorted({k for k in important_kinds})
    if any(k not in MeetingKind._value2member_map_ for k in kinds):
        refuse("bad_kind", _l("Choose the kind of meeting, who attends and where."))
    begin_write(session)
    unit = require_runs(session, principal, unit_id)
    if duty_member_id is not None:
        with unscoped(session):
            on_committee = session.exec(select(Role.id).join(Member, Member.id == Role.member_id).where(
                Role.member_id == duty_member_id, Role.org_unit_id == unit.id, Member.is_active.is_(True),
                Role.role.in_([RoleName.committee, RoleName.secretary]))).first()
        if on_committee is None:
            raise NotFound(_l("The member on duty must be on the branch committee."))
    with unscoped(session):
        row = session.exec(select(MeetingSettings).where(MeetingSettings.org_unit_id == unit.id)).first()
    row = row or MeetingSettings(org_unit_id=unit.id)
    row.fixed_day = int(fixed_day) if fixed_day else None
    row.late_grace_minutes = int(late_grace_minutes)
    row.reminder_minutes, row.important_kinds = offsets, kinds
    row.duty_member_id, row.updated_at = duty_member_id, now or utcnow()
    session.add(row)
    session.commit()
    return row
