"""Study tasks: completion conditions, heartbeats, quizzes, reports, attendance, yearly totals, task edits."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from models import Notification, StudyAttempt, StudyProgress, StudyTask
from services import study
from services.errors import DomainError, NotFound
from tests.services.study.helpers import as_, make_task, principal, task_data

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


def _progress(session, task, member):
    session.info["org_scope"] = "all"
    return session.exec(select(StudyProgress).where(StudyProgress.task_id == task.id,
                                                    StudyProgress.member_id == member.id)).first()


# -- reading and heartbeats ----------------------------------------------------------------------

def test_reading_completes_after_minimum_visible_time(ctx, session, branch):
    """Do heartbeats every 15 s complete a 60-second reading task and credit its 学时 once?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], min_seconds=60, hours_half=3)
    p = principal(session, branch["m1"])
    for i in range(4):
        item = study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=15 * i))
        assert item.status == "in_progress"
    item = study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=60))
    assert item.status == "completed" and item.progress.seconds_read == 60
    assert item.progress.credited_half == 3 and item.progress.credit_year == 2026
    again = study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=75))
    assert again.progress.seconds_read == 60  # nothing more after completion


def test_heartbeat_gap_is_capped(ctx, session, branch):
    """Does a beat after a long gap (page hidden) credit nothing, and a slightly late one its real time?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], min_seconds=600)
    p = principal(session, branch["m1"])
    study.beat(session, p, task_id=task.id, now=T0)
    assert study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=20)).progress.seconds_read == 20
    # 1.5 x 15 s = 22.5 s is the cap: a 5-minute gap counts for nothing and restarts the count
    assert study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=320)).progress.seconds_read == 20
    assert study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=335)).progress.seconds_read == 35


def test_forged_heartbeat_flood_adds_no_time(ctx, session, branch):
    """Do 200 beats within two seconds add no reading time, refused with 429 and nothing written?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], min_seconds=60)
    p = principal(session, branch["m1"])
    study.beat(session, p, task_id=task.id, now=T0)
    refused = 0
    for i in range(1, 201):
        try:
            study.beat(session, p, task_id=task.id, now=T0 + timedelta(milliseconds=10 * i))
        except DomainError as e:
            assert e.code == "too_soon" and e.status == 429
            refused += 1
    assert refused == 200
    row = _progress(session, task, branch["m1"])
    assert row.seconds_read == 0 and row.last_beat_at == T0
    # the next honest beat still counts only the real time since the last accepted one
    as_(session, p)
    assert study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=15)).progress.seconds_read == 15


def test_heartbeat_for_a_quiz_task_is_refused(ctx, session, branch):
    """Is a heartbeat on a task that is not a reading task refused?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], completion="quiz")
    p = principal(session, branch["m1"])
    with pytest.raises(DomainError) as e:
        study.beat(session, p, task_id=task.id, now=T0)
    assert e.value.code == "wrong_completion"


# -- quiz ----------------------------------------------------------------------------------------

def _quiz(session, sec, unit, **kw):
    task = make_task(session, sec, unit, completion="quiz", pass_mark=kw.pop("pass_mark", 100), **kw)
    q1 = study.add_question(session, sec, task_id=task.id, kind="single", text="全会在哪一年召开？",
                            options=["2024年", "2025年", "2026年"], correct=[1])
    q2 = study.add_question(session, sec, task_id=task.id, kind="multiple", text="以下哪些属于“三会一课”？",
                            options=["支部党员大会", "党小组会", "运动会", "党课"], correct=[0, 1, 3])
    q3 = study.add_question(session, sec, task_id=task.id, kind="single", text="党员每年学习目标多少学时？",
                            options=["16", "32", "64"], correct=[1])
    return task, [q1, q2, q3]


def _right_answers(questions):
    return {q.id: list(q.correct) for q in questions}


def test_quiz_shuffles_questions_and_options_per_attempt(ctx, session, branch):
    """Do attempts draw the questions and option orders at random, and grade by option identity, not position?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"])
    p = principal(session, branch["m1"])
    layouts = set()
    for seed in range(8):
        attempt = study.start_attempt(session, p, task_id=task.id, now=T0, rng=random.Random(seed))
        layouts.add(tuple((e["q"], tuple(e["o"])) for e in attempt.layout))
        assert sorted(e["q"] for e in attempt.layout) == sorted(q.id for q in qs)
        wrong = {q.id: [(q.correct[0] + 1) % len(q.options)] for q in qs}
        result = study.submit_attempt(session, p, attempt_id=attempt.id, answers=wrong, now=T0)
        assert result.passed is False
    assert len(layouts) > 1
    attempt = study.start_attempt(session, p, task_id=task.id, now=T0, rng=random.Random(99))
    result = study.submit_attempt(session, p, attempt_id=attempt.id, answers=_right_answers(qs), now=T0)
    assert result.passed and result.score == 100
    row = _progress(session, task, branch["m1"])
    assert row.status == "completed" and row.attempts == 9 and row.source == "quiz"


