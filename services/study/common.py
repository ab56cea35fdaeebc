"""What the study modules share: settings, dates, 学时 as text, markdown, who a task is for, a member's tasks.

Who sees what:
- A task belongs to an org unit (`org_unit_id`, its owner) and is for that unit's subtree, or for chosen
  members of it. A member therefore needs tasks of units *above* their branch, which the session's scope
  (their branch's subtree) does not cover: member-facing reads run `unscoped` with an explicit audience
  filter (owner among the member's branch/group ancestors, plus the assignee rule).
- A member's study record is theirs and follows them across a transfer: reads of their own progress run
  `unscoped` and filter on `member_id`.
- Secretaries manage tasks owned inside `led_subtree_ids` (NotFound elsewhere) and see the progress of
  the members they lead.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

import nh3
from flask import current_app, has_app_context
from markdown_it import MarkdownIt
from sqlalchemy import and_, exists, or_
from sqlmodel import Session, select

from models import (Audience, Completion, Member, OrgUnit, ProgressStatus, StudyAssignee, StudyProgress, StudyTask,
                    utcnow)
from models.db import ALL_ORGS, unscoped
from services.accounts import Principal
from services.errors import NotFound

DUE_SOON_DAYS = 7


# -- settings and small helpers ------------------------------------------------------------------

def _writes(fn):
    """A write service: whatever it raises, the session is rolled back, so nothing is half-written."""

    @wraps(fn)
    def wrapper(session, *args, **kwargs):
        try:
            return fn(session, *args, **kwargs)
        except Exception:
            session.rollback()
            raise

    return wrapper


def _cfg(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def tz() -> ZoneInfo:
    """The city's time zone (years and due dates are counted in it)."""
    return ZoneInfo(_cfg("TIMEZONE", "Asia/Shanghai"))


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai."""
    return (now or utcnow()).astimezone(tz()).date()


def hours_text(half: int | None) -> str:
    """Half hours as 学时 for people: 3 -> "1.5", 4 -> "2"."""
    half = int(half or 0)
    return str(half // 2) if half % 2 == 0 else f"{half / 2:.1f}"


def target_half(is_leader: bool) -> int:
    """The yearly target in half hours: 32 学时 for members, 56 for secretaries and committee members."""
    hours = _cfg("STUDY_TARGET_LEADER", 56) if is_leader else _cfg("STUDY_TARGET_MEMBER", 32)
    return int(hours) * 2


_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
ALLOWED_TAGS = {"p", "br", "h1", "h2", "h3", "h4", "strong", "em", "del", "blockquote", "ul", "ol", "li", "a",
                "img", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(text: str) -> str:
    """Markdown to HTML, raw HTML off, then sanitised with nh3 (only http(s) and mailto links)."""
    html = _md.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}},
                     url_schemes={"http", "https", "mailto"})


def _ids_in_paths(paths) -> set[int]:
    return {int(p) for path in paths for p in (path or "").strip("/").split("/") if p}


def _member_owner_ids(session: Session, branch_id: int | None, group_id: int | None) -> set[int]:
    """The units whose subtree holds this member: ancestors of their branch and group, themselves included."""
    ids = [i for i in (branch_id, group_id) if i]
    if not ids:
        return set()
    return _ids_in_paths(session.exec(select(OrgUnit.path).where(OrgUnit.id.in_(ids))).all())


def _audience_clause(member_id: int, owner_ids: set[int]):
    """SQL: the task is for this member (owner above them, and for everybody or for them by name)."""
    return and_(
        StudyTask.org_unit_id.in_(sorted(owner_ids) or [-1]),
        or_(StudyTask.audience == Audience.unit,
            exists().where(StudyAssignee.task_id == StudyTask.id, StudyAssignee.member_id == member_id)),
    )


def _audience_members(session: Session, task: StudyTask):
    """SQL: ids of the active members a task is for."""
    if task.audience == Audience.members:
        return (select(StudyAssignee.member_id).join(Member, Member.id == StudyAssignee.member_id)
                .where(StudyAssignee.task_id == task.id, Member.is_active.is_(True)))
    owner = session.get(OrgUnit, task.org_unit_id)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(owner.path))
    return select(Member.id).where(or_(Member.org_unit_id.in_(subtree), Member.group_id.in_(subtree)),
                                   Member.is_active.is_(True))


def _reach_clause(reach):
    """SQL: the member is led by this person (everybody for an admin)."""
    return True if reach == ALL_ORGS else Member.org_unit_id.in_(sorted(reach) or [-1])


# -- what a member sees ----------------------------------------------------------------------------

@dataclass
class TaskItem:
    """A task with the member's progress on it (None: not started)."""

    task: StudyTask
    progress: StudyProgress | None
    today: date

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else ProgressStatus.not_started.value

    @property
    def done(self) -> bool:
        return self.status == ProgressStatus.completed

    @property
    def overdue(self) -> bool:
        return not self.done and self.task.due_on < self.today

    @property
    def due_soon(self) -> bool:
        return not self.done and self.today <= self.task.due_on <= self.today + timedelta(days=DUE_SOON_DAYS)

    @property
    def days_left(self) -> int:
        return (self.task.due_on - self.today).days

    @property
    def percent(self) -> int:
        """How far along, 0-100, for the progress bar."""
        p, t = self.progress, self.task
        if p is None:
            return 0
        if self.done:
            return 100
        if t.completion == Completion.reading:
            return min(99, int(100 * p.seconds_read / max(t.min_seconds, 1)))
        if t.completion == Completion.quiz:
            return min(90, int((p.best_score or 0) * 90 / max(t.pass_mark, 1))) if p.attempts else 5
        if t.completion == Completion.report:
            return {ProgressStatus.submitted: 80, ProgressStatus.returned: 50}.get(p.status, 20)
        return 0


