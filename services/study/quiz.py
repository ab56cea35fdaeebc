"""Completion by quiz: attempts drawn and shuffled, graded on the server; the question bank secretaries keep."""
import random
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from models import Completion, ProgressStatus, QuestionKind, StudyAttempt, StudyQuestion, StudyTask, utcnow
from models.db import begin_write, unscoped
from services.accounts import Principal
from services.errors import DomainError, NotFound
from services.study.authoring import get_task_led
from services.study.common import _writes
from services.study.completion import _complete, _progress_for_write, _task_for_member_write

MAX_OPTIONS = 6


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