def test_quiz_draws_a_subset_when_asked(ctx, session, branch):
    """With quiz_size 2 from a bank of 3, does each attempt hold exactly 2 questions?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"], quiz_size=2)
    p = principal(session, branch["m1"])
    attempt = study.start_attempt(session, p, task_id=task.id, now=T0, rng=random.Random(1))
    assert len(attempt.layout) == 2


def test_multiple_choice_needs_exactly_the_right_set(ctx, session, branch):
    """Is a multiple-choice answer with one right option missing graded wrong (score 67 of 100)?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"], pass_mark=60)
    p = principal(session, branch["m1"])
    attempt = study.start_attempt(session, p, task_id=task.id, now=T0)
    answers = _right_answers(qs)
    answers[qs[1].id] = [0, 1]
    result = study.submit_attempt(session, p, attempt_id=attempt.id, answers=answers, now=T0)
    assert result.score == 67 and result.passed  # pass mark 60


def test_answer_for_a_question_not_in_the_attempt_is_refused(ctx, session, branch):
    """Is an answer to a question outside the member's attempt refused, with nothing written?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"], quiz_size=2)
    other_task, other_qs = _quiz(session, sec, branch["unit"])
    p = principal(session, branch["m1"])
    attempt = study.start_attempt(session, p, task_id=task.id, now=T0, rng=random.Random(3))
    in_attempt = {e["q"] for e in attempt.layout}
    outside = next(q for q in qs if q.id not in in_attempt)
    answers = {qid: [0] for qid in in_attempt}
    for bad in (outside.id, other_qs[0].id, 999999):
        with pytest.raises(DomainError) as e:
            study.submit_attempt(session, p, attempt_id=attempt.id, answers={**answers, bad: [0]}, now=T0)
        assert e.value.code == "not_in_attempt"
    with pytest.raises(DomainError) as e:
        study.submit_attempt(session, p, attempt_id=attempt.id, answers={**answers, next(iter(in_attempt)): [9]})
    assert e.value.code == "bad_option"
    session.info["org_scope"] = "all"
    fresh = session.get(StudyAttempt, attempt.id)
    session.refresh(fresh)
    assert fresh.submitted_at is None and fresh.answers is None
    assert _progress(session, task, branch["m1"]).attempts == 0


def test_unanswered_question_is_refused(ctx, session, branch):
    """Must every question of the attempt be answered before it is graded?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"])
    p = principal(session, branch["m1"])
    attempt = study.start_attempt(session, p, task_id=task.id, now=T0)
    with pytest.raises(DomainError) as e:
        study.submit_attempt(session, p, attempt_id=attempt.id, answers={qs[0].id: [1]}, now=T0)
    assert e.value.code == "unanswered"


def test_open_attempt_is_reused_and_double_submit_returns_first_result(ctx, session, branch):
    """Does starting twice reuse the unfinished attempt, and does a second submit change nothing?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"])
    p = principal(session, branch["m1"])
    a1 = study.start_attempt(session, p, task_id=task.id, now=T0)
    a2 = study.start_attempt(session, p, task_id=task.id, now=T0)
    assert a1.id == a2.id
    wrong = {q.id: [(q.correct[0] + 1) % len(q.options)] for q in qs}
    first = study.submit_attempt(session, p, attempt_id=a1.id, answers=wrong, now=T0)
    second = study.submit_attempt(session, p, attempt_id=a1.id, answers=_right_answers(qs), now=T0)
    assert second.score == first.score and not second.passed
    assert _progress(session, task, branch["m1"]).attempts == 1


def test_another_members_attempt_is_not_found(ctx, session, branch):
    """Can a member submit or open someone else's attempt? (NotFound.)"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"])
    a = study.start_attempt(session, principal(session, branch["m1"]), task_id=task.id, now=T0)
    p2 = principal(session, branch["m2"])
    with pytest.raises(NotFound):
        study.get_attempt(session, p2, attempt_id=a.id)
    with pytest.raises(NotFound):
        study.submit_attempt(session, p2, attempt_id=a.id, answers=_right_answers(qs))


