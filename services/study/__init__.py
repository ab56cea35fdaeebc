"""Study tasks and the yearly study-hours (学时) record.

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
import math
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from pathlib import Path
from zoneinfo import ZoneInfo

import nh3
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from sqlalchemy import and_, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (Audience, Completion, Member, OrgUnit, ProgressStatus, QuestionKind, Role, RoleName,
                    StudyAssignee, StudyAttempt, StudyFile, StudyKind, StudyProgress, StudyQuestion, StudyTask,
                    utcnow)
from models.db import ALL_ORGS, begin_write, unscoped
from services import csvio, notices
from services.accounts import Principal
from services.errors import DomainError, NotFound
from services.orgs import get_owned_led, get_unit_led, led_subtree_ids, require_leader

KIND_COMPLETIONS = {
    StudyKind.article: (Completion.reading, Completion.quiz),
    StudyKind.video: (Completion.reading, Completion.quiz),
    StudyKind.lecture: (Completion.attendance,),
    StudyKind.report: (Completion.report,),
}
MAX_HOURS_HALF = 16  # 8 学时: a whole day
MAX_OPTIONS = 6
DUE_SOON_DAYS = 7
# An upload's type comes from its first bytes, never from its name or the browser's word.
MAGIC = (
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", ".webm"),
    (b"ftyp", 4, "video/mp4", ".mp4"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
)


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


def heartbeat_seconds() -> int:
    """How often an open reading page reports that it is still visible."""
    return int(_cfg("STUDY_HEARTBEAT_SECONDS", 15))


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


def task_file(session: Session, task: StudyTask) -> StudyFile | None:
    """The task's uploaded file, if any."""
    if not task.file_id:
        return None
    with unscoped(session):
        return session.get(StudyFile, task.file_id)


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


# -- quiz ------------------------------------------------------------------------------------------

def _active_questions(session: Session, task_id: int) -> list[StudyQuestion]:
    return list(session.exec(select(StudyQuestion).where(StudyQuestion.task_id == task_id,
                                                         StudyQuestion.retired_at.is_(None))
                             .order_by(StudyQuestion.position, StudyQuestion.id)).all())


