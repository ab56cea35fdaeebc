"""Demo data for the workspace: each branch's committee term (some due for 换届 within six months) and the
members' yearly evaluation of the demo branch (enough answers for the rating to count them).

`seed(session, rng=...)` is idempotent: it does nothing once any branch has a term.
"""
import random
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from models import Member, OrgKind, OrgUnit
from models.db import unscoped
from models.workspace import BranchTerm, EvaluationAnswer, EvaluationBallot
from services.workspace.common import local_now

SECRETARY_PHONE = "13800000001"
ANSWERS = 8  # of the demo branch's members; the rating counts the evaluation from 5 answers on


def seed(session: Session, *, rng: random.Random | None = None) -> str:
    """Terms for every demo branch and this year's evaluation answers of the demo branch; a one-line summary."""
    rng = rng or random.Random(2026)
    with unscoped(session):
        if session.exec(select(BranchTerm.id)).first() is not None:
            return "workspace: already seeded"
        today = local_now().date()
        branches = session.exec(select(OrgUnit).where(OrgUnit.kind == OrgKind.branch).order_by(OrgUnit.id)).all()
        for i, branch in enumerate(branches):
            # every fifth branch elected about three years ago: its term ends within six months
            days = rng.randint(950, 1060) if i % 5 == 0 else rng.randint(120, 900)
            session.add(BranchTerm(org_unit_id=branch.id, elected_on=today - timedelta(days=days), years=3))
        secretary = session.exec(select(Member).where(Member.phone == SECRETARY_PHONE)).first()
        answered = 0
        if secretary is not None:
            members = session.exec(select(Member).where(Member.org_unit_id == secretary.org_unit_id,
                                                        Member.id != secretary.id)
                                   .order_by(Member.id).limit(ANSWERS)).all()
            for member in members:
                session.add(EvaluationBallot(member_id=member.id, year=today.year, org_unit_id=member.org_unit_id))
                session.add(EvaluationAnswer(id=secrets.token_hex(16), year=today.year,
                                             org_unit_id=member.org_unit_id,
                                             scores=[rng.choice((4, 4, 3, 3, 2)) for _ in range(4)]))
                answered += 1
        session.commit()
    return f"workspace: {len(branches)} committee terms, {answered} evaluation answers"
