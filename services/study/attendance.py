"""Completion by attendance: lecture (党课) tasks credited to the members who were there."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from models import Completion, Member, ProgressStatus, StudyTask, utcnow
from models.db import begin_write, unscoped
from services.accounts import Principal
from services.accounts.orgs import led_subtree_ids
from services.errors import DomainError, NotFound
from services.study.authoring import get_task_led
from services.study.common import _audience_members, _reach_clause, _writes
from services.study.completion import _complete, _progress_for_write


def credit_attendance(session: Session, *, task_id: int, member_ids, source: str, now: datetime | None = None,
                      commit: bool = True) -> list[int]:
    """Credit a lecture (党课) task to the members who attended; returns the ids newly credited.

    The meetings issue calls this from meeting check-in (source="meeting:<id>"); the caller has
    authorised the people. Every member must be in the task's audience, or nothing is written.
    Idempotent: members already credited are skipped.
    """
    now = now or utcnow()
    ids = sorted({int(i) for i in member_ids})
    begin_write(session)
    with unscoped(session):
        task = session.get(StudyTask, task_id)
        if task is None or task.archived_at is not None:
            raise NotFound()
        if task.completion != Completion.attendance:
            raise DomainError("not_a_lecture", _l("Only lecture tasks are credited by attendance."))
        members = {m.id: m for m in session.exec(select(Member).where(
            Member.id.in_(ids), Member.id.in_(_audience_members(session, task)))).all()}
        if len(members) != len(ids):
            raise DomainError("not_in_audience", _l("Some of these members are not among this task’s learners."))
        credited = []
        for mid in ids:
            progress = _progress_for_write(session, task, mid, members[mid].org_unit_id, now)
            if progress.status == ProgressStatus.completed:
                continue
            _complete(progress, task, now, f"attendance:{source}")
            session.add(progress)
            credited.append(mid)
        if commit:
            session.commit()
        else:
            session.flush()
    return credited


@_writes
def record_attendance(session: Session, principal: Principal, *, task_id: int, member_ids,
                      now: datetime | None = None) -> list[int]:
    """The secretary records who attended a lecture; members outside their reach are NotFound."""
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        raise DomainError("nobody", _l("Tick at least one member who attended."))
    begin_write(session)
    task = get_task_led(session, principal, task_id)
    reach = led_subtree_ids(session, principal)
    with unscoped(session):
        found = session.exec(select(func.count(Member.id)).where(Member.id.in_(ids), _reach_clause(reach))).one()
    if found != len(ids):
        raise NotFound()
    return credit_attendance(session, task_id=task.id, member_ids=ids, source=f"manual:{principal.id}", now=now)