@_writes
def start_attempt(session: Session, principal: Principal, *, task_id: int, now: datetime | None = None,
                  rng: random.Random | None = None) -> StudyAttempt:
    """A quiz attempt with the questions drawn and their options shuffled; an unfinished one is reused."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    begin_write(session)
    task = _task_for_member_write(session, principal, task_id, Completion.quiz, now)
    with unscoped(session):
        progress = _progress_for_write(session, task, principal.id, principal.branch_id, now)
        if progress.status == ProgressStatus.completed:
            session.rollback()
            raise DomainError("already_completed", _l("You have already passed this quiz."))
        open_attempt = session.exec(select(StudyAttempt).where(
            StudyAttempt.task_id == task.id, StudyAttempt.member_id == principal.id,
            StudyAttempt.submitted_at.is_(None)).order_by(StudyAttempt.id.desc())).first()
        if open_attempt is not None:
            session.commit()
            return open_attempt
        bank = _active_questions(session, task.id)
        if not bank:
            session.rollback()
            raise DomainError("no_questions", _l("This quiz has no questions yet. Please try again later."))
        size = task.quiz_size if 0 < task.quiz_size < len(bank) else len(bank)
        drawn = rng.sample(bank, size)  # a random subset in a random order
        layout = []
        for q in drawn:
            order = list(range(len(q.options)))
            rng.shuffle(order)
            layout.append({"q": q.id, "o": order})
        attempt = StudyAttempt(task_id=task.id, member_id=principal.id, org_unit_id=progress.org_unit_id,
                               layout=layout, started_at=now)
        session.add(attempt)
        session.commit()
    return attempt


@dataclass
class AttemptView:
    """An attempt as shown: its questions in the drawn order, each with its options in the drawn order."""

    attempt: StudyAttempt
    task: StudyTask
    questions: list[tuple[StudyQuestion, list[tuple[int, str]]]]  # (question, [(option index, text)])


def get_attempt(session: Session, principal: Principal, *, attempt_id: int) -> AttemptView:
    """One of the member's own attempts with its questions (NotFound for anyone else's)."""
    with unscoped(session):
        attempt = session.get(StudyAttempt, attempt_id)
        if attempt is None or attempt.member_id != principal.id:
            raise NotFound()
        task = session.get(StudyTask, attempt.task_id)
        ids = [entry["q"] for entry in attempt.layout]
        by_id = {q.id: q for q in session.exec(select(StudyQuestion).where(StudyQuestion.id.in_(ids))).all()}
    questions = [(by_id[e["q"]], [(i, by_id[e["q"]].options[i]) for i in e["o"]]) for e in attempt.layout]
    return AttemptView(attempt=attempt, task=task, questions=questions)


@_writes
def submit_attempt(session: Session, principal: Principal, *, attempt_id: int, answers: dict[int, list[int]],
                   now: datetime | None = None) -> StudyAttempt:
    """Grade an attempt on the server; passing completes the task. A second submit returns the first result.

    Every question of the attempt needs an answer; an answer to a question that is not in this
    attempt, or an option it does not have, is refused and nothing is written.
    """
    now = now or utcnow()
    begin_write(session)
    with unscoped(session):
        attempt = session.exec(select(StudyAttempt).where(StudyAttempt.id == attempt_id).with_for_update()).first()
        if attempt is None or attempt.member_id != principal.id:
            raise NotFound()
        if attempt.submitted_at is not None:
            session.commit()
            return attempt
        layout = {entry["q"]: entry["o"] for entry in attempt.layout}
        questions = {q.id: q for q in session.exec(select(StudyQuestion).where(
            StudyQuestion.id.in_(list(layout)))).all()}
        for qid, chosen in answers.items():
            if qid not in layout:
                raise DomainError("not_in_attempt", _l("An answer was for a question that is not in this quiz. "
                                                       "Please reload the quiz and answer again."))
            if any(c not in range(len(questions[qid].options)) for c in chosen) or len(set(chosen)) != len(chosen):
                raise DomainError("bad_option", _l("An answer chose an option that does not exist."))
            if questions[qid].kind == QuestionKind.single and len(chosen) > 1:
                raise DomainError("bad_option", _l("Choose only one option for a single-choice question."))
        missing = [qid for qid in layout if not answers.get(qid)]
        if missing:
            raise DomainError("unanswered", _l("Answer every question before you submit."),
                              missing=missing)
        right = sum(1 for qid in layout if sorted(answers[qid]) == sorted(questions[qid].correct))
        task = session.get(StudyTask, attempt.task_id)
        attempt.answers = {str(qid): sorted(answers[qid]) for qid in layout}
        attempt.score = round(100 * right / len(layout))
        attempt.passed = attempt.score >= task.pass_mark
        attempt.submitted_at = now
        session.add(attempt)
        progress = _progress_for_write(session, task, principal.id, principal.branch_id, now)
        progress.attempts += 1
        progress.best_score = max(progress.best_score or 0, attempt.score)
        progress.updated_at = now
        if attempt.passed and progress.status != ProgressStatus.completed:
            _complete(progress, task, now, "quiz")
        session.add(progress)
        session.commit()
    return attempt


def correct_of(view: AttemptView) -> dict[int, list[int]]:
    """The right options of each question of a submitted attempt (shown after grading)."""
    if view.attempt.submitted_at is None:
        return {}
    return {q.id: list(q.correct) for q, _opts in view.questions}


def attempts_of(session: Session, principal: Principal, *, task_id: int) -> list[StudyAttempt]:
    """The member's submitted attempts on a task, newest first."""
    with unscoped(session):
        return list(session.exec(select(StudyAttempt).where(
            StudyAttempt.task_id == task_id, StudyAttempt.member_id == principal.id,
            StudyAttempt.submitted_at.is_not(None)).order_by(StudyAttempt.id.desc())).all())


