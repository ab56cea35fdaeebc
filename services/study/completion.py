"""Completion by reading time (heartbeats), and the progress row and credit that every completion route writes."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Completion, ProgressStatus, StudyProgress, StudyTask, utcnow
from models.db import begin_write, unscoped
from services.accounts import Principal
from services.errors import DomainError
from services.study.common import TaskItem, _cfg, _writes, get_member_task, local_today, tz


def heartbeat_seconds() -> int:
    """How often an open reading page reports that it is still visible."""
    return int(_cfg("STUDY_HEARTBEAT_SECONDS", 15))


def _progress_for_write(session: Session, task: StudyTask, member_id: int, branch_id: int,
                        now: datetime) -> StudyProgress:
    """The member's progress row on the task, locked; created (in progress) when missing."""
    query = select(StudyProgress).where(StudyProgress.task_id == task.id, StudyProgress.member_id == member_id)
    row = session.exec(query.with_for_update()).first()
    if row is not None:
        return row
    row = StudyProgress(task_id=task.id, member_id=member_id, org_unit_id=branch_id,
                        status=ProgressStatus.in_progress, started_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a parallel request created it first
        row = session.exec(query.with_for_update()).one()
    return row


def _complete(progress: StudyProgress, task: StudyTask, now: datetime, source: str) -> None:
    """Mark done and fix the credit: the task's 学时 today, in this calendar year (Asia/Shanghai)."""
    progress.status = ProgressStatus.completed
    progress.completed_at = now
    progress.credited_half = task.hours_half
    progress.credit_year = now.astimezone(tz()).year
    progress.source = source[:60]
    progress.updated_at = now


def _task_for_member_write(session: Session, principal: Principal, task_id: int, completion: Completion,
                           now: datetime) -> StudyTask:
    item = get_member_task(session, principal, task_id, today=local_today(now))
    if item.task.completion != completion:
        raise DomainError("wrong_completion", _l("This task is not completed that way."))
    return item.task


@_writes
def beat(session: Session, principal: Principal, *, task_id: int, now: datetime | None = None) -> TaskItem:
    """A reading page says it is visible: credit the server time since the previous beat, capped.

    The browser's own account of time is ignored. A gap longer than 1.5 intervals (the page was hidden,
    closed or asleep) credits nothing and restarts the count; a beat sooner than half an interval after
    the last one is refused (429) and writes nothing, so a flood of forged beats adds no time.
    """
    now = now or utcnow()
    begin_write(session)
    task = _task_for_member_write(session, principal, task_id, Completion.reading, now)
    with unscoped(session):
        progress = _progress_for_write(session, task, principal.id, principal.branch_id, now)
        if progress.status == ProgressStatus.completed:
            session.commit()
            return TaskItem(task=task, progress=progress, today=local_today(now))
        interval = heartbeat_seconds()
        if progress.last_beat_at is not None:
            elapsed = (now - progress.last_beat_at).total_seconds()
            if elapsed < interval / 2:
                session.rollback()
                raise DomainError("too_soon", _l("Too many updates at once; your reading time is counted normally."),
                                  status=429)
            if elapsed <= interval * 1.5:
                whole = int(elapsed)  # whole seconds; the fraction carries over to the next beat
                progress.seconds_read += whole
                progress.last_beat_at += timedelta(seconds=whole)
            else:
                progress.last_beat_at = now  # a gap: nothing counts, the count restarts here
        else:
            progress.last_beat_at = now
        progress.updated_at = now
        if progress.seconds_read >= task.min_seconds:
            _complete(progress, task, now, "reading")
        session.add(progress)
        session.commit()
    return TaskItem(task=task, progress=progress, today=local_today(now))
