"""A member's data rights (PIPL arts. 44-47): downloads of everything held, correction requests, account deletion."""
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class DataExport(SQLModel, table=True):
    """One download of everything held about a member: a ZIP under instance/exports/ by a random name.

    `pending_member_id` equals member_id while the export is waiting or being built, NULL after:
    at most one export in the making per member (a second request is refused, not queued).
    """

    __tablename__ = "data_export"
    __table_args__ = (UniqueConstraint("pending_member_id", name="uq_data_export_pending"),
                      Index("ix_data_export_status", "status", "requested_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                                            index=True))
    pending_member_id: Optional[int] = Field(default=None)
    status: str = Field(default="pending", max_length=12)  # pending | building | ready | failed | expired
    file_name: str = Field(default="", max_length=80)  # random; never the member's name
    size: int = Field(default=0)
    row_count: int = Field(default=0)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    ready_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    expires_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    downloaded_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)  # unused: a download writes nothing
    error: str = Field(default="", max_length=120)


class DataRequest(SQLModel, table=True):
    """A member's request that the branch correct something the member cannot change themselves."""

    __tablename__ = "data_request"
    __table_args__ = (Index("ix_data_request_unit_status", "org_unit_id", "status"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                                            index=True))
    org_unit_id: int = Field(foreign_key="org_unit.id")  # the member's branch when asked: its secretary answers
    subject: str = Field(max_length=20)  # name | joined_on | status | group | other
    text: str = Field(max_length=500)
    status: str = Field(default="open", max_length=12)  # open | done | declined
    answer: str = Field(default="", max_length=500)
    answered_by: Optional[int] = Field(default=None, foreign_key="member.id")
    answered_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeletionRequest(SQLModel, table=True):
    """A member's request to delete their account: anonymised by the worker once `due_at` passes, unless cancelled.

    `open_member_id` equals member_id while the request stands: at most one at a time.
    """

    __tablename__ = "deletion_request"
    __table_args__ = (UniqueConstraint("open_member_id", name="uq_deletion_request_open"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                                            index=True))
    open_member_id: Optional[int] = Field(default=None)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    cancelled_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    done_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