def test_editing_a_question_keeps_past_attempts_readable(ctx, session, branch):
    """After a question is edited, does an old attempt still show the version it was asked?"""
    sec = principal(session, branch["sec"])
    task, qs = _quiz(session, sec, branch["unit"])
    p = principal(session, branch["m1"])
    a = study.start_attempt(session, p, task_id=task.id, now=T0)
    study.submit_attempt(session, p, attempt_id=a.id, answers=_right_answers(qs), now=T0)
    as_(session, sec)
    new = study.replace_question(session, sec, question_id=qs[0].id, kind="single", text="全会是第几次全体会议？",
                                 options=["第三次", "第四次"], correct=[1])
    assert new.replaces_id == qs[0].id
    _task, current = study.questions(session, sec, task_id=task.id)
    assert qs[0].id not in [q.id for q in current] and new.id in [q.id for q in current]
    view = study.get_attempt(session, principal(session, branch["m1"]), attempt_id=a.id)
    assert "全会在哪一年召开？" in [q.text for q, _opts in view.questions]


def test_question_validation(ctx, session, branch):
    """Are a single-choice question with two right options and a question with one option refused?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], completion="quiz")
    with pytest.raises(DomainError) as e:
        study.add_question(session, sec, task_id=task.id, kind="single", text="？", options=["a", "b"], correct=[0, 1])
    assert e.value.code == "one_correct"
    with pytest.raises(DomainError) as e:
        study.add_question(session, sec, task_id=task.id, kind="single", text="？", options=["a", ""], correct=[0])
    assert e.value.code == "few_options"


# -- reports -------------------------------------------------------------------------------------

def test_report_is_approved_or_returned(ctx, session, branch):
    """Does a report need its minimum length, and does approval credit it while returning needs a comment?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="report", completion="report", report_min_chars=20)
    p = principal(session, branch["m1"])
    with pytest.raises(DomainError) as e:
        study.save_report(session, p, task_id=task.id, text="太短了", now=T0)
    assert e.value.code == "report_too_short"
    assert _progress(session, task, branch["m1"]) is None
    as_(session, p)
    text = "通过学习全会精神，我深刻认识到基层党组织在服务群众中的重要作用，今后要在社区志愿服务中带头。"
    progress = study.save_report(session, p, task_id=task.id, text=text, now=T0)
    assert progress.status == "submitted"
    as_(session, sec)
    with pytest.raises(DomainError) as e:
        study.review_report(session, sec, progress_id=progress.id, approve=False, comment="")
    assert e.value.code == "comment_needed"
    returned = study.review_report(session, sec, progress_id=progress.id, approve=False, comment="请结合本职工作谈谈体会。")
    assert returned.status == "returned" and returned.credited_half == 0
    as_(session, p)
    study.save_report(session, p, task_id=task.id, text=text + "作为社区网格员，我将把学习成果转化为服务实效。", now=T0)
    as_(session, sec)
    done = study.review_report(session, sec, progress_id=progress.id, approve=True, now=T0)
    assert done.status == "completed" and done.credited_half == 2
    session.info["org_scope"] = "all"
    titles = [n.title for n in session.exec(select(Notification).where(Notification.member_id == branch["m1"].id)).all()]
    assert len(titles) == 2 and any("退回" in t for t in titles) and any("通过" in t for t in titles)
    as_(session, p)
    with pytest.raises(DomainError) as e:
        study.save_report(session, p, task_id=task.id, text=text, now=T0)
    assert e.value.code == "already_completed"


def test_oversized_report_is_refused(ctx, session, branch):
    """Is a report over the size limit refused with 413 and nothing written?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="report", completion="report")
    p = principal(session, branch["m1"])
    with pytest.raises(DomainError) as e:
        study.save_report(session, p, task_id=task.id, text="学" * 20001, now=T0)
    assert e.value.code == "report_too_long" and e.value.status == 413
    assert _progress(session, task, branch["m1"]) is None


def test_secretary_of_another_branch_cannot_review(ctx, session, factory, branch):
    """Does a secretary of another branch get NotFound for a report of this branch?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="report", completion="report")
    p = principal(session, branch["m1"])
    progress = study.save_report(session, p, task_id=task.id, text="学习体会" * 10, now=T0)
    other = principal(session, factory.secretary(factory.branch()))
    with pytest.raises(NotFound):
        study.review_report(session, other, progress_id=progress.id, approve=True)


# -- lecture attendance --------------------------------------------------------------------------

