"""Branch meetings (三会一课, 主题党日 and the yearly ones): the meeting, who is invited and how they answered
and attended, the minutes with decisions, addenda and attachments, per-branch settings, calendar feeds."""
from datetime import datetime
from enum import Enum
from typing import Optional

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import OrgScoped, UTCDateTime, utcnow


class MeetingKind(str, Enum):
    """The kinds of branch meeting."""

    branch_assembly = "branch_assembly"  # 支部党员大会
    committee = "committee"  # 支委会
    group = "group"  # 党小组会
    lecture = "lecture"  # 党课
    theme_day = "theme_day"  # 主题党日
    life_meeting = "life_meeting"  # 组织生活会 (yearly)
    review = "review"  # 民主评议党员 (yearly)


class MeetingAudience(str, Enum):
    """Who must attend."""

    branch = "branch"  # every member of the branch
    committee = "committee"  # the branch committee (secretary and committee members)
    group = "group"  # one group (党小组)
    members = "members"  # chosen members


class PlaceKind(str, Enum):
    """Where: a station of the catalogue, a place in words, or online."""

    station = "station"
    text = "text"
    online = "online"


class InviteRole(str, Enum):
    """An invited attendee, an observer (列席), or someone who scanned without being invited (asks to be admitted)."""

    attendee = "attendee"
    observer = "observer"
    requested = "requested"


class Rsvp(str, Enum):
    """The member's answer."""

    attend = "attend"  # 参加
    leave = "leave"  # 请假


class LeaveStatus(str, Enum):
    """A leave request's state."""

    pending = "pending"
    approved = "approved"
    returned = "returned"


class Attendance(str, Enum):
    """How the member attended (no value yet: not marked)."""

    present = "present"
    late = "late"
    leave = "leave"  # on approved leave
    absent = "absent"  # absent without leave


class Meeting(OrgScoped, table=True):
    """A meeting owned by a branch (`org_unit_id`), or by one of its groups for a 党小组会 (`group_id`).

    `uid` never changes (calendar clients follow it); `sequence` rises with every change.
    """

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_unit_starts", "org_unit_id", "starts_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = Field(max_length=64, unique=True)
    kind: MeetingKind = Field(sa_type=String(20))
    title: str = Field(max_length=120)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    place_kind: PlaceKind = Field(default=PlaceKind.text, sa_type=String(10))
    station_id: Optional[int] = Field(default=None, foreign_key="station.id")
    place_text: str = Field(default="", max_length=200)
    online_url: str = Field(default="", max_length=500)
    agenda: str = Field(default="", sa_type=Text)
    audience: MeetingAudience = Field(default=MeetingAudience.branch, sa_type=String(20))
    group_id: Optional[int] = Field(default=None, foreign_key="org_unit.id")
    series: Optional[str] = Field(default=None, max_length=32, index=True)  # rows made by one repeat rule
    qr_key: str = Field(max_length=32)
    study_task_id: Optional[int] = Field(default=None, foreign_key="study_task.id")  # a 党课's lecture task
    study_task_owned: bool = Field(default=False)  # made for this meeting (withdrawn when it is cancelled)
    sequence: int = Field(default=0)
    cancelled_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str = Field(default="", max_length=300)
    created_by: Optional[int] = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingInvite(OrgScoped, table=True):
    """One member on a meeting's list: their answer, leave request and attendance (one row, so a mark is one
    UPDATE that checks its own condition)."""

    __tablename__ = "meeting_invite"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    role: InviteRole = Field(default=InviteRole.attendee, sa_type=String(12))
    has_vote: bool = Field(default=False)  # 正式党员 when invited (预备党员 have no vote)
    on_committee: bool = Field(default=False)  # secretary or committee member of the branch when invited
    rsvp: Optional[Rsvp] = Field(default=None, sa_type=String(10))
    answered_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    leave_reason: str = Field(default="", max_length=300)
    leave_status: Optional[LeaveStatus] = Field(default=None, sa_type=String(10))
    leave_note: str = Field(default="", max_length=300)
    leave_decided_by: Optional[int] = Field(default=None, foreign_key="member.id")
    leave_decided_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    attendance: Optional[Attendance] = Field(default=None, sa_type=String(10))
    marked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    marked_by: Optional[int] = Field(default=None, foreign_key="member.id")  # NULL: the member's own scan
    mark_method: str = Field(default="", max_length=12)  # qr, member_code, manual
    credited_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)  # 党课 study hours credited


class MeetingMinutes(OrgScoped, table=True):
    """The record (会议记录) of a meeting; editable until `locked_at`, then only addenda."""

    __tablename__ = "meeting_minutes"

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    host_id: Optional[int] = Field(default=None, foreign_key="member.id")  # 主持人
    recorder_id: Optional[int] = Field(default=None, foreign_key="member.id")  # 记录人
    topics: str = Field(default="", sa_type=Text)  # 议题
    discussion_md: str = Field(default="", sa_type=Text)
    discussion_html: str = Field(default="", sa_type=Text)  # rendered and sanitised when saved
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: Optional[int] = Field(default=None, foreign_key="member.id")
    locked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    locked_by: Optional[int] = Field(default=None, foreign_key="member.id")


class MeetingDecision(OrgScoped, table=True):
    """One decision (决议) of a meeting, with the vote count for a 支部党员大会."""

    __tablename__ = "meeting_decision"

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int = Field(default=0)
    text: str = Field(max_length=500)
    votes_for: Optional[int] = None
    votes_against: Optional[int] = None
    votes_abstain: Optional[int] = None


class MeetingAddendum(OrgScoped, table=True):
    """A dated note added to locked minutes."""

    __tablename__ = "meeting_addendum"

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str = Field(sa_type=Text)
    created_by: Optional[int] = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingFile(OrgScoped, table=True):
    """A photo or the signed sheet of a meeting, stored under instance/uploads/meetings/ by its random token."""

    __tablename__ = "meeting_file"

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    token: str = Field(max_length=64, unique=True, index=True)
    original_name: str = Field(default="", max_length=200)
    mime: str = Field(max_length=60)
    size: int
    uploaded_by: Optional[int] = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingSettings(OrgScoped, table=True):
    """A branch's meeting settings: its 固定党日, lateness grace, reminder plan and the committee member on duty."""

    __tablename__ = "meeting_settings"
    __table_args__ = (UniqueConstraint("org_unit_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    fixed_day: Optional[int] = None  # day of the month of the 主题党日 (1-28)
    late_grace_minutes: int = Field(default=10)
    reminder_minutes: list[int] = Field(default_factory=lambda: [1440, 60], sa_type=JSON)
    important_kinds: list[str] = Field(default_factory=lambda: ["branch_assembly"], sa_type=JSON)
    duty_member_id: Optional[int] = Field(default=None, foreign_key="member.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A member's personal calendar feed: only the hash of its secret token is kept."""

    __tablename__ = "calendar_feed"

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
