"""In-app notices to one member (reminders and the like); push comes with the meetings issue."""
from datetime import datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Notice(SQLModel, table=True):
    """A message for one member; `key` makes a sender's repeat (the same reminder twice a day) a no-op."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("member_id", "key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    title: str = Field(max_length=120)
    body: str = Field(default="", max_length=500)
    link: str = Field(default="", max_length=300)
    key: Optional[str] = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