# -- reports ---------------------------------------------------------------------------------------

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
        notices.send(session, member_ids=[member.id], title=title, body=comment,
                     link=f"/study/tasks/{task.id}", now=now, commit=False)
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


# -- lecture attendance ----------------------------------------------------------------------------

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


# -- the yearly record -----------------------------------------------------------------------------

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
                    unread_notices=notices.unread_count(session, member_id=principal.id))


# -- secretaries: tasks ----------------------------------------------------------------------------

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


# -- secretaries: questions ------------------------------------------------------------------------

def _clean_question(kind: str, text: str, options: list[str],
                    correct: list[int]) -> tuple[QuestionKind, str, list[str], list[int]]:
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise DomainError("bad_question", _l("Enter the question (1 to 500 characters)."))
    try:
        qkind = QuestionKind(kind)
    except ValueError:
        raise DomainError("bad_question_kind", _l("Choose single or multiple choice.")) from None
    kept, right = [], []
    for i, option in enumerate(options[:MAX_OPTIONS]):
        option = (option or "").strip()
        if not option:
            continue
        if len(option) > 200:
            raise DomainError("option_too_long", _l("An option can have at most 200 characters."))
        if i in correct:
            right.append(len(kept))
        kept.append(option)
    if len(kept) < 2:
        raise DomainError("few_options", _l("Give at least two options."))
    if not right:
        raise DomainError("no_correct", _l("Mark the right option."))
    if qkind == QuestionKind.single and len(right) != 1:
        raise DomainError("one_correct", _l("A single-choice question has exactly one right option."))
    return qkind, text, kept, right


def questions(session: Session, principal: Principal, *, task_id: int) -> tuple[StudyTask, list[StudyQuestion]]:
    """A quiz task of the workspace and its current questions."""
    task = get_task_led(session, principal, task_id)
    return task, _active_questions(session, task.id)


@_writes
def add_question(session: Session, principal: Principal, *, task_id: int, kind: str, text: str,
                 options: list[str], correct: list[int]) -> StudyQuestion:
    """Add a question to a quiz task's bank."""
    qkind, text, kept, right = _clean_question(kind, text, options, correct)
    begin_write(session)
    task = get_task_led(session, principal, task_id)
    if task.completion != Completion.quiz:
        raise DomainError("not_a_quiz", _l("Only quiz tasks have questions."))
    last = session.exec(select(func.max(StudyQuestion.position)).where(StudyQuestion.task_id == task.id)).one()
    question = StudyQuestion(task_id=task.id, org_unit_id=task.org_unit_id, kind=qkind, text=text, options=kept,
                             correct=right, position=(last or 0) + 1)
    session.add(question)
    session.commit()
    return question


def _question_led(session: Session, principal: Principal, question_id: int) -> StudyQuestion:
    question = session.get(StudyQuestion, question_id)
    if question is None or question.retired_at is not None:
        raise NotFound()
    get_task_led(session, principal, question.task_id)
    return question


@_writes
def replace_question(session: Session, principal: Principal, *, question_id: int, kind: str, text: str,
                     options: list[str], correct: list[int], now: datetime | None = None) -> StudyQuestion:
    """Edit a question: the old version is retired (attempts keep pointing at it) and a new one takes its place."""
    qkind, text, kept, right = _clean_question(kind, text, options, correct)
    begin_write(session)
    old = _question_led(session, principal, question_id)
    old.retired_at = now or utcnow()
    session.add(old)
    new = StudyQuestion(task_id=old.task_id, org_unit_id=old.org_unit_id, kind=qkind, text=text, options=kept,
                        correct=right, position=old.position, replaces_id=old.id)
    session.add(new)
    session.commit()
    return new


@_writes
def retire_question(session: Session, principal: Principal, *, question_id: int, now: datetime | None = None) -> None:
    """Take a question out of the bank (past attempts keep it)."""
    begin_write(session)
    question = _question_led(session, principal, question_id)
    question.retired_at = now or utcnow()
    session.add(question)
    session.commit()


def get_question_led(session: Session, principal: Principal, *, question_id: int) -> StudyQuestion:
    """A current question of a task in the workspace, or NotFound."""
    return _question_led(session, principal, question_id)


