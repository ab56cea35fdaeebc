"""Read views: a member's meetings (upcoming, past, this year's attendance, the home card), a branch's list for
its secretary, and the read functions the workspace builds on (attendance rates, absent streaks, pending leave).
Each runs a fixed number of queries."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from models import (Attendance, InviteRole, LeaveStatus, Meeting, MeetingInvite, MeetingMinutes, Member, OrgUnit,
                    Rsvp, Station, utcnow)
from models.db import unscoped
from services.accounts import Principal
from services.meetings.common import COUNTED_ROLES, is_over, local, require_runs
from services.meetings.attendance import effective


@dataclass
class MyMeeting:
    """A meeting on the member's list, with their row."""

    meeting: Meeting
    invite: MeetingInvite
    place: str = ""

    @property
    def answer(self) -> str:
        """none, attend, leave_pending, leave_approved, leave_returned."""
        i = self.invite
        if i.rsvp == Rsvp.attend:
            return "attend"
        if i.rsvp == Rsvp.leave:
            status = i.leave_status.value if hasattr(i.leave_status, "value") else i.leave_status
            return f"leave_{status or 'pending'}"
        return "none"

    @property
    def attended(self) -> str | None:
        return effective(self.invite, is_over(self.meeting)) if self.invite.role == InviteRole.attendee else \
            (self.invite.attendance.value if hasattr(self.invite.attendance, "value") else self.invite.attendance)


def places(session: Session, meetings: list[Meeting]) -> dict[int, str]:
    """Where each meeting is, in words (station names in one query)."""
    ids = {m.station_id for m in meetings if m.station_id}
    names = dict(session.exec(select(Station.id, Station.name).where(Station.id.in_(ids or [-1]))).all()) if ids else {}
    return {m.id: names.get(m.station_id, "") if m.station_id else (m.place_text or m.online_url) for m in meetings}


def _mine(session: Session, member_id: int, *where, order=None, limit: int | None = None) -> list[MyMeeting]:
    with unscoped(session):
        query = (select(Meeting, MeetingInvite).join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
                 .where(MeetingInvite.member_id == member_id, MeetingInvite.role.in_(COUNTED_ROLES), *where)
                 .order_by(*(order or [Meeting.starts_at])))
        if limit:
            query = query.limit(limit)
        rows = session.exec(query).all()
        where_ = places(session, [m for m, _i in rows])
    return [MyMeeting(m, i, where_[m.id]) for m, i in rows]


@dataclass
class Overview:
    """The 会议 tab: upcoming and past meetings, and this year's attendance."""

    upcoming: list[MyMeeting]
    past: list[MyMeeting]
    year: int
    counts: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> int | None:
        total = sum(self.counts.values())
        return round(100 * (self.counts["present"] + self.counts["late"]) / total) if total else None


def overview(session: Session, principal: Principal, *, now: datetime | None = None) -> Overview:
    """A member's meetings: upcoming (cancelled ones shown as such), the past year's, this year's attendance."""
    now = now or utcnow()
    upcoming = _mine(session, principal.id, Meeting.ends_at > now)
    past = _mine(session, principal.id, Meeting.ends_at <= now, Meeting.starts_at >= now - timedelta(days=400),
                 order=[Meeting.starts_at.desc()])
    year = local(now).year
    counts = Counter(p.attended for p in past
                     if p.meeting.cancelled_at is None and local(p.meeting.starts_at).year == year
                     and p.invite.role == InviteRole.attendee and p.attended)
    return Overview(upcoming=upcoming, past=past, year=year, counts=counts)


def next_meeting(session: Session, principal: Principal, *, now: datetime | None = None) -> MyMeeting | None:
    """The member's next meeting (not cancelled, not over), for the home card."""
    now = now or utcnow()
    found = _mine(session, principal.id, Meeting.ends_at > now, Meeting.cancelled_at.is_(None), limit=1)
    return found[0] if found else None


@dataclass
class UnitMeeting:
    """A meeting of a branch with its answers counted, for the secretary's list."""

    meeting: Meeting
    invited: int = 0
    attending: int = 0
    leave_pending: int = 0
    silent: int = 0
    present: int = 0
    locked: bool = False


