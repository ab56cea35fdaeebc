"""The study demo data."""
import random

from sqlmodel import select

from demo import study as demo_study
from models import Notification, StudyProgress, StudyTask
from services import study
from tests.services.study.helpers import principal


def test_seed_is_idempotent_and_makes_the_demo_member_alive(ctx, factory, session):
    """Does the seed give the demo member a partly filled ring, past years and a reminder, and add nothing twice?"""
    top = factory.committee("莲花街道党工委")
    branch = factory.branch(name="莲花北社区第一党支部", parent=top)
    factory.secretary(branch, phone="13800000001")
    member = factory.member(branch, name="陈小明", phone="13800000002")
    for i in range(8):
        factory.member(branch, name=f"党员{i}", password=None)
    summary = demo_study.seed(session, rng=random.Random(1))
    assert summary.startswith("study: ") and "tasks" in summary
    tasks = len(session.exec(select(StudyTask)).all())
    rows = len(session.exec(select(StudyProgress)).all())
    again = demo_study.seed(session, rng=random.Random(1))
    assert again.startswith("study: 0 tasks, 0 progress rows, 0 notice")
    assert len(session.exec(select(StudyTask)).all()) == tasks
    assert len(session.exec(select(StudyProgress)).all()) == rows
    p = principal(session, member)
    rec = study.record(session, p)
    assert 0 < rec.total_half < rec.target_half
    assert len(rec.history) == 3 and rec.history[1][1] >= 64  # last year's target met
    board = study.board(session, p)
    assert board.due_soon and board.done
    assert session.exec(select(Notification).where(Notification.member_id == member.id)).first() is not None


def test_seed_without_demo_accounts_does_nothing(ctx, session):
    """Without the demo accounts, does the seed skip quietly?"""
    assert "not found" in demo_study.seed(session, rng=random.Random(1))