def test_attendance_credits_once_and_refuses_strangers(ctx, session, factory, branch):
    """Does credit_attendance credit each attendee once, and refuse (writing nothing) a member outside the audience?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance", hours_half=4)
    stranger = factory.member(factory.branch())
    with pytest.raises(DomainError) as e:
        study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id, stranger.id],
                                source="meeting:7", now=T0)
    assert e.value.code == "not_in_audience"
    assert _progress(session, task, branch["m1"]) is None
    first = study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id], source="meeting:7", now=T0)
    again = study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id, branch["m2"].id],
                                    source="meeting:7", now=T0)
    assert first == [branch["m1"].id] and again == [branch["m2"].id]
    row = _progress(session, task, branch["m1"])
    assert row.credited_half == 4 and row.source == "attendance:meeting:7"


def test_attendance_on_a_reading_task_is_refused(ctx, session, branch):
    """Is attendance refused for a task that is not a lecture?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"])
    with pytest.raises(DomainError) as e:
        study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id], source="x")
    assert e.value.code == "not_a_lecture"


def test_secretary_records_attendance_only_for_own_members(ctx, session, factory, branch):
    """Does a secretary recording attendance for a member of another branch get NotFound?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance")
    outsider = factory.member(factory.branch())
    as_(session, sec)
    with pytest.raises(NotFound):
        study.record_attendance(session, sec, task_id=task.id, member_ids=[branch["m1"].id, outsider.id])
    assert study.record_attendance(session, sec, task_id=task.id, member_ids=[branch["m1"].id]) == [branch["m1"].id]


# -- yearly totals -------------------------------------------------------------------------------

def test_totals_follow_the_year_of_completion_in_shanghai(ctx, session, branch):
    """Is a task done at 23:59 on 31 December (Shanghai) credited to that year, and one at 00:01 to the next?"""
    sec = principal(session, branch["sec"])
    late = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance", hours_half=4)
    early = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance", hours_half=3)
    before_midnight = datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc)  # 23:59 in Shanghai
    after_midnight = datetime(2025, 12, 31, 16, 1, tzinfo=timezone.utc)  # 00:01 on 1 January 2026
    study.credit_attendance(session, task_id=late.id, member_ids=[branch["m1"].id], source="t", now=before_midnight)
    study.credit_attendance(session, task_id=early.id, member_ids=[branch["m1"].id], source="t", now=after_midnight)
    assert study.year_totals(session, member_id=branch["m1"].id) == {2025: 4, 2026: 3}
    p = principal(session, branch["m1"])
    rec = study.record(session, p, year=2026, now=after_midnight)
    assert rec.total_half == 3 and rec.target_half == 64 and [y for y, _h in rec.history] == [2026, 2025]
    assert study.record(session, p, year=2025, now=after_midnight).total_half == 4  # no carry-over


def test_leaders_have_the_higher_target(ctx, session, branch):
    """Is a secretary's target 56 学时 and a member's 32?"""
    assert study.record(session, principal(session, branch["sec"])).target_half == 112
    assert study.record(session, principal(session, branch["m1"])).target_half == 64


def test_editing_a_task_keeps_progress_and_credit(ctx, session, branch):
    """When a secretary edits a task after members started, is their progress and credit kept?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], min_seconds=30, hours_half=2)
    p = principal(session, branch["m1"])
    study.beat(session, p, task_id=task.id, now=T0)
    study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=15))
    study.beat(session, p, task_id=task.id, now=T0 + timedelta(seconds=30))
    p2 = principal(session, branch["m2"])
    study.beat(session, p2, task_id=task.id, now=T0)
    study.beat(session, p2, task_id=task.id, now=T0 + timedelta(seconds=15))
    as_(session, sec)
    study.update_task(session, sec, task_id=task.id, data=task_data(title="新标题", min_seconds=600, hours_half=6))
    with pytest.raises(DomainError) as e:
        study.update_task(session, sec, task_id=task.id, data=task_data(completion="quiz"))
    assert e.value.code == "completion_locked"
    done, started = _progress(session, task, branch["m1"]), _progress(session, task, branch["m2"])
    assert done.status == "completed" and done.credited_half == 2
    assert started.status == "in_progress" and started.seconds_read == 15


def test_due_before_open_is_refused(ctx, session, branch):
    """Is a task due before it opens refused, with nothing written?"""
    sec = principal(session, branch["sec"])
    with pytest.raises(DomainError) as e:
        make_task(session, sec, branch["unit"], opens_on=date(2026, 5, 1), due_on=date(2026, 4, 30))
    assert e.value.code == "due_before_open"
    session.info["org_scope"] = "all"
    assert session.exec(select(StudyTask)).all() == []