# -- secretaries: who is where ---------------------------------------------------------------------

@dataclass
class TaskRow:
    """One member's line on a task's overview."""

    member: Member
    progress: StudyProgress | None

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else ProgressStatus.not_started.value


@dataclass
class TaskOverview:
    """Who completed a task and who is behind, among the members this person leads."""

    task: StudyTask
    done: list[TaskRow]
    behind: list[TaskRow]
    waiting: list[TaskRow]  # reports submitted, waiting for review


def task_overview(session: Session, principal: Principal, *, task_id: int) -> TaskOverview:
    """Every member the task is for (and this person leads), with their progress (fixed query count)."""
    task = get_task_led(session, principal, task_id)
    reach = led_subtree_ids(session, principal)
    with unscoped(session):
        rows = session.exec(select(Member, StudyProgress)
                            .outerjoin(StudyProgress, and_(StudyProgress.member_id == Member.id,
                                                           StudyProgress.task_id == task.id))
                            .where(Member.id.in_(_audience_members(session, task)), _reach_clause(reach))
                            .order_by(Member.name, Member.id)).all()
    lines = [TaskRow(member=m, progress=p) for m, p in rows]
    return TaskOverview(task=task, done=[r for r in lines if r.status == ProgressStatus.completed],
                        behind=[r for r in lines if r.status != ProgressStatus.completed],
                        waiting=[r for r in lines if r.status == ProgressStatus.submitted])


@_writes
def remind_behind(session: Session, principal: Principal, *, task_id: int, now: datetime | None = None) -> int:
    """An in-app notice to everyone not yet done; at most one per member, task and day."""
    now = now or utcnow()
    overview = task_overview(session, principal, task_id=task_id)
    task = overview.task
    behind = [r.member for r in overview.behind]
    key = f"study-remind:{task.id}:{local_today(now).isoformat()}"
    sent = 0
    by_locale: dict[str, list[int]] = {}
    for m in behind:
        by_locale.setdefault(m.locale or "zh_Hans_CN", []).append(m.id)
    for locale, ids in by_locale.items():
        with force_locale(locale):
            title = _("Study reminder: %(title)s", title=task.title)
            body = _("Please complete it by %(date)s. Every bit of study counts toward your yearly hours.",
                     date=task.due_on.isoformat())
        sent += notices.send(session, member_ids=ids, title=title, body=body, link=f"/study/tasks/{task.id}",
                             key=key, now=now, commit=False)
    session.commit()
    return sent


@dataclass
class Matrix:
    """A branch's members × tasks for a year, with each member's year total against their target."""

    unit: OrgUnit
    year: int
    tasks: list[StudyTask]
    rows: list[tuple[Member, list[str], int, int]]  # (member, status per task, total half hours, target half hours)
    done_per_task: list[int]


