"""Retention: what is past its time is purged by the worker, each period from config (RETENTION) and shown on
the privacy page. Rules for tables another domain may not have yet run only once the table exists."""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session, SQLModel

from models import CheckIn, Delivery, Notification, PushSubscription, UserSession, utcnow
from models.db import begin_write, unscoped
from services import audit
from services.privacy import exports
from services.privacy.common import period

log = logging.getLogger(__name__)

# Tables of sign-in attempts (another domain's): purged when one of them exists, by its first time column.
ATTEMPT_TABLES = ("signin_attempt", "login_attempt", "sign_in_attempt")
ATTEMPT_TIME_COLUMNS = ("attempted_at", "created_at", "at")


@dataclass(frozen=True)
class Rule:
    """One retention rule as the privacy page lists it."""

    key: str
    what: str
    unit: str  # days | hours


RULES = (
    Rule("checkin_geofence_days", "checkin_geofence", "days"),
    Rule("push_unused_days", "push_unused", "days"),
    Rule("signin_attempts_days", "signin_attempts", "days"),
    Rule("sessions_expired_days", "sessions_expired", "days"),
    Rule("notifications_read_days", "notifications_read", "days"),
    Rule("export_link_hours", "export_link", "hours"),
    Rule("deletion_cooling_days", "deletion_cooling", "days"),
)


def _days(name: str, now: datetime) -> datetime:
    return now - timedelta(days=period(name))


def purge_geofence(session: Session, now: datetime) -> int:
    """Check-ins older than the period keep their hours but lose inside/outside, distance and accuracy."""
    cutoff = _days("checkin_geofence_days", now)
    with unscoped(session):
        return session.execute(update(CheckIn).where(
            CheckIn.checked_in_at < cutoff,
            or_(CheckIn.geo_inside.is_not(None), CheckIn.geo_distance_m.is_not(None),
                CheckIn.geo_accuracy_m.is_not(None)))
            .values(geo_inside=None, geo_distance_m=None, geo_accuracy_m=None)
            .execution_options(synchronize_session=False)).rowcount


def purge_push(session: Session, now: datetime) -> int:
    """Push devices that nothing has reached for the period (a device never reached counts from its subscription)."""
    cutoff = _days("push_unused_days", now)
    return session.execute(delete(PushSubscription).where(
        func.coalesce(PushSubscription.last_sent_at, PushSubscription.created_at) < cutoff)).rowcount


def attempt_tables() -> list:
    """The tables of sign-in attempts this schema has (none until the accounts domain keeps them)."""
    return [SQLModel.metadata.tables[n] for n in ATTEMPT_TABLES if n in SQLModel.metadata.tables]


def purge_attempts(session: Session, now: datetime) -> int:
    """Records of sign-in attempts older than the period (when such a table exists)."""
    cutoff = _days("signin_attempts_days", now)
    total = 0
    for table in attempt_tables():
        if "last_ms" in table.c:  # the accounts domain's login_attempt: times in milliseconds since the epoch
            cutoff_ms, now_ms = int(cutoff.timestamp() * 1000), int(now.timestamp() * 1000)
            waiting = table.c.blocked_until_ms if "blocked_until_ms" in table.c else None
            condition = table.c.last_ms < cutoff_ms
            if waiting is not None:
                condition = and_(condition, or_(waiting.is_(None), waiting < now_ms))
            total += session.execute(table.delete().where(condition)).rowcount
            continue
        column = next((table.c[c] for c in ATTEMPT_TIME_COLUMNS if c in table.c), None)
        if column is not None:
            total += session.execute(table.delete().where(column < cutoff)).rowcount
    return total


def purge_sessions(session: Session, now: datetime) -> int:
    """Sign-ins that ended (signed out or expired) longer ago than the period."""
    cutoff = _days("sessions_expired_days", now)
    return session.execute(delete(UserSession).where(or_(
        UserSession.revoked_at < cutoff, and_(UserSession.revoked_at.is_(None), UserSession.expires_at < cutoff)))
    ).rowcount


def purge_notifications(session: Session, now: datetime) -> int:
    """Messages read longer ago than the period (their delivery rows with them)."""
    cutoff = _days("notifications_read_days", now)
    ids = session.execute(select(Notification.id).where(Notification.read_at < cutoff).limit(5000)).scalars().all()
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(part)))
        session.execute(delete(Notification).where(Notification.id.in_(part)))
    return len(ids)


PURGES = (
    ("checkin_geofence", purge_geofence),
    ("push_unused", purge_push),
    ("signin_attempts", purge_attempts),
    ("sessions_expired", purge_sessions),
    ("notifications_read", purge_notifications),
)


def purge(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Run every retention rule once (the worker, daily); returns how many rows or files each removed."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for name, rule in PURGES:
        begin_write(session)
        counts[name] = int(rule(session, now) or 0)
        session.commit()
    counts["export_files"] = exports.purge_expired(session, now=now)
    if any(counts.values()):
        begin_write(session)
        audit.record(session, actor=None, action="privacy.retention", after=counts, now=now)
        session.commit()
    log.info("retention purge", extra={"fields": {"event": "retention", **counts}})
    return counts
