"""The dashboard: a branch's quarter at a glance, or a committee's branches side by side.

Everything for every branch under the unit in a fixed number of queries (about 17), whatever the
number of branches or members: compliance and attendance from services.meetings, per-member figures
(figures.py), and the counts of what waits for the secretary.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from models import CheckIn, CheckinStatus, Member, OrgUnit, ProgressStatus, StudyProgress
from models.db import unscoped
from services import meetings
from services.accounts import Principal
from services.workspace.common import branches_under, get_unit, local_now, quarter_of, tz
from services.workspace.figures import HOUR_BUCKETS, hour_bucket, member_figures

TREND_MEETINGS = 12  # the attendance trend shows this many of the latest held meetings


@dataclass
class BranchBoard:
    """One branch's figures on the dashboard."""

    unit: OrgUnit
    members: int = 0
    compliance: object = None  # meetings.BranchCompliance
    rates: list = field(default_factory=list)  # meetings.MeetingRate, oldest first
    hours: list[int] = field(default_factory=lambda: [0] * len(HOUR_BUCKETS))  # members per bar
    idle: int = 0  # no service in 90 days
    study_met: int = 0
    study_on_track: int = 0  # on track (met included)
    study_behind: int = 0
    pending_hours: int = 0
    pending_leave: int = 0
    pending_reports: int = 0

    @property
    def compliance_required(self) -> int:
        return sum(r.required for r in self.compliance.rules) if self.compliance else 0

    @property
    def compliance_held(self) -> int:
        return sum(r.held for r in self.compliance.rules) if self.compliance else 0

    @property
    def compliance_overdue(self) -> int:
        return self.compliance.overdue if self.compliance else 0

    @property
    def attendance_rate(self) -> int | None:
        """Present over invited, across the held meetings of the trend (percent)."""
        invited = sum(r.invited for r in self.rates)
        return round(100 * sum(r.present for r in self.rates) / invited) if invited else None

    @property
    def waiting(self) -> int:
        return self.pending_hours + self.pending_leave + self.pending_reports


@dataclass
class Dashboard:
    """The unit shown, its branches' boards, the quarter and today."""

    unit: OrgUnit
    boards: list[BranchBoard]
    year: int
    quarter: int
    today: date

    @property
    def single(self) -> bool:
        return len(self.boards) == 1 and self.boards[0].unit.id == self.unit.id

    @property
    def hour_labels(self) -> list[str]:
        return [label for _bound, label in HOUR_BUCKETS]

    def total(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.boards)


def dashboard(session: Session, principal: Principal, *, unit_id: int, year: int | None = None,
              quarter: int | None = None, now: datetime | None = None) -> Dashboard:
    """The dashboard of a unit in the person's workspace (NotFound for any other)."""
    today = local_now(now).date()
    year = year or today.year
    quarter = quarter or (quarter_of(today) if year == today.year else 4)
    unit = get_unit(session, principal, unit_id)
    branches = branches_under(session, unit)
    return Dashboard(unit=unit, boards=boards(session, branches=branches, year=year, quarter=quarter, now=now),
                     year=year, quarter=quarter, today=today)


def boards(session: Session, *, branches: list[OrgUnit], year: int, quarter: int,
           now: datetime | None = None) -> list[BranchBoard]:
    """The boards of these branches (the caller checked they may be seen); a fixed number of queries."""
    if not branches:
        return []
    today = local_now(now).date()
    ids = [b.id for b in branches]
    out = {b.id: BranchBoard(unit=b) for b in branches}
    for item in meetings.compliance(session, unit_ids=ids, year=year, quarter=quarter, now=now):
        if item.unit.id in out:
            out[item.unit.id].compliance = item
    since = datetime.combine(date(year, 1, 1) - timedelta(days=183), time(0), tzinfo=tz())
    rates = defaultdict(list)
    for rate in meetings.attendance_rates(session, unit_ids=ids, since=since, now=now):
        if rate.invited:
            rates[rate.meeting.org_unit_id].append(rate)
    for branch_id, items in rates.items():
        out[branch_id].rates = items[-TREND_MEETINGS:]
    for fig in member_figures(session, branch_ids=ids, year=year, now=now).values():
        board = out[fig.branch_id]
        board.members += 1
        board.hours[hour_bucket(fig.service_minutes)] += 1
        board.idle += fig.idle(today)
        if fig.study_half >= fig.target_half:
            board.study_met += 1
        if fig.study_behind(min(today, date(year, 12, 31))):
            board.study_behind += 1
        else:
            board.study_on_track += 1
    for leave in meetings.pending_leave_requests(session, unit_ids=ids, now=now):
        out[leave.meeting.org_unit_id].pending_leave += 1
    with unscoped(session):
        for branch_id, n in session.exec(
                select(CheckIn.org_unit_id, func.count(CheckIn.id))
                .where(CheckIn.org_unit_id.in_(ids), CheckIn.status == CheckinStatus.pending)
                .group_by(CheckIn.org_unit_id)).all():
            out[branch_id].pending_hours = int(n)
        for branch_id, n in session.exec(
                select(Member.org_unit_id, func.count(StudyProgress.id))
                .join(Member, Member.id == StudyProgress.member_id)
                .where(Member.org_unit_id.in_(ids), StudyProgress.status == ProgressStatus.submitted)
                .group_by(Member.org_unit_id)).all():
            out[branch_id].pending_reports = int(n)
    return list(out.values())
