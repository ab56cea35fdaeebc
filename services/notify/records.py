"""What the sweep's senders share: the result tally, retry timing, and recording a delivery's outcome
under the claim that took it."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete as _delete
from sqlalchemy import update as _update
from sqlmodel import Session

from models import Delivery
from models.db import begin_write

_FAST = {"synchronize_session": False}  # no search of the session's identity map on each write


def update(entity):
    """An UPDATE that leaves the session's loaded objects alone (the sweep's writes go by id and token)."""
    return _update(entity).execution_options(**_FAST)


def delete(entity):
    """A DELETE that leaves the session's loaded objects alone."""
    return _delete(entity).execution_options(**_FAST)


BASE_BACKOFF = 60  # seconds before the first retry; doubled each time, at most MAX_BACKOFF
MAX_BACKOFF = 3600
NOT_URGENT = timedelta(hours=6)


def _cfg(name: str, default):
    value = current_app.config.get(name, default) if has_app_context() else default
    return type(default)(value)


def stale_after() -> timedelta:
    """How old a claim with no result may get before another worker takes the delivery again."""
    return timedelta(seconds=_cfg("NOTIFY_CLAIM_STALE_SECONDS", 300))


def max_attempts() -> int:
    """Attempts per delivery before it is marked failed."""
    return _cfg("NOTIFY_MAX_ATTEMPTS", 6)


def backoff(attempts: int, retry_after: int | None = None) -> int:
    """Seconds to wait before the next attempt: Retry-After when the service named one, else 60 s doubling."""
    if retry_after is not None:
        return max(1, retry_after)
    return min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts - 1))


@dataclass
class SweepResult:
    """What one sweep did, by outcome."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    merged: int = 0
    messages: int = 0  # HTTP requests that carried a message
    errors: list = field(default_factory=list)

    def add(self, other: "SweepResult") -> None:
        for name in ("claimed", "sent", "retried", "failed", "skipped", "released", "merged", "messages"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def _record(session: Session, delivery_id: int, token: str, commit: bool = True, **values) -> None:
    """Write a delivery's result, only if this worker still holds its claim."""
    begin_write(session)
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claim_token == token)
                    .values(**values))
    if commit:
        session.commit()


def _retry_values(row: Delivery, now: datetime, wait: int | None, error: str, **extra) -> dict:
    attempts = row.attempts + 1
    if attempts >= max_attempts():
        return {"status": "failed", "attempts": attempts, "failed_at": now, "last_error": error[:200],
                "claimed_at": None, "claim_token": None, **extra}
    return {"attempts": attempts, "next_attempt_at": now + timedelta(seconds=backoff(attempts, wait)),
            "last_error": error[:200], "claimed_at": None, "claim_token": None, **extra}
