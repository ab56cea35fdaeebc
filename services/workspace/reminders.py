"""Reminders for the branch itself, through services.notify: the committee's term ends (支部换届, every 3 years;
warned 6 months and 1 month before, to the branch's secretary and committee and the leaders of the unit above),
and each member's 政治生日 (the anniversary of joining the Party) greeted on the day.

`send_due` is what the worker calls once a day; each message has its own key, so a second run (or a second
worker) tells nobody twice.
"""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract
from sqlmodel import Session, select

from models import BranchTerm, Member, OrgUnit, Role, RoleName, utcnow
from models.db import begin_write, unscoped
from services import notify
from services.accounts import Principal
from services.errors import DomainError
from services.workspace.common import get_branch, local_now

WARNINGS = ((6, "6m"), (1, "1m"))  # months before the term ends


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day when it has no such day."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Term:
    """A branch committee's term: elected, ends, and the warning dates."""

    elected_on: date
    years: int

    @property
    def ends_on(self) -> date:
        return add_months(self.elected_on, 12 * self.years)

    def warnings(self) -> list[tuple[str, date]]:
        return [(key, add_months(self.ends_on, -months)) for months, key in WARNINGS]


def term_of(session: Session, *, unit_id: int) -> Term | None:
    """The branch's committee term, if one was entered."""
    with unscoped(session):
        row = session.exec(select(BranchTerm).where(BranchTerm.org_unit_id == unit_id)).first()
    return Term(row.elected_on, row.years) if row else None


def set_term(session: Session, principal: Principal, *, unit_id: int, elected_on: date, years: int = 3) -> Term:
    """Record when the branch committee was elected (the secretary of the branch or a committee above)."""
    branch = get_branch(session, principal, unit_id)
    if not isinstance(elected_on, date) or not date(1990, 1, 1) <= elected_on <= local_now().date():
        raise DomainError("bad_date", _l("Enter the election date (not in the future)."))
    if not 1 <= int(years) <= 5:
        raise DomainError("bad_years", _l("A term lasts 1 to 5 years."))
    begin_write(session)
    with unscoped(session):
        row = session.exec(select(BranchTerm).where(BranchTerm.org_unit_id == branch.id)).first() \
            or BranchTerm(org_unit_id=branch.id, elected_on=elected_on)
        row.elected_on, row.years, row.updated_at = elected_on, int(years), utcnow()
        session.add(row)
        session.commit()
    return Term(elected_on, int(years))


def _leaders(session: Session, units: list[OrgUnit]) -> dict[int, set[int]]:
    """Secretaries and committee members of each branch and of the unit above it (one query for the roles)."""
    wanted = {u.id: {u.id} | ({u.parent_id} if u.parent_id else set()) for u in units}
    all_ids = set().union(*wanted.values()) if wanted else set()
    rows = session.exec(select(Role.org_unit_id, Role.member_id).join(Member, Member.id == Role.member_id)
                        .where(Role.org_unit_id.in_(all_ids or {-1}), Member.is_active.is_(True),
                               Role.role.in_([RoleName.secretary, RoleName.committee]))).all()
    by_unit: dict[int, set[int]] = {}
    for unit_id, member_id in rows:
        by_unit.setdefault(unit_id, set()).add(member_id)
    return {u: set().union(*(by_unit.get(i, set()) for i in ids)) for u, ids in wanted.items()}


def send_term_warnings(session: Session, *, now: datetime | None = None) -> int:
    """Warn each branch whose committee term ends within 6 months (and again within 1 month). Returns how many
    members were told."""
    today = local_now(now).date()
    told = 0
    with unscoped(session):
        rows = session.exec(select(BranchTerm, OrgUnit).join(OrgUnit, OrgUnit.id == BranchTerm.org_unit_id)).all()
        due = []
        for row, unit in rows:
            term = Term(row.elected_on, row.years)
            passed = [key for key, day in term.warnings() if day <= today < term.ends_on]
            if passed:
                due.append((unit, term, passed[-1]))
        leaders = _leaders(session, [u for u, _t, _k in due])
        for unit, term, key in due:
            message = notify.Message(
                title=str(_l("%(unit)s: the committee's term ends on %(date)s", unit=unit.name,
                             date=term.ends_on.isoformat())),
                body=str(_l("Prepare the re-election (支部换届) with the committee above.")),
                url=f"/workspace/units/{unit.id}/term")
            told += notify.send(session, member_ids=sorted(leaders.get(unit.id, set())), purpose=notify.TERM_ENDING,
                                key=f"term:{unit.id}:{term.ends_on.isoformat()}:{key}", message=message,
                                important=key == "1m", commit=False, now=now)
        session.commit()
    return told


def send_political_birthdays(session: Session, *, now: datetime | None = None) -> int:
    """Greet every active member whose day of joining the Party is today (29 February on the 28th in other
    years). Returns how many were greeted."""
    today = local_now(now).date()
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and not _leap(today.year):
        days.append((2, 29))
    told = 0
    with unscoped(session):
        for month, day in days:
            rows = session.exec(select(Member.id, Member.joined_on).where(
                Member.is_active.is_(True), Member.joined_on.is_not(None),
                extract("month", Member.joined_on) == month, extract("day", Member.joined_on) == day)).all()
            for member_id, joined in rows:
                years = today.year - joined.year
                if years < 1:
                    continue
                message = notify.Message(
                    title=str(_l("Happy political birthday!")),
                    body=str(_l("%(n)s years ago today you joined the Party (%(date)s).", n=years,
                                date=joined.isoformat())),
                    url="/me/")
                told += notify.send(session, member_ids=[member_id], purpose=notify.POLITICAL_BIRTHDAY,
                                    key=f"birthday:{member_id}:{today.year}", message=message, commit=False, now=now)
        session.commit()
    return told


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def send_due(session: Session, *, now: datetime | None = None) -> dict:
    """The worker's daily run: term warnings and political birthdays."""
    return {"term": send_term_warnings(session, now=now), "birthday": send_political_birthdays(session, now=now)}
