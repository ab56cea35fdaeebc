"""The secretary's workspace: a branch's committee term, and the members' yearly evaluation of their branch.

The evaluation is anonymous to the secretary: who answered (`EvaluationBallot`) and what was answered
(`EvaluationAnswer`, random keys, no member and no time) are kept apart.
"""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field

from models.base import OrgScoped, UTCDateTime, utcnow


class BranchTerm(OrgScoped, table=True):
    """When the branch committee was elected (支部换届 every `years` years)."""

    __tablename__ = "branch_term"
    __table_args__ = (UniqueConstraint("org_unit_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    elected_on: date
    years: int = Field(default=3)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EvaluationBallot(OrgScoped, table=True):
    """That a member answered their branch's evaluation of a year (one per member and year); never what."""

    __tablename__ = "evaluation_ballot"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    year: int


class EvaluationAnswer(OrgScoped, table=True):
    """One anonymous answer: scores per question, under a random key (no member, no time)."""

    __tablename__ = "evaluation_answer"

    id: str = Field(primary_key=True, max_length=32, sa_type=String(32))
    year: int = Field(index=True)
    scores: list[int] = Field(default_factory=list, sa_type=JSON)
