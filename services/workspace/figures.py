"""Per-member figures of the branches in a workspace: service hours, study 学时, roles; a fixed number of queries.

The dashboard, the member list's filters, the rating and the exports all read these.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from models import CheckIn, CheckinStatus, Member, MemberStatus, ProgressStatus, Role, RoleName, StudyProgress
from models.db import unscoped
from services.workspace.common import cfg, local_now

COUNTED = (CheckinStatus.counted, CheckinStatus.approved)
IDLE_DAYS = 90
# Service hours per member this year: the bars of the distribution (upper bounds in hours, None: no bound).
HOUR_BUCKETS = ((0, "0"), (4, "0–4"), (10, "4–10"), (20, "10–20"), (None, "20+"))


@dataclass
class MemberFigures:
    """One member with this year's service minutes, the last service day, this year's study half hours."""

    id: int
    name: str
    phone: str
    branch_id: int
    group_id: int | None
    status: str
    joined_on: date | None
    must_change_password: bool
    leader: bool = False
    service_minutes: int = 0
    last_service: date | None = None
    study_half: int = 0

    @property
    def service_hours(self) -> float:
        return round(self.service_minutes / 60, 1)

    @property
    def target_half(self) -> int:
        return 2 * int(cfg("STUDY_TARGET_LEADER", 56) if self.leader else cfg("STUDY_TARGET_MEMBER", 32))

    def idle(self, today: date) -> bool:
        """No counted service in the last 90 days."""
        return self.last_service is None or self.last_service < today - timedelta(days=IDLE_DAYS)

    def study_expected_half(self, today: date) -> int:
        """How many half hours someone on track has by `today` (the target spread over the year)."""
        start = date(today.year, 1, 1)
        days = (date(today.year + 1, 1, 1) - start).days
        return int(self.target_half * ((today - start).days + 1) / days)

    def study_behind(self, today: date) -> bool:
        return self.study_half < self.study_expected_half(today)


def member_figures(session: Session, *, branch_ids, year: int | None = None, now: datetime | None = None,
                   active_only: bool = True) -> dict[int, MemberFigures]:
    """Every (active) member of the branches with their figures for `year` (this year by default). Four queries.

    The caller has checked the person may see these branches.
    """
    today = local_now(now).date()
    year = year or today.year
    ids = sorted({int(b) for b in branch_ids}) or [-1]
    start, end = date(year, 1, 1), date(year, 12, 31)
    idle_from = today - timedelta(days=IDLE_DAYS)
    with unscoped(session):
        query = select(Member.id, Member.name, Member.phone, Member.org_unit_id, Member.group_id, Member.status,
                       Member.joined_on, Member.must_change_password).where(Member.org_unit_id.in_(ids))
        if active_only:
            query = query.where(Member.is_active.is_(True))
        out = {row[0]: MemberFigures(id=row[0], name=row[1], phone=row[2], branch_id=row[3], group_id=row[4],
                                     status=MemberStatus(row[5]).value, joined_on=row[6],
                                     must_change_password=bool(row[7]))
               for row in session.exec(query.order_by(Member.name, Member.id)).all()}
        if not out:
            return out
        in_branches = select(Member.id).where(Member.org_unit_id.in_(ids))
        for member_id in session.exec(select(Role.member_id).where(
                Role.member_id.in_(in_branches), Role.role.in_([RoleName.secretary, RoleName.committee]))).all():
            if member_id in out:
                out[member_id].leader = True
        in_year = (CheckIn.service_day >= start) & (CheckIn.service_day <= end)
        for member_id, minutes, last in session.exec(
                select(CheckIn.member_id, func.sum(case((in_year, CheckIn.credited_minutes), else_=0)),
                       func.max(CheckIn.service_day))
                .where(CheckIn.member_id.in_(in_branches), CheckIn.status.in_(COUNTED),
                       CheckIn.service_day >= min(start, idle_from), CheckIn.service_day <= max(end, today))
                .group_by(CheckIn.member_id)).all():
            if member_id in out:
                out[member_id].service_minutes = int(minutes or 0)
                out[member_id].last_service = last
        for member_id, half in session.exec(
                select(StudyProgress.member_id, func.sum(StudyProgress.credited_half))
                .where(StudyProgress.member_id.in_(in_branches), StudyProgress.credit_year == year,
                       StudyProgress.status == ProgressStatus.completed)
                .group_by(StudyProgress.member_id)).all():
            if member_id in out:
                out[member_id].study_half = int(half or 0)
    return out


def hour_bucket(minutes: int) -> int:
    """The index of the distribution bar for this many minutes of service."""
    hours = minutes / 60
    if minutes <= 0:
        return 0
    for i, (bound, _label) in enumerate(HOUR_BUCKETS[1:], start=1):
        if bound is None or hours < bound:
            return i
    return len(HOUR_BUCKETS) - 1
