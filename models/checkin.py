"""Check-ins at stations, volunteer activities and sign-ups, and home-community registration."""
from datetime import date, datetime
from enum import Enum
from typing import Optional

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import OrgScoped, UTCDateTime, utcnow


class CheckinSource(str, Enum):
    """Where the hours come from: a scan at the station, or added by hand."""

    scan = "scan"
    manual = "manual"


class CheckinMethod(str, Enum):
    """How the member proved they were there."""

    rotating = "rotating"  # the kiosk's 15-second code
    poster = "poster"  # the printed fixed code (always with the geofence)
    staff = "staff"  # station staff scanned the member's own code
    manual = "manual"  # added by hand, no proof


class CheckoutMethod(str, Enum):
    """How the record was closed."""

    scan = "scan"
    button = "button"
    staff = "staff"
    auto = "auto"  # forgotten: closed by the worker, flagged for the secretary
    moved = "moved"  # checked in at another station


class CheckinStatus(str, Enum):
    """Whether the hours count: scans count at once; hand-added and flagged ones wait for approval."""

    open = "open"  # checked in, not yet out
    counted = "counted"  # a clean scan record: counts without approval
    pending = "pending"
    approved = "approved"
    declined = "declined"


class CheckIn(OrgScoped, table=True):
    """One visit of a member to a station; `org_unit_id` is the member's branch at check-in."""

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("member_id", "nonce", name="uq_checkin_member_nonce"),
        UniqueConstraint("member_id", "checkout_nonce", name="uq_checkin_member_checkout_nonce"),
        UniqueConstraint("open_member_id", name="uq_checkin_open_member"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    activity_id: Optional[int] = Field(default=None, foreign_key="activity.id", index=True)
    source: str = Field(default=CheckinSource.scan, sa_type=String(20))
    method: str = Field(default=CheckinMethod.rotating, sa_type=String(20))
    status: str = Field(default=CheckinStatus.open, sa_type=String(20), index=True)
    # equals member_id while the record is open, NULL after: at most one open check-in per member
    open_member_id: Optional[int] = Field(default=None)
    nonce: Optional[str] = Field(default=None, max_length=64)
    checkout_nonce: Optional[str] = Field(default=None, max_length=64)
    checked_in_at: datetime = Field(sa_type=UTCDateTime, index=True)
    checked_out_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    checkout_method: Optional[str] = Field(default=None, sa_type=String(20))
    service_day: date = Field(index=True)  # the local (Asia/Shanghai) day of the check-in
    minutes: int = 0  # time on site
    credited_minutes: int = 0  # after rounding down and the daily cap
    offline: bool = False  # scanned without network, sent later
    auto_closed: bool = False
    geo_inside: Optional[bool] = None
    geo_distance_m: Optional[int] = None  # rounded to 10 m; never raw coordinates
    geo_accuracy_m: Optional[int] = None
    note: str = Field(default="", max_length=200)
    staff_id: Optional[int] = Field(default=None, foreign_key="member.id")
    decided_by: Optional[int] = Field(default=None, foreign_key="member.id")
    decided_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Activity(SQLModel, table=True):
    """A volunteer activity at a station, posted by its staff or a branch; open to every member."""

    __tablename__ = "activity"

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    station_id: int = Field(foreign_key="station.id", index=True)
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id", index=True)  # the posting branch
    place: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    slots: int = 10
    taken: int = 0  # kept by conditional UPDATEs: never more than slots
    bring: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    created_by: Optional[int] = Field(default=None, foreign_key="member.id")
    cancelled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActivitySignup(SQLModel, table=True):
    """A member's place in an activity; cancelling frees the slot."""

    __tablename__ = "activity_signup"
    __table_args__ = (UniqueConstraint("activity_id", "member_id", name="uq_signup_activity_member"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class CommunityRegistration(SQLModel, table=True):
    """在职党员到社区报到: the member's home community station (one at a time)."""

    __tablename__ = "community_registration"

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    registered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
