"""Members, their roles, their branch history and their signed-in sessions."""
from datetime import date, datetime
from enum import Enum
from typing import Optional

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import OrgScoped, UTCDateTime, utcnow


class MemberStatus(str, Enum):
    """Probationary (预备党员) or full (正式党员) member."""

    probationary = "probationary"
    full = "full"


class RoleName(str, Enum):
    """What a person may do beyond being a member."""

    secretary = "secretary"  # 书记 of an org unit
    committee = "committee"  # 委员 of an org unit
    station_staff = "station_staff"  # staff of a station
    admin = "admin"


class Member(OrgScoped, table=True):
    """A member; `org_unit_id` is their branch, `group_id` their group (党小组)."""

    __tablename__ = "member"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    phone: str = Field(max_length=11, unique=True, index=True)
    password_hash: Optional[str] = Field(default=None, max_length=255)
    must_change_password: bool = Field(default=True)
    joined_on: Optional[date] = None
    status: MemberStatus = Field(default=MemberStatus.full, sa_type=String(20))
    group_id: Optional[int] = Field(default=None, foreign_key="org_unit.id")
    locale: Optional[str] = Field(default=None, max_length=16)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Role(SQLModel, table=True):
    """A role held by a member, tied to an org unit or a station where it applies."""

    __tablename__ = "role"
    __table_args__ = (
        UniqueConstraint("member_id", "role", "org_unit_id", "station_id"),
        # the constraint above lets rows with NULLs repeat (SQL's NULLs are all distinct): this one does not
        Index("uq_role_scope", "member_id", "role", text("coalesce(org_unit_id, 0)"),
              text("coalesce(station_id, 0)"), unique=True),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    role: RoleName = Field(sa_type=String(20))
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id", index=True)
    station_id: Optional[int] = Field(default=None, foreign_key="station.id", index=True)


class Membership(SQLModel, table=True):
    """A member's time in a branch; the open row (ended_at NULL) is the current one."""

    __tablename__ = "membership"

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", max_length=200)


class UserSession(SQLModel, table=True):
    """A server-side sign-in; revoking it makes every copy of its cookie useless."""

    __tablename__ = "user_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    remember: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
