"""Secretaries author tasks: checked task data, create, edit, archive, and the lists they pick from."""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, select

from models import (Audience, Completion, Member, OrgUnit, StudyAssignee, StudyFile, StudyKind, StudyProgress,
                    StudyTask, utcnow)
from models.db import begin_write, unscoped
from services.accounts import Principal
from services.accounts.orgs import get_owned_led, get_unit_led, led_subtree_ids, require_leader
from services.errors import DomainError, NotFound
from services.study.common import _reach_clause, _writes, render_markdown

KIND_COMPLETIONS = {
    StudyKind.article: (Completion.reading, Completion.quiz),
    StudyKind.video: (Completion.reading, Completion.quiz),
    StudyKind.lecture: (Completion.attendance,),
    StudyKind.report: (Completion.report,),
}
MAX_HOURS_HALF = 16  # 8 学时: a whole day


@dataclass
class TaskData:
    """What a secretary fills in for a task."""

    title: str
    kind: str
    completion: str
    opens_on: date
    due_on: date
    hours_half: int = 2
    required: bool = True
    audience: str = Audience.unit.value
    body_md: str = ""
    link_url: str | None = None
    file_id: int | None = None
    min_seconds: int = 0
    pass_mark: int = 80
    quiz_size: int = 0
    report_min_chars: int = 0
    lecture_at: datetime | None = None
    lecture_place: str = ""
    member_ids: list[int] = field(default_factory=list)


def check_task_data(data: TaskData) -> None:
    """Refuse a task that cannot work, with a message that says why (before any file is stored)."""
    title = (data.title or "").strip()
    if not title or len(title) > 120:
        raise DomainError("bad_title", _l("Enter a title of 1 to 120 characters."))
    try:
        kind, completion, audience = StudyKind(data.kind), Completion(data.completion), Audience(data.audience)
    except ValueError:
        raise DomainError("bad_kind", _l("Choose a kind of task and how it is completed.")) from None
    if completion not in KIND_COMPLETIONS[kind]:
        raise DomainError("bad_completion", _l("This kind of task cannot be completed that way."))
    if not data.opens_on or not data.due_on:
        raise DomainError("bad_dates", _l("Enter the opening and due dates."))
    if data.due_on < data.opens_on:
        raise DomainError("due_before_open", _l("The due date cannot be before the opening date."))
    if not 1 <= int(data.hours_half) <= MAX_HOURS_HALF:
        raise DomainError("bad_hours", _l("Credit between 0.5 and 8 study hours."))
    if completion == Completion.reading and not 1 <= data.min_seconds <= 4 * 3600:
        raise DomainError("bad_minutes", _l("Reading time must be between 1 and 240 minutes."))
    if completion == Completion.quiz and not 1 <= data.pass_mark <= 100:
        raise DomainError("bad_pass_mark", _l("The pass mark is a percentage from 1 to 100."))
    if data.quiz_size < 0 or data.quiz_size > 100:
        raise DomainError("bad_quiz_size", _l("Draw between 0 (all) and 100 questions."))
    if not 0 <= data.report_min_chars <= 5000:
        raise DomainError("bad_report_min", _l("The minimum report length is 0 to 5000 characters."))
    if data.link_url and (len(data.link_url) > 500 or not data.link_url.startswith(("https://", "http://"))):
        raise DomainError("bad_link", _l("A link must start with https:// or http://."))
    if len(data.body_md or "") > 100_000:
        raise DomainError("body_too_long", _l("The text is too long: at most 100,000 characters."))
    if audience == Audience.members and not data.member_ids:
        raise DomainError("no_members", _l("Choose at least one member, or assign the task to the whole unit."))


def get_task_led(session: Session, principal: Principal, task_id: int) -> StudyTask:
    """A task owned inside the person's workspace, or NotFound."""
    require_leader(principal)
    return get_owned_led(session, principal, StudyTask, task_id)


def _check_members(session: Session, principal: Principal, owner: OrgUnit, member_ids) -> list[int]:
    """Chosen members must be under the owning unit and led by this person (NotFound otherwise)."""
    ids = sorted({int(i) for i in member_ids})
    reach = led_subtree_ids(session, principal)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(owner.path))
    with unscoped(session):
        found = session.exec(select(func.count(Member.id)).where(
            Member.id.in_(ids), _reach_clause(reach),
            or_(Member.org_unit_id.in_(subtree), Member.group_id.in_(subtree)))).one()
    if found != len(ids):
        raise NotFound(_l("A chosen member is not in this unit."))
    return ids