def unit_meetings(session: Session, principal: Principal, *, unit_id: int, now: datetime | None = None
                  ) -> tuple[OrgUnit, list[UnitMeeting], list[UnitMeeting]]:
    """A branch's upcoming meetings and those of the past year, each with its answers (three queries)."""
    now = now or utcnow()
    unit = require_runs(session, principal, unit_id)
    with unscoped(session):
        meetings = list(session.exec(select(Meeting).where(
            Meeting.org_unit_id == unit.id, Meeting.starts_at >= now - timedelta(days=400))
            .order_by(Meeting.starts_at)).all())
        ids = [m.id for m in meetings] or [-1]
        counts = session.exec(
            select(MeetingInvite.meeting_id, func.count(),
                   func.sum(case((MeetingInvite.rsvp == Rsvp.attend, 1), else_=0)),
                   func.sum(case((and_(MeetingInvite.rsvp == Rsvp.leave,
                                       MeetingInvite.leave_status == LeaveStatus.pending), 1), else_=0)),
                   func.sum(case((MeetingInvite.rsvp.is_(None), 1), else_=0)),
                   func.sum(case((MeetingInvite.attendance.in_([Attendance.present, Attendance.late]), 1), else_=0)))
            .where(MeetingInvite.meeting_id.in_(ids), MeetingInvite.role == InviteRole.attendee)
            .group_by(MeetingInvite.meeting_id)).all()
        locked = set(session.exec(select(MeetingMinutes.meeting_id).where(
            MeetingMinutes.meeting_id.in_(ids), MeetingMinutes.locked_at.is_not(None))).all())
    by_id = {row[0]: row[1:] for row in counts}
    items = []
    for m in meetings:
        n, attend, pending, silent, present = by_id.get(m.id, (0, 0, 0, 0, 0))
        items.append(UnitMeeting(m, int(n or 0), int(attend or 0), int(pending or 0), int(silent or 0),
                                 int(present or 0), m.id in locked))
    upcoming = [i for i in items if i.meeting.ends_at > now]
    past = sorted((i for i in items if i.meeting.ends_at <= now), key=lambda i: i.meeting.starts_at, reverse=True)
    return unit, upcoming, past


# -- for the workspace (issue 13) ---------------------------------------------------------------------------------

@dataclass
class MeetingRate:
    """Attendance of one held meeting: invited (应到), present (incl. late), late, on leave, absent."""

    meeting: Meeting
    invited: int = 0
    present: int = 0
    late: int = 0
    leave: int = 0
    absent: int = 0

    @property
    def rate(self) -> float:
        return self.present / self.invited if self.invited else 0.0


def attendance_rates(session: Session, *, unit_ids, since: datetime, now: datetime | None = None
                     ) -> list[MeetingRate]:
    """Per meeting held since `since` by the given branches (not cancelled, started): invited, present, late,
    on leave, absent (the unmarked count as absent once over, or on leave when approved). Two queries.
    The caller has checked the person may see these units."""
    now = now or utcnow()
    ids = sorted({int(i) for i in unit_ids}) or [-1]
    with unscoped(session):
        meetings = list(session.exec(select(Meeting).where(
            Meeting.org_unit_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.starts_at >= since,
            Meeting.starts_at <= now).order_by(Meeting.starts_at)).all())
        groups = session.exec(
            select(MeetingInvite.meeting_id, MeetingInvite.attendance, MeetingInvite.rsvp, MeetingInvite.leave_status,
                   func.count())
            .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
            .where(Meeting.org_unit_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.starts_at >= since,
                   Meeting.starts_at <= now, MeetingInvite.role == InviteRole.attendee)
            .group_by(MeetingInvite.meeting_id, MeetingInvite.attendance, MeetingInvite.rsvp,
                      MeetingInvite.leave_status)).all()
    rates = {m.id: MeetingRate(m) for m in meetings}
    for meeting_id, attendance, rsvp, leave_status, n in groups:
        on_leave = rsvp == Rsvp.leave and leave_status == LeaveStatus.approved
        rate = rates.get(meeting_id)
        if rate is None:
            continue
        state = attendance.value if hasattr(attendance, "value") else attendance
        if state is None:
            state = "leave" if on_leave else ("absent" if is_over(rate.meeting, now) else None)
        rate.invited += n
        if state in ("present", "late"):
            rate.present += n
            rate.late += n if state == "late" else 0
        elif state == "leave":
            rate.leave += n
        elif state == "absent":
            rate.absent += n
    return list(rates.values())


@dataclass
class Streak:
    """A member absent without leave from each of their last n meetings."""

    member_id: int
    name: str
    meetings: list[Meeting]


