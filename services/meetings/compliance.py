"""Compliance per quarter: for each branch and each rule of the config table (MEETING_RULES), the meetings
required, held (not cancelled, over, minutes locked) and missing by period, and the next due date.

A fixed number of queries whatever the number of branches (units, branches, groups, held, scheduled).
"""
import calendar as _cal
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, select

from config import MEETING_RULES
from models import Meeting, MeetingKind, MeetingMinutes, OrgKind, OrgUnit, utcnow
from models.db import unscoped
from services.meetings.common import cfg, kind_label, local, tz

PERIOD_LABELS = {"month": _l("monthly"), "quarter": _l("quarterly"), "year": _l("yearly")}


def rules() -> list[dict]:
    """The compliance table in force (config MEETING_RULES)."""
    return [dict(r) for r in cfg("MEETING_RULES", MEETING_RULES)]


@dataclass
class Period:
    """One period of a rule: what it needs and what was held; `state` ok, missing (over and short), open
    (running and short), or future."""

    start: date
    end: date
    required: int
    held: int
    state: str

    @property
    def missing(self) -> int:
        return max(0, self.required - self.held)

    @property
    def label(self) -> str:
        if self.start.month == self.end.month:
            return f"{self.start.month}月"
        if self.start.month == 1 and self.end.month == 12:
            return f"{self.start.year}年"
        return f"{self.start.month}–{self.end.month}月"


@dataclass
class RuleStatus:
    """One rule of one branch in the quarter shown."""

    kind: str
    period: str
    count: int
    periods: list[Period]
    next_due: date | None
    scheduled: datetime | None  # the next scheduled meeting of this kind

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def period_label(self) -> str:
        return str(PERIOD_LABELS.get(self.period, self.period))

    @property
    def required(self) -> int:
        return sum(p.required for p in self.periods)

    @property
    def held(self) -> int:
        return sum(min(p.held, p.required) for p in self.periods)

    @property
    def overdue(self) -> int:
        """Meetings missing in periods that are over."""
        return sum(p.missing for p in self.periods if p.state == "missing")


@dataclass
class BranchCompliance:
    """A branch's compliance in a quarter."""

    unit: OrgUnit
    groups: int
    rules: list[RuleStatus] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rules)

    @property
    def behind(self) -> bool:
        return self.overdue > 0


def _month_end(year: int, month: int) -> date:
    return date(year, month, _cal.monthrange(year, month)[1])


def periods_of(period: str, year: int) -> list[tuple[date, date]]:
    """The periods of a year for a rule (months, quarters or the year)."""
    if period == "month":
        return [(date(year, m, 1), _month_end(year, m)) for m in range(1, 13)]
    if period == "quarter":
        return [(date(year, 3 * q - 2, 1), _month_end(year, 3 * q)) for q in range(1, 5)]
    return [(date(year, 1, 1), date(year, 12, 31))]


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz())


def _branches(session: Session, unit_ids) -> list[OrgUnit]:
    """The branches among the units and below them (two queries)."""
    ids = sorted({int(i) for i in unit_ids})
    paths = list(session.exec(select(OrgUnit.path).where(OrgUnit.id.in_(ids or [-1]))).all())
    if not paths:
        return []
    return list(session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch,
                                                   or_(*[OrgUnit.path.startswith(p) for p in paths]))
                             .order_by(OrgUnit.name, OrgUnit.id)).all())


def compliance(session: Session, *, unit_ids, year: int, quarter: int, now: datetime | None = None
               ) -> list[BranchCompliance]:
    """Per branch under the given units: per rule, required / held / missing by period in the quarter (the year
    for yearly rules), and the next due date. The caller has checked the person may see these units.

    Held means: not cancelled, over, and its minutes locked. Six queries whatever the number of branches.
    """
    now = now or utcnow()
    today = local(now).date()
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1-4")
    table = rules()
    with unscoped(session):
        branches = _branches(session, unit_ids)
        if not branches:
            return []
        branch_ids = [b.id for b in branches]
        groups: dict[int, set[int]] = defaultdict(set)
        for parent, gid in session.exec(select(OrgUnit.parent_id, OrgUnit.id).where(
                OrgUnit.kind == OrgKind.group, OrgUnit.parent_id.in_(branch_ids))).all():
            groups[parent].add(gid)
        first, last = date(min(year, today.year), 1, 1), date(max(year, today.year) + 1, 1, 1)
        held_rows = session.exec(
            select(Meeting.org_unit_id, Meeting.group_id, Meeting.kind, Meeting.starts_at)
            .join(MeetingMinutes, MeetingMinutes.meeting_id == Meeting.id)
            .where(Meeting.org_unit_id.in_(branch_ids), Meeting.cancelled_at.is_(None),
                   MeetingMinutes.locked_at.is_not(None), Meeting.ends_at <= now,
                   Meeting.starts_at >= _utc(first), Meeting.starts_at < _utc(last))).all()
        scheduled = {(u, k): s for u, k, s in session.exec(
            select(Meeting.org_unit_id, Meeting.kind, func.min(Meeting.starts_at))
            .where(Meeting.org_unit_id.in_(branch_ids), Meeting.cancelled_at.is_(None), Meeting.starts_at >= now)
            .group_by(Meeting.org_unit_id, Meeting.kind)).all()}
    held: dict[tuple[int, str], list[tuple[date, int | None]]] = defaultdict(list)
    for unit_id, group_id, kind, starts_at in held_rows:
        held[(unit_id, MeetingKind(kind).value)].append((local(starts_at).date(), group_id))
    q_start, q_end = date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    out = []
    for branch in branches:
        item = BranchCompliance(unit=branch, groups=len(groups[branch.id]))
        for rule in table:
            kind, period, count = rule["kind"], rule["period"], int(rule.get("count", 1))
            per_group = bool(rule.get("per_group"))
            if per_group and not groups[branch.id]:
                continue  # a branch without groups has no group meetings to hold
            meetings = held[(branch.id, kind)]

            def status(start: date, end: date) -> Period:
                inside = [g for d, g in meetings if start <= d <= end]
                if per_group:
                    required = count * len(groups[branch.id])
                    got = sum(min(count, sum(1 for g in inside if g == gid)) for gid in groups[branch.id])
                else:
                    required, got = count, len(inside)
                state = ("ok" if got >= required else "missing") if end < today else \
                    ("future" if start > today else ("ok" if got >= required else "open"))
                return Period(start, end, required, got, state)

            shown = [status(s, e) for s, e in periods_of(period, year)
                     if period == "year" or (s >= q_start and e <= q_end)]
            next_due = None
            for y in (today.year, today.year + 1):
                for s, e in periods_of(period, y):
                    if e >= today and status(s, e).missing:
                        next_due = e
                        break
                if next_due:
                    break
            item.rules.append(RuleStatus(kind=kind, period=period, count=count, periods=shown, next_due=next_due,
                                         scheduled=scheduled.get((branch.id, kind))))
        out.append(item)
    return out
