"""The organisation tree: committee > general branch > branch > group."""
from datetime import datetime
from enum import Enum
from typing import Optional

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class OrgKind(str, Enum):
    """Levels of the tree, top to bottom."""

    committee = "committee"  # 党委
    general_branch = "general_branch"  # 党总支
    branch = "branch"  # 党支部
    group = "group"  # 党小组


class OrgUnit(SQLModel, table=True):
    """One unit of the tree; `path` ("/1/4/9/") makes a subtree one prefix match."""

    __tablename__ = "org_unit"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    kind: OrgKind = Field(sa_type=String(20))
    parent_id: Optional[int] = Field(default=None, foreign_key="org_unit.id", index=True)
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
