"""A member's consent to use their location for ranking stations (the fact and its time, never a position)."""
from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class LocationConsent(SQLModel, table=True):
    """One row while the member consents; withdrawing deletes it."""

    __tablename__ = "location_consent"

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True, index=True)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