def _apply(task: StudyTask, data: TaskData) -> None:
    task.title = data.title.strip()
    task.kind = StudyKind(data.kind)
    task.completion = Completion(data.completion)
    task.audience = Audience(data.audience)
    task.body_md = data.body_md or ""
    task.body_html = render_markdown(task.body_md)
    task.link_url = data.link_url or None
    task.file_id = data.file_id
    task.hours_half = int(data.hours_half)
    task.required = bool(data.required)
    task.opens_on, task.due_on = data.opens_on, data.due_on
    task.min_seconds = int(data.min_seconds) if task.completion == Completion.reading else 0
    task.pass_mark = int(data.pass_mark)
    task.quiz_size = int(data.quiz_size)
    task.report_min_chars = int(data.report_min_chars)
    task.lecture_at = data.lecture_at
    task.lecture_place = (data.lecture_place or "")[:120]


def _check_file(session: Session, principal: Principal, file_id: int | None) -> None:
    if file_id is not None:
        get_owned_led(session, principal, StudyFile, file_id)


@_writes
def create_task(session: Session, principal: Principal, *, unit_id: int, data: TaskData,
                now: datetime | None = None) -> StudyTask:
    """Create a task owned by a unit of the secretary's workspace."""
    now = now or utcnow()
    check_task_data(data)
    begin_write(session)
    unit = get_unit_led(session, principal, unit_id)
    members = _check_members(session, principal, unit, data.member_ids) if data.audience == Audience.members else []
    _check_file(session, principal, data.file_id)
    task = StudyTask(org_unit_id=unit.id, title="", kind=StudyKind(data.kind), completion=Completion(data.completion),
                     opens_on=data.opens_on, due_on=data.due_on, created_by=principal.id, created_at=now,
                     updated_at=now)
    _apply(task, data)
    session.add(task)
    session.flush()
    session.add_all(StudyAssignee(task_id=task.id, member_id=m, org_unit_id=unit.id) for m in members)
    session.commit()
    return task


@_writes
def update_task(session: Session, principal: Principal, *, task_id: int, data: TaskData,
                now: datetime | None = None) -> StudyTask:
    """Edit a task. Progress is never touched: what members did and were credited stays.

    How a task is completed cannot change once anybody started it.
    """
    now = now or utcnow()
    check_task_data(data)
    begin_write(session)
    task = get_task_led(session, principal, task_id)
    with unscoped(session):
        started = session.exec(select(func.count(StudyProgress.id)).where(StudyProgress.task_id == task.id)).one()
    if started and (Completion(data.completion) != task.completion or StudyKind(data.kind) != task.kind):
        raise DomainError("completion_locked", _l("Members have started this task: its kind and how it is "
                                                  "completed can no longer change."))
    owner = session.get(OrgUnit, task.org_unit_id)
    members = _check_members(session, principal, owner, data.member_ids) if data.audience == Audience.members else []
    _check_file(session, principal, data.file_id)
    _apply(task, data)
    task.updated_at = now
    session.add(task)
    current = {a.member_id: a for a in
               session.exec(select(StudyAssignee).where(StudyAssignee.task_id == task.id)).all()}
    for mid in set(members) - set(current):
        session.add(StudyAssignee(task_id=task.id, member_id=mid, org_unit_id=task.org_unit_id))
    for mid in set(current) - set(members):
        session.delete(current[mid])  # only the assignment; their progress stays
    session.commit()
    return task


@_writes
def archive_task(session: Session, principal: Principal, *, task_id: int, now: datetime | None = None) -> StudyTask:
    """Withdraw a task from members' lists; credit already earned stays."""
    begin_write(session)
    task = get_task_led(session, principal, task_id)
    task.archived_at = now or utcnow()
    session.add(task)
    session.commit()
    return task


def assignee_ids(session: Session, *, task_id: int) -> list[int]:
    """The chosen members of a task."""
    return list(session.exec(select(StudyAssignee.member_id).where(StudyAssignee.task_id == task_id)).all())


def unit_tasks(session: Session, principal: Principal, *, unit_id: int) -> tuple[OrgUnit, list[StudyTask]]:
    """A unit of the workspace and the tasks owned by it or below, newest first."""
    unit = get_unit_led(session, principal, unit_id)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    tasks = session.exec(select(StudyTask).where(StudyTask.org_unit_id.in_(subtree), StudyTask.archived_at.is_(None))
                         .order_by(StudyTask.due_on.desc(), StudyTask.id.desc())).all()
    return unit, list(tasks)


def candidate_members(session: Session, principal: Principal, *, unit_id: int) -> list[Member]:
    """Members under a unit of the workspace, for choosing a task's audience or recording attendance."""
    unit = get_unit_led(session, principal, unit_id)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    return list(session.exec(select(Member).where(or_(Member.org_unit_id.in_(subtree), Member.group_id.in_(subtree)),
                                                  Member.is_active.is_(True)).order_by(Member.name, Member.id)).all())
