"""The workspace demo data."""
import random

from sqlmodel import func, select

from demo import workspace as demo_workspace
from models.workspace import BranchTerm
from services.workspace.common import local_now
from services.workspace.rating import ratings


def test_terms_for_every_branch_and_enough_answers_for_the_rating(ctx, factory, session):
    """Does every branch get a committee term, the demo branch enough evaluation answers for its rating to count
    them, and does a second run add nothing?"""
    top = factory.committee("莲花街道党工委")
    branches = [factory.branch(name=f"第{i}党支部", parent=top) for i in range(3)]
    sec = factory.secretary(branches[0], name="李书记", phone="13800000001")
    for i in range(10):
        factory.member(branches[0], name=f"党员{i}", password=None)
    summary = demo_workspace.seed(session, rng=random.Random(1))
    assert summary == "workspace: 3 committee terms, 8 evaluation answers"
    assert session.exec(select(func.count(BranchTerm.id))).one() == 3
    rating = ratings(session, branches=[session.get(type(branches[0]), sec.org_unit_id)], year=local_now().year)[0]
    assert rating.answers == 8 and rating.evaluation is not None
    assert demo_workspace.seed(session, rng=random.Random(1)) == "workspace: already seeded"
    assert session.exec(select(func.count(BranchTerm.id))).one() == 3
