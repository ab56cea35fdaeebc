"""Attendance per held meeting for many branches at once: one grouped query, no meeting objects loaded.

The same counting rule as services.meetings (attendance_rates): an attendee's mark, else approved leave, else
absent once the meeting is over. The committee dashboard reads thousands of meetings; this keeps it to one
aggregate row per meeting.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from models import Attendance, InviteRole, LeaveStatus, Meeting, MeetingInvite, Rsvp, utcnow
from models.db import unscoped


@dataclass
class Rate:
    """A held meeting's attendance: invited (应到), present (late included), late, on leave, absent."""

    id: int
    org_unit_id: int
    title: str
    starts_at: datetime
    invited: int
    present: int
    late: int
    leave: int
    absent: int

    @property
    def rate(self) -> float:
        return self.present / self.invited if self.invited else 0.0


def rates(session: Session, *, unit_ids, since: datetime, now: datetime | None = None) -> list[Rate]:
    """Per meeting of the branches started between `since` and now (not cancelled), oldest first. One query;
    the caller has checked the person may see these branches."""
    now = now or utcnow()
    ids = sorted({int(i) for i in unit_ids}) or [-1]
    i = MeetingInvite
    on_leave = and_(i.attendance.is_(None), i.rsvp == Rsvp.leave, i.leave_status == LeaveStatus.approved)
    unmarked = and_(i.attendance.is_(None), or_(i.rsvp.is_(None), i.rsvp != Rsvp.leave,
                                                 i.leave_status.is_(None), i.leave_status != LeaveStatus.approved))
    total = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    query = (select(Meeting.id, Meeting.org_unit_id, Meeting.title, Meeting.starts_at, Meeting.ends_at, func.count(i.id),
                    total(i.attendance.in_([Attendance.present, Attendance.late])), total(i.attendance == Attendance.late),
                    total(or_(i.attendance == Attendance.leave, on_leave)), total(i.attendance == Attendance.absent),
                    total(unmarked))
             .join(i, i.meeting_id == Meeting.id)
             .where(Meeting.org_unit_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.starts_at >= since,
                    Meeting.starts_at <= now, i.role == InviteRole.attendee)
             .group_by(Meeting.id, Meeting.org_unit_id, Meeting.title, Meeting.starts_at, Meeting.ends_at)
             .order_by(Meeting.starts_at, Meeting.id))
    with unscoped(session):
        rows = session.exec(query).all()
    return [Rate(id=mid, org_unit_id=unit, title=title, starts_at=starts, invited=int(n), present=int(p or 0),
                 late=int(late or 0), leave=int(leave or 0),
                 absent=int(absent or 0) + (int(rest or 0) if ends <= now else 0))
            for mid, unit, title, starts, ends, n, p, late, leave, absent, rest in rows]
