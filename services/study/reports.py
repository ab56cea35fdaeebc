"""Completion by written report: the member submits, a secretary approves (credit) or returns it."""
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import Completion, Member, OrgUnit, ProgressStatus, StudyProgress, StudyTask, utcnow
from models.db import begin_write, unscoped
from services import notify
from services.accounts import Principal
from services.accounts.orgs import get_unit_led, led_subtree_ids, require_leader
from services.errors import DomainError, NotFound
from services.study.common import _cfg, _reach_clause, _writes
from services.study.completion import _complete, _progress_for_write, _task_for_member_write


@_writes
def save_report(session: Session, principal: Principal, *, task_id: int, text: str,
                now: datetime | None = None) -> StudyProgress:
    """Submit (or resubmit) the member's written report for the secretary to approve."""
    now = now or utcnow()
    text = (text or "").replace("\r\n", "\n").strip()
    limit = int(_cfg("STUDY_REPORT_MAX_CHARS", 20000))
    if len(text) > limit or len(text.encode()) > limit * 4:
        raise DomainError("report_too_long", _l("The report is too long: at most %(n)s characters.", n=limit),
                          status=413)
    begin_write(session)
    task = _task_for_member_write(session, principal, task_id, Completion.report, now)
    if len(text) < task.report_min_chars:
        raise DomainError("report_too_short", _l("The report needs at least %(n)s characters; it has %(have)s.",
                                                 n=task.report_min_chars, have=len(text)))
    with unscoped(session):
        progress = _progress_for_write(session, task, principal.id, principal.branch_id, now)
        if progress.status == ProgressStatus.completed:
            session.rollback()
            raise DomainError("already_completed", _l("This report was already approved."))
        progress.report_text = text
        progress.status = ProgressStatus.submitted
        progress.submitted_at = now
        progress.updated_at = now
        session.add(progress)
        session.commit()
    return progress


def _progress_led(session: Session, principal: Principal, progress_id: int) -> tuple[StudyProgress, StudyTask, Member]:
    """A progress row of a member this person leads, locked, or NotFound."""
    require_leader(principal)
    reach = led_subtree_ids(session, principal)
    with unscoped(session):
        row = session.exec(select(StudyProgress, StudyTask, Member)
                           .join(StudyTask, StudyTask.id == StudyProgress.task_id)
                           .join(Member, Member.id == StudyProgress.member_id)
                           .where(StudyProgress.id == progress_id, _reach_clause(reach))
                           .with_for_update(of=StudyProgress)).first()
    if row is None:
        raise NotFound()
    return row


@_writes
def review_report(session: Session, principal: Principal, *, progress_id: int, approve: bool, comment: str = "",
                  now: datetime | None = None) -> StudyProgress:
    """Approve a submitted report (credit the 学时) or return it with a comment; the member gets a notice."""
    now = now or utcnow()
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError("comment_too_long", _l("The comment can have at most 500 characters."))
    if not approve and not comment:
        raise DomainError("comment_needed", _l("Say what to improve when you return a report."))
    begin_write(session)
    progress, task, member = _progress_led(session, principal, progress_id)
    if progress.status != ProgressStatus.submitted:
        raise DomainError("not_submitted", _l("This report is not waiting for review."))
    with unscoped(session):
        progress.review_comment = comment
        progress.reviewed_by = principal.id
        progress.reviewed_at = now
        if approve:
            _complete(progress, task, now, f"report:{principal.id}")
        else:
            progress.status = ProgressStatus.returned
            progress.updated_at = now
        session.add(progress)
        with force_locale(member.locale or "zh_Hans_CN"):
            title = (_("Your report “%(title)s” was approved.", title=task.title) if approve
                     else _("Your report “%(title)s” was returned: please revise it.", title=task.title))
        notify.send(session, member_ids=[member.id], purpose=notify.STUDY_REVIEW,
                    key=f"study-review:{progress.id}:{now.isoformat()}",
                    message=notify.Message(title, comment, f"/study/tasks/{task.id}"), now=now, commit=False)
        session.commit()
    return progress


def pending_reports(session: Session, principal: Principal, *,
                    unit_id: int) -> list[tuple[StudyProgress, StudyTask, Member]]:
    """Reports waiting for review from members of this unit, oldest first."""
    unit = get_unit_led(session, principal, unit_id)
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    with unscoped(session):
        return list(session.exec(select(StudyProgress, StudyTask, Member)
                                 .join(StudyTask, StudyTask.id == StudyProgress.task_id)
                                 .join(Member, Member.id == StudyProgress.member_id)
                                 .where(StudyProgress.status == ProgressStatus.submitted,
                                        Member.org_unit_id.in_(subtree))
                                 .order_by(StudyProgress.submitted_at)).all())
