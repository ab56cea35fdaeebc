"""Notifications to members: the outbox (one notification per member and purpose, one delivery
per channel), the in-app inbox, Web Push devices, text messages, channel preferences, quiet
hours and merging, and the worker's sweep that sends what is due.

Other domains call `send` (tell now), `schedule` (reminders of a subject, replacing the untold
ones) and `withdraw`, with a `Message`; they never see the channels. When a member withdraws
consent or leaves, `forget_devices(session, member_id=...)` deletes their push subscriptions.
"""
from services.notify.inbox import for_member, mark_all_read, mark_read, unread_count
from services.notify.outbox import Message, Reminder, channel_counts, pending_for, safe_url, schedule, send, withdraw
from services.notify.sweeper import SweepResult, deliver_now, send_test, sweep
from services.notify.webpush import device_count, forget_devices, has_device, public_key, subscribe, unsubscribe
from services.notify.purposes import (
    ACTIVITY_STARTING, DATA_REQUEST, EXPORT_READY, LEAVE_DECISION, MEETING_CANCELLED, MEETING_CHANGED,
    MEETING_REMINDER, POLITICAL_BIRTHDAY, PURPOSES, STUDY_DUE, STUDY_REVIEW, TERM_ENDING, TEST,
)

__all__ = [
    "ACTIVITY_STARTING", "DATA_REQUEST", "EXPORT_READY", "LEAVE_DECISION", "MEETING_CANCELLED", "MEETING_CHANGED",
    "MEETING_REMINDER", "POLITICAL_BIRTHDAY", "PURPOSES", "STUDY_DUE", "STUDY_REVIEW", "TERM_ENDING", "TEST",
    "Message", "Reminder", "channel_counts", "for_member", "mark_all_read", "mark_read", "pending_for", "safe_url",
    "schedule", "send", "unread_count", "withdraw",
    "SweepResult", "deliver_now", "send_test", "sweep",
    "device_count", "forget_devices", "has_device", "public_key", "subscribe", "unsubscribe",
]

# consent to a whole channel (services.privacy: 我的 → 个人信息与隐私)
from services.notify.preferences import allow_channel, channel_withdrawn, withdraw_channel  # noqa: E402

__all__ += ["allow_channel", "channel_withdrawn", "withdraw_channel"]