def _principal_owner_ids(session: Session, principal: Principal) -> set[int]:
    return _member_owner_ids(session, principal.branch_id, principal.group_id)


def member_tasks(session: Session, principal: Principal, *, today: date | None = None) -> list[TaskItem]:
    """Every open task for the member, with their progress (two queries)."""
    today = today or local_today()
    owners = _principal_owner_ids(session, principal)
    with unscoped(session):
        rows = session.exec(
            select(StudyTask, StudyProgress)
            .outerjoin(StudyProgress, and_(StudyProgress.task_id == StudyTask.id,
                                           StudyProgress.member_id == principal.id))
            .where(_audience_clause(principal.id, owners), StudyTask.archived_at.is_(None),
                   StudyTask.opens_on <= today)
            .order_by(StudyTask.due_on, StudyTask.id)
        ).all()
    return [TaskItem(task=t, progress=p, today=today) for t, p in rows]


@dataclass
class TaskBoard:
    """The 学习 tab: overdue, due soon, later, done."""

    overdue: list[TaskItem]
    due_soon: list[TaskItem]
    later: list[TaskItem]
    done: list[TaskItem]


def board(session: Session, principal: Principal, *, today: date | None = None) -> TaskBoard:
    """The member's tasks sorted into what needs doing first."""
    items = member_tasks(session, principal, today=today)
    year = (today or local_today()).year
    # last year's unfinished tasks are closed (hours do not carry over); done shows this year's
    open_items = [i for i in items if not i.done and i.task.due_on.year >= year]
    done = sorted((i for i in items if i.done and i.progress.credit_year == year),
                  key=lambda i: i.progress.completed_at, reverse=True)
    return TaskBoard(overdue=[i for i in open_items if i.overdue],
                     due_soon=[i for i in open_items if i.due_soon],
                     later=[i for i in open_items if not i.overdue and not i.due_soon],
                     done=done)


def get_member_task(session: Session, principal: Principal, task_id: int, *, today: date | None = None) -> TaskItem:
    """One task the member may see (open, not archived, for them), or NotFound."""
    today = today or local_today()
    owners = _principal_owner_ids(session, principal)
    with unscoped(session):
        row = session.exec(
            select(StudyTask, StudyProgress)
            .outerjoin(StudyProgress, and_(StudyProgress.task_id == StudyTask.id,
                                           StudyProgress.member_id == principal.id))
            .where(StudyTask.id == task_id, _audience_clause(principal.id, owners),
                   StudyTask.archived_at.is_(None), StudyTask.opens_on <= today)
        ).first()
    if row is None:
        raise NotFound()
    return TaskItem(task=row[0], progress=row[1], today=today)