def absent_streaks(session: Session, *, unit_id: int, last_n: int = 2, now: datetime | None = None) -> list[Streak]:
    """Members of a branch absent without leave from each of the last `last_n` held meetings they were invited to
    (the past 400 days). One query."""
    now = now or utcnow()
    last_n = max(1, int(last_n))
    with unscoped(session):
        rows = session.exec(
            select(Meeting, MeetingInvite, Member.name)
            .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
            .join(Member, Member.id == MeetingInvite.member_id)
            .where(Meeting.org_unit_id == unit_id, Meeting.cancelled_at.is_(None), Meeting.ends_at <= now,
                   Meeting.starts_at >= now - timedelta(days=400), MeetingInvite.role == InviteRole.attendee,
                   Member.is_active.is_(True))
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())).all()
    recent: dict[int, list] = defaultdict(list)
    names = {}
    for meeting, invite, name in rows:
        if len(recent[invite.member_id]) < last_n:
            recent[invite.member_id].append((meeting, effective(invite, True)))
            names[invite.member_id] = name
    return [Streak(mid, names[mid], [m for m, _s in items])
            for mid, items in sorted(recent.items(), key=lambda kv: names[kv[0]])
            if len(items) == last_n and all(s == "absent" for _m, s in items)]


@dataclass
class PendingLeave:
    """A leave request waiting for the secretary."""

    meeting: Meeting
    invite: MeetingInvite
    name: str


def pending_leave_requests(session: Session, *, unit_ids, now: datetime | None = None) -> list[PendingLeave]:
    """Leave requests not yet decided, for meetings of the given branches not yet over (one query)."""
    now = now or utcnow()
    ids = sorted({int(i) for i in unit_ids}) or [-1]
    with unscoped(session):
        rows = session.exec(
            select(Meeting, MeetingInvite, Member.name)
            .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
            .join(Member, Member.id == MeetingInvite.member_id)
            .where(Meeting.org_unit_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.ends_at > now,
                   MeetingInvite.rsvp == Rsvp.leave, MeetingInvite.leave_status == LeaveStatus.pending)
            .order_by(Meeting.starts_at, Member.name)).all()
    return [PendingLeave(m, i, n) for m, i, n in rows]


@dataclass
class LedBranch:
    """A branch the person runs, with its next meeting (answers counted) and the leave requests waiting."""

    unit: OrgUnit
    next: UnitMeeting | None
    pending: int


def led_overview(session: Session, *, unit_ids, now: datetime | None = None) -> list[LedBranch]:
    """For each branch: its next meeting not yet over (with answers counted) and its pending leave requests.
    Four queries whatever the number of branches; the caller checked the person runs them."""
    now = now or utcnow()
    ids = sorted({int(i) for i in unit_ids}) or [-1]
    with unscoped(session):
        units = list(session.exec(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.name)).all())
        upcoming = session.exec(select(Meeting).where(Meeting.org_unit_id.in_(ids), Meeting.ends_at > now,
                                                      Meeting.cancelled_at.is_(None))
                                .order_by(Meeting.starts_at)).all()
        first: dict[int, Meeting] = {}
        for m in upcoming:
            first.setdefault(m.org_unit_id, m)
        meeting_ids = [m.id for m in first.values()] or [-1]
        counts = {row[0]: row[1:] for row in session.exec(
            select(MeetingInvite.meeting_id, func.count(),
                   func.sum(case((MeetingInvite.rsvp == Rsvp.attend, 1), else_=0)),
                   func.sum(case((and_(MeetingInvite.rsvp == Rsvp.leave,
                                       MeetingInvite.leave_status == LeaveStatus.pending), 1), else_=0)),
                   func.sum(case((MeetingInvite.rsvp.is_(None), 1), else_=0)))
            .where(MeetingInvite.meeting_id.in_(meeting_ids), MeetingInvite.role == InviteRole.attendee)
            .group_by(MeetingInvite.meeting_id)).all()}
        pending = dict(session.exec(
            select(Meeting.org_unit_id, func.count(MeetingInvite.id))
            .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
            .where(Meeting.org_unit_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.ends_at > now,
                   MeetingInvite.rsvp == Rsvp.leave, MeetingInvite.leave_status == LeaveStatus.pending)
            .group_by(Meeting.org_unit_id)).all())
    out = []
    for unit in units:
        m = first.get(unit.id)
        item = None
        if m is not None:
            n, attend, waiting, silent = counts.get(m.id, (0, 0, 0, 0))
            item = UnitMeeting(m, int(n or 0), int(attend or 0), int(waiting or 0), int(silent or 0))
        out.append(LedBranch(unit, item, int(pending.get(unit.id, 0))))
    return out
