"""The outbox: one notification per member and purpose, one delivery per channel, push devices,
channel preferences and the per-phone SMS count."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """Something to tell one member; it is in their inbox from `due_at` on.

    `key` makes a repeat a no-op per (member, purpose). Rows made by `notify.schedule` carry
    `scheduled` and the `subject` (e.g. "meeting:42") whose reminders they are.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("member_id", "purpose", "key"),
        Index("ix_notification_member_due", "member_id", "due_at"),
        Index("ix_notification_subject", "subject"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False))
    purpose: str = Field(max_length=32)
    key: str = Field(max_length=160)
    subject: Optional[str] = Field(default=None, max_length=80)
    scheduled: bool = Field(default=False)
    title: str = Field(max_length=120)
    body: str = Field(default="", max_length=500)
    url: str = Field(default="", max_length=300)
    important: bool = Field(default=False)
    event_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One channel's attempt to carry a notification (push, SMS); the inbox is the notification itself.

    A worker claims a row (`claimed_at`, `claim_token`) before sending it; `next_attempt_at`
    is when it may be tried (quiet hours and retry backoff move it); `merged_into_id` names the
    delivery whose message carried this one too.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_delivery_ready", "status", "next_attempt_at"),
        Index("ix_delivery_member", "member_id", "channel", "status"),
        Index("ix_delivery_claim", "claim_token"),
        Index("ix_delivery_claimed", "status", "claimed_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    notification_id: int = Field(sa_column=Column(Integer, ForeignKey("notification.id", ondelete="CASCADE"),
                                                  nullable=False))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False))
    channel: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed | cancelled | skipped
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    claimed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    claim_token: Optional[str] = Field(default=None, max_length=32)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    failed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=200)
    merged_into_id: Optional[int] = Field(default=None)
    sent_to: str = Field(default="", max_length=200)  # push: ids of the devices already reached
    small: bool = Field(default=False)  # push: a 413 asked for the short payload


class PushSubscription(SQLModel, table=True):
    """One device's Web Push subscription (endpoint and keys from the browser)."""

    __tablename__ = "push_subscription"

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                                            index=True))
    endpoint: str = Field(max_length=1000)
    endpoint_hash: str = Field(max_length=64, unique=True)
    p256dh: str = Field(max_length=120)
    auth: str = Field(max_length=40)
    device: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    key_id: str = Field(default="", max_length=16)  # which VAPID key the browser subscribed with
    last_error: str = Field(default="", max_length=60)


class NotifyPreference(SQLModel, table=True):
    """A member's choice for one purpose on one channel; no row means the default."""

    __tablename__ = "notify_preference"

    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True))
    purpose: str = Field(max_length=32, primary_key=True)
    channel: str = Field(max_length=16, primary_key=True)
    enabled: bool = Field(default=True)


class SmsQuota(SQLModel, table=True):
    """Text messages sent to one member's phone on one local day (the providers do not de-duplicate)."""

    __tablename__ = "sms_quota"

    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True))
    day: date = Field(primary_key=True)
    sent: int = Field(default=0)
