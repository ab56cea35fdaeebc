"""When to tell: quiet hours (21:30-08:00 in the city's time zone), the morning merge window,
and a push message's lifetime (TTL) and urgency."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

QUIET_START = time(21, 30)
QUIET_END = time(8, 0)
NEAR = timedelta(hours=2)  # an event nearer than this is told even in quiet hours (push only)
MORNING_END = time(12, 0)  # non-urgent reminders due before noon go out together in the morning
NOT_URGENT = timedelta(hours=6)  # an event at least this far away may be told a little early
MAX_TTL = 24 * 3600
MIN_TTL = 60


def tz() -> ZoneInfo:
    """The city's time zone."""
    name = current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def in_quiet_hours(when: datetime) -> bool:
    """Whether `when` falls in 21:30-08:00 local time."""
    local = when.astimezone(tz()).time()
    return local >= QUIET_START or local < QUIET_END


def quiet_end(when: datetime) -> datetime:
    """The 08:00 that ends the quiet hours `when` is in (the same morning, or the next one)."""
    local = when.astimezone(tz())
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz())


def push_time(due: datetime, event_at: datetime | None) -> datetime:
    """When a push may go: at `due`; in quiet hours at 08:00, unless the event is near (less than 2 h away)
    or would be over by then: then as soon as it is less than 2 h away."""
    if not in_quiet_hours(due):
        return due
    release = quiet_end(due)
    if event_at is None or release < event_at:
        return release if event_at is None or event_at - due >= NEAR else due
    return max(due, event_at - NEAR)


def sms_time(due: datetime, event_at: datetime | None) -> datetime | None:
    """When a text may go (never in quiet hours); None when holding it would be after the event."""
    if not in_quiet_hours(due):
        return due
    release = quiet_end(due)
    if event_at is not None and release >= event_at:
        return None
    return release


def morning_cutoff(now: datetime) -> datetime | None:
    """Noon today when `now` is in the morning window (08:00-12:00 local), else None."""
    local = now.astimezone(tz())
    if QUIET_END <= local.time() < MORNING_END:
        return datetime.combine(local.date(), MORNING_END, tzinfo=tz())
    return None


def ttl_seconds(now: datetime, event_at: datetime | None) -> int:
    """How long the push service should keep the message: until the event, at most 24 h, never 0."""
    if event_at is None:
        return MAX_TTL
    left = int((event_at - now).total_seconds())
    return max(MIN_TTL, min(MAX_TTL, left))


def urgency(now: datetime, event_at: datetime | None) -> str:
    """`high` only within the last hour before the event; `normal` otherwise."""
    if event_at is not None and timedelta(0) <= event_at - now <= timedelta(hours=1):
        return "high"
    return "normal"