def matrix(session: Session, principal: Principal, *, unit_id: int, year: int | None = None) -> Matrix:
    """Members × tasks of a unit for a year, in a fixed number of queries whatever the size.

    Tasks are those owned by the unit, its ancestors or its groups that run during the year;
    a cell is "na" where the task is not for that member.
    """
    year = year or local_today().year
    unit = get_unit_led(session, principal, unit_id)
    owners = _ids_in_paths([unit.path])
    first, last = date(year, 1, 1), date(year, 12, 31)
    with unscoped(session):
        subtree = dict(session.exec(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.path.startswith(unit.path))).all())
        members = list(session.exec(select(Member).where(Member.org_unit_id == unit.id, Member.is_active.is_(True))
                                    .order_by(Member.name, Member.id)).all())
        tasks = list(session.exec(select(StudyTask).where(
            or_(StudyTask.org_unit_id.in_(sorted(owners)), StudyTask.org_unit_id.in_(list(subtree))),
            StudyTask.archived_at.is_(None), StudyTask.opens_on <= last, StudyTask.due_on >= first)
            .order_by(StudyTask.due_on, StudyTask.id)).all())
        member_ids = select(Member.id).where(Member.org_unit_id == unit.id)
        task_ids = [t.id for t in tasks] or [-1]
        assigned = set(session.exec(select(StudyAssignee.task_id, StudyAssignee.member_id).where(
            StudyAssignee.task_id.in_(task_ids), StudyAssignee.member_id.in_(member_ids))).all())
        progress = StudyProgress.__table__.c  # plain columns: thousands of rows without ORM bookkeeping
        status = {(r[0], r[1]): r[2] for r in session.execute(
            select(progress.task_id, progress.member_id, progress.status).where(
                progress.task_id.in_(task_ids), progress.member_id.in_(member_ids)))}
        totals = dict(session.exec(select(StudyProgress.member_id, func.sum(StudyProgress.credited_half)).where(
            StudyProgress.member_id.in_(member_ids), StudyProgress.credit_year == year,
            StudyProgress.status == ProgressStatus.completed).group_by(StudyProgress.member_id)).all())
        leaders = set(session.exec(select(Role.member_id).where(
            Role.member_id.in_(member_ids), Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
    # per task: who it is for, decided once (ORM attribute reads are slow in a 10,000-cell loop)
    EVERYONE, ASSIGNED, GROUP = 0, 1, 2
    plan = []
    for t in tasks:
        if t.audience == Audience.members:
            plan.append((t.id, ASSIGNED, ""))
        elif t.org_unit_id in subtree and t.org_unit_id != unit.id:
            plan.append((t.id, GROUP, f"/{t.org_unit_id}/"))
        else:
            plan.append((t.id, EVERYONE, ""))
    rows = []
    done_per_task = [0] * len(tasks)
    for m in members:
        mid, group_path = m.id, subtree.get(m.group_id, "") if m.group_id else ""
        cells = []
        for i, (tid, mode, token) in enumerate(plan):
            if (mode == ASSIGNED and (tid, mid) not in assigned) or (mode == GROUP and token not in group_path):
                cells.append("na")
                continue
            s = status.get((tid, mid), "not_started")
            if s == "completed":
                done_per_task[i] += 1
            cells.append(s)
        rows.append((m, cells, int(totals.get(mid) or 0), target_half(mid in leaders)))
    return Matrix(unit=unit, year=year, tasks=tasks, rows=rows, done_per_task=done_per_task)


def export_csv(session: Session, principal: Principal, *, unit_id: int, now: datetime | None = None) -> bytes:
    """学时 per member per year for a unit, as CSV (services.csvio: UTF-8 with a BOM, formulas defused)."""
    unit = get_unit_led(session, principal, unit_id)
    this_year = local_today(now).year
    with unscoped(session):
        members = list(session.exec(select(Member).where(Member.org_unit_id == unit.id)
                                    .order_by(Member.name, Member.id)).all())
        ids = select(Member.id).where(Member.org_unit_id == unit.id)
        totals = session.exec(select(StudyProgress.member_id, StudyProgress.credit_year,
                                     func.sum(StudyProgress.credited_half))
                              .where(StudyProgress.member_id.in_(ids), StudyProgress.status == ProgressStatus.completed,
                                     StudyProgress.credit_year.is_not(None))
                              .group_by(StudyProgress.member_id, StudyProgress.credit_year)).all()
        leaders = set(session.exec(select(Role.member_id).where(
            Role.member_id.in_(ids), Role.role.in_([RoleName.secretary, RoleName.committee]))).all())
    by_member: dict[int, dict[int, int]] = {}
    for mid, year, half in totals:
        by_member.setdefault(mid, {})[int(year)] = int(half or 0)
    rows = []
    for m in members:
        years = sorted(set(by_member.get(m.id, {})) | {this_year})
        target = target_half(m.id in leaders)
        for y in years:
            half = by_member.get(m.id, {}).get(y, 0)
            rows.append([unit.name, m.name, m.phone, y, hours_text(half), hours_text(target),
                         _("yes") if half >= target else _("no")])
    return csvio.to_csv([_("Party branch"), _("Name"), _("Mobile number"), _("Year"), _("Study hours"), _("Target"),
                         _("Target met")], rows)


@dataclass
class MemberCard:
    """A member's study record as their secretary sees it."""

    member: Member
    total_half: int
    target_half: int
    open_required: int


def member_card(session: Session, principal: Principal, *, member_id: int, now: datetime | None = None) -> MemberCard:
    """This year's 学时 of a member the secretary leads (NotFound otherwise)."""
    from services.orgs import get_member_led

    member = get_member_led(session, principal, member_id)
    year = local_today(now).year
    totals = year_totals(session, member_id=member.id)
    with unscoped(session):
        leader = session.exec(select(func.count(Role.id)).where(
            Role.member_id == member.id, Role.role.in_([RoleName.secretary, RoleName.committee]))).one() > 0
    return MemberCard(member=member, total_half=totals.get(year, 0), target_half=target_half(leader), open_required=0)


# -- uploads ---------------------------------------------------------------------------------------

def upload_dir() -> Path:
    """Where uploaded study files live (instance/uploads/study by default)."""
    base = _cfg("UPLOAD_DIR", None) or os.path.join(current_app.instance_path, "uploads")
    path = Path(base) / "study"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(head: bytes) -> tuple[str, str] | None:
    """(mime type, extension) from a file's first bytes, or None when it is not a type we take."""
    for magic, offset, mime, ext in MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return mime, ext
    return None


@_writes
def store_upload(session: Session, principal: Principal, *, unit_id: int, stream, filename: str = "",
                 now: datetime | None = None) -> StudyFile:
    """Keep an uploaded PDF, MP4/WebM video or PNG/JPEG image under a random name; type from its bytes."""
    limit = int(_cfg("STUDY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DomainError("file_too_large", _l("The file is too large: at most %(mb)s MB.",
                                               mb=f"{limit / 1024 / 1024:.0f}" if limit >= 1024 * 1024 else
                                               f"{limit / 1024 / 1024:.2f}"), status=413)
    if not data:
        raise DomainError("empty_file", _l("The file is empty."))
    kind = sniff(data[:16])
    if kind is None:
        raise DomainError("bad_file_type", _l("Upload a PDF, an MP4 or WebM video, or a PNG or JPEG image."),
                          status=415)
    begin_write(session)
    unit = get_unit_led(session, principal, unit_id)
    token = secrets.token_urlsafe(24)
    target = upload_dir() / token
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    row = StudyFile(org_unit_id=unit.id, token=token, original_name=os.path.basename(filename or "")[:200] or
                    f"file{kind[1]}", mime=kind[0], size=len(data), uploaded_by=principal.id,
                    created_at=now or utcnow())
    try:
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        target.unlink(missing_ok=True)  # no row, no file: nothing is left behind
        raise
    return row


def file_for(session: Session, principal: Principal, *, token: str) -> tuple[StudyFile, Path]:
    """An uploaded file for someone who may see a task using it (or who leads its owner), or NotFound."""
    with unscoped(session):
        f = session.exec(select(StudyFile).where(StudyFile.token == token)).first()
        if f is None:
            raise NotFound()
        reach = led_subtree_ids(session, principal) if principal.is_secretary else set()
        allowed = reach == ALL_ORGS or f.org_unit_id in reach
        if not allowed:
            owners = _principal_owner_ids(session, principal)
            allowed = session.exec(select(StudyTask.id).where(
                StudyTask.file_id == f.id, _audience_clause(principal.id, owners),
                StudyTask.archived_at.is_(None), StudyTask.opens_on <= local_today())).first() is not None
    path = upload_dir() / f.token
    if not allowed or not path.exists():
        raise NotFound()
    return f, path


def ring(total_half: int, target: int, radius: float = 52.0) -> dict:
    """Figures for the SVG ring: circumference and the filled length (presentation attributes, not styles)."""
    circumference = 2 * math.pi * radius
    share = min(1.0, total_half / max(target, 1))
    return {"r": radius, "c": round(circumference, 2), "filled": round(circumference * share, 2),
            "percent": int(share * 100)}
