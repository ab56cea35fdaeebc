"""The yearly study-hours (学时) record: totals per calendar year, a member's record, the home card, the ring."""
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models import ProgressStatus, StudyProgress, StudyTask
from models.db import unscoped
from services import notify
from services.accounts import Principal
from services.study.common import TaskItem, local_today, member_tasks, target_half


@dataclass
class YearLine:
    """One completed task in a year's record."""

    title: str
    task_id: int
    half: int
    completed_at: datetime


@dataclass
class Record:
    """A member's 学时 for a year against the target, with the breakdown and every year so far."""

    year: int
    total_half: int
    target_half: int
    lines: list[YearLine]
    history: list[tuple[int, int]]  # (year, half hours), newest first

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.total_half / max(self.target_half, 1)))

    @property
    def met(self) -> bool:
        return self.total_half >= self.target_half


def year_totals(session: Session, *, member_id: int) -> dict[int, int]:
    """Half hours credited per calendar year (the year each task was completed); no carry-over."""
    with unscoped(session):
        rows = session.exec(select(StudyProgress.credit_year, func.sum(StudyProgress.credited_half))
                            .where(StudyProgress.member_id == member_id,
                                   StudyProgress.status == ProgressStatus.completed,
                                   StudyProgress.credit_year.is_not(None))
                            .group_by(StudyProgress.credit_year)).all()
    return {int(y): int(h or 0) for y, h in rows}


def record(session: Session, principal: Principal, *, year: int | None = None,
           now: datetime | None = None) -> Record:
    """The member's own record for a year (this year by default)."""
    this_year = local_today(now).year
    year = year or this_year
    totals = year_totals(session, member_id=principal.id)
    with unscoped(session):
        rows = session.exec(select(StudyProgress, StudyTask.title)
                            .join(StudyTask, StudyTask.id == StudyProgress.task_id)
                            .where(StudyProgress.member_id == principal.id, StudyProgress.credit_year == year,
                                   StudyProgress.status == ProgressStatus.completed)
                            .order_by(StudyProgress.completed_at.desc())).all()
    lines = [YearLine(title=t, task_id=p.task_id, half=p.credited_half, completed_at=p.completed_at) for p, t in rows]
    years = sorted(set(totals) | {this_year}, reverse=True)
    return Record(year=year, total_half=totals.get(year, 0), target_half=target_half(principal.is_secretary),
                  lines=lines, history=[(y, totals.get(y, 0)) for y in years])


@dataclass
class HomeCard:
    """The home page's study card: this year's ring and the next task due."""

    record: Record
    next_item: TaskItem | None
    open_count: int
    overdue_count: int
    unread_notices: int


def home_card(session: Session, principal: Principal, *, now: datetime | None = None) -> HomeCard:
    """What the home page shows about study today."""
    year = local_today(now).year
    items = [i for i in member_tasks(session, principal, today=local_today(now))
             if not i.done and i.task.due_on.year >= year]
    return HomeCard(record=record(session, principal, now=now), next_item=items[0] if items else None,
                    open_count=len(items), overdue_count=sum(1 for i in items if i.overdue),
                    unread_notices=notify.unread_count(session, member_id=principal.id))


def ring(total_half: int, target: int, radius: float = 52.0) -> dict:
    """Figures for the SVG ring: circumference and the filled length (presentation attributes, not styles)."""
    circumference = 2 * math.pi * radius
    share = min(1.0, total_half / max(target, 1))
    return {"r": radius, "c": round(circumference, 2), "filled": round(circumference * share, 2),
            "percent": int(share * 100)}
