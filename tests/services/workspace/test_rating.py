"""The branch rating: indicators 60 %, the members' evaluation 40 % once 5 answered, grades from config."""
from datetime import date

import pytest
from sqlmodel import select

from models import Attendance, EvaluationAnswer, EvaluationBallot
from services import workspace
from services.errors import DomainError
from tests.services.workspace.helpers import NOW, held, invite, principal, service, study_hours


@pytest.fixture
def b(factory, session):
    branch = factory.branch(name="莲花北社区党支部")
    sec = factory.secretary(branch)
    people = [factory.member(branch, name=f"党员{i}", password=None) for i in range(6)]
    return {"unit": branch, "sec": sec, "people": people}


def _answer(session, member, value):
    p = principal(session, member)
    workspace.submit_evaluation(session, p, scores={k: value for k, _l in workspace.QUESTIONS}, now=NOW)


def test_evaluation_counts_only_from_five_answers_and_splits_60_40(ctx, app, session, b, factory):
    """Below 5 answers, is the grade provisional from the indicators alone; at 5, is the total 60/40?"""
    app.config["RATING_WEIGHTS"] = {"meetings": 1, "attendance": 1, "study": 1, "service": 1}
    station = factory.station()
    m = held(session, b["unit"], "committee", date(2026, 1, 5))  # January: over, counts as held
    everyone = [b["sec"]] + b["people"]
    for i, person in enumerate(everyone):
        invite(session, m, person, Attendance.present if i < 4 else None)  # 4 of 7 present
        study_hours(session, person, 50)  # 25 学时: everyone on track by 20 May (the secretary too, for 56)
        if i < 1:
            service(session, person, station, date(2026, 3, 1), 600)
    session.commit()
    p = principal(session, b["sec"])
    for person in b["people"][:4]:
        _answer(session, person, 4)
    [r] = workspace.rating_page(session, principal(session, b["sec"]), unit_id=b["unit"].id, now=NOW).ratings
    assert r.answers == 4 and r.evaluation is None and not r.final
    assert r.indicators["attendance"] == pytest.approx(100 * 4 / 7)
    assert r.indicators["study"] == 100 and r.indicators["service"] == pytest.approx(100 / 7)
    assert r.score == r.indicator_score
    _answer(session, b["people"][4], 1)  # the fifth: 差 on every question
    [r] = workspace.rating_page(session, p, unit_id=b["unit"].id, now=NOW).ratings
    assert r.answers == 5 and r.evaluation == pytest.approx((4 * 100 + 40) / 5)
    assert r.score == pytest.approx(round(0.6 * r.indicator_score + 0.4 * r.evaluation, 1), abs=0.11)


@pytest.mark.parametrize("score,grade", [(95, "good"), (85, "fairly_good"), (65, "average"), (40, "poor")])
def test_grades_follow_the_config_thresholds(ctx, score, grade):
    """Are the grades 好 / 较好 / 一般 / 差 taken from the thresholds, and 差 flagged?"""
    r = workspace.Rating(unit=None, year=2026, indicators={"x": score}, weights={"x": 1},
                         split={"indicators": 60, "evaluation": 40})
    assert r.grade == grade and r.flagged == (grade == "poor")


def test_one_answer_per_member_per_year_and_anonymous(ctx, session, b):
    """Is a second answer refused, and does the answer keep no member id?"""
    member = b["people"][0]
    _answer(session, member, 3)
    with pytest.raises(DomainError) as err:
        _answer(session, member, 4)
    assert err.value.code == "already_answered"
    session.rollback()
    assert len(session.exec(select(EvaluationBallot)).all()) == 1
    [answer] = session.exec(select(EvaluationAnswer)).all()
    assert answer.scores == [3, 3, 3, 3] and not hasattr(answer, "member_id") and len(answer.id) == 32


def test_incomplete_answers_are_refused(ctx, session, b):
    """Is a form with a missing or made-up answer refused, with nothing written?"""
    p = principal(session, b["people"][0])
    for scores in ({}, {"life": 4}, {k: "9" for k, _l in workspace.QUESTIONS}, {k: "x" for k, _l in workspace.QUESTIONS}):
        with pytest.raises(DomainError):
            workspace.submit_evaluation(session, p, scores=scores, now=NOW)
    assert session.exec(select(EvaluationBallot)).all() == []


def test_committee_sees_poor_branches_first(ctx, session, factory):
    """Across a committee, are the branches graded 差 listed first and flagged?"""
    top = factory.committee()
    good, bad = factory.branch("好支部", parent=top), factory.branch("差支部", parent=top)
    for unit in (good, bad):
        for i in range(2):
            factory.member(unit, name=f"{unit.name}{i}", password=None)
    for month in range(1, 5):
        held(session, good, "committee", date(2026, month, 5))
        held(session, good, "theme_day", date(2026, month, 15))
    boss = factory.member(good, name="书记", roles=[("secretary", top)])
    page = workspace.rating_page(session, principal(session, boss), unit_id=top.id, now=NOW)
    assert page.ratings[0].unit.id == bad.id and page.ratings[0].flagged
