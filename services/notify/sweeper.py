"""The worker's sweep: claim the deliveries that are due, send each through its channel, record the result.

Exactly once as far as the database can tell: a delivery is claimed (`claimed_at`, `claim_token`)
with `UPDATE ... WHERE claimed_at IS NULL` (under SQLite's write lock) or `FOR UPDATE SKIP LOCKED`
(PostgreSQL) before anything is sent, and its result is committed right after its answer. A claim
older than NOTIFY_CLAIM_STALE_SECONDS with no result (a worker killed mid-batch) is released.
Failures are retried with exponential backoff that honours Retry-After; after the last attempt the
delivery is failed (the inbox still has the notification).
"""
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlmodel import Session

from models import Delivery, Member, Notification, PushSubscription, SmsQuota, utcnow
from models.db import begin_write, unscoped
from services.notify import sms, webpush
from services.notify.purposes import PUSH, SMS
from services.notify.timing import in_quiet_hours, morning_cutoff, sms_time, ttl_seconds, tz, urgency

log = logging.getLogger(__name__)

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


# --- claiming --------------------------------------------------------------------------------

def release_stale(session: Session, *, now: datetime) -> int:
    """Release claims older than the stale limit that never got a result."""
    begin_write(session)
    done = session.execute(update(Delivery).where(
        Delivery.status == "pending", Delivery.claimed_at.is_not(None),
        Delivery.claimed_at < now - stale_after()).values(claimed_at=None, claim_token=None)).rowcount
    session.commit()
    if done:
        log.warning("released %s stale delivery claims", done, extra={"fields": {"event": "notify_released",
                                                                                   "count": done}})
    return done


def claim(session: Session, *, now: datetime, limit: int = 100, notification_ids=None) -> tuple[str, list[int]]:
    """Claim up to `limit` due, unclaimed deliveries (of these notifications, when given); returns (token, ids)."""
    token = secrets.token_hex(12)
    due = select(Delivery.id).where(Delivery.status == "pending", Delivery.claimed_at.is_(None),
                                    Delivery.next_attempt_at <= now)
    if notification_ids is not None:
        due = due.where(Delivery.notification_id.in_(list(notification_ids)))
    due = due.order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    begin_write(session)
    ids = _take(session, due, now=now, token=token)
    if ids and notification_ids is None:
        ids += _claim_morning(session, now=now, token=token, claimed=ids)
    session.commit()
    return token, sorted(ids)


def _claim_morning(session: Session, *, now: datetime, token: str, claimed: list[int]) -> list[int]:
    """In the morning window, also take the same members' push reminders due before noon whose events are
    at least 6 h away: they go out merged with the one due now."""
    cutoff = morning_cutoff(now)
    if cutoff is None:
        return []
    members = select(Delivery.member_id).where(Delivery.id.in_(claimed), Delivery.channel == PUSH)
    early = (select(Delivery.id).join(Notification, Notification.id == Delivery.notification_id).where(
        Delivery.status == "pending", Delivery.claimed_at.is_(None), Delivery.channel == PUSH,
        Delivery.next_attempt_at > now, Delivery.next_attempt_at < cutoff, Delivery.member_id.in_(members),
        Notification.scheduled.is_(True), Notification.event_at >= now + NOT_URGENT))
    return _take(session, early, now=now, token=token, of=Delivery)


def _take(session: Session, query, *, now: datetime, token: str, of=None) -> list[int]:
    """Mark the deliveries `query` selects as claimed by `token`. PostgreSQL: the rows are locked first
    with SKIP LOCKED in a statement of their own (inside `UPDATE ... IN (subquery)` the planner may run the
    subquery again and take more rows than its LIMIT); SQLite: the write lock is already held."""
    if session.bind.dialect.name == "postgresql":
        ids = list(session.execute(query.with_for_update(of=of, skip_locked=True)).scalars().all())
        if not ids:
            return []
        target = Delivery.id.in_(ids)
    else:
        target = Delivery.id.in_(query.scalar_subquery())
    return list(session.execute(update(Delivery).where(target, Delivery.claimed_at.is_(None))
                                .values(claimed_at=now, claim_token=token).returning(Delivery.id)).scalars().all())


# --- recording -------------------------------------------------------------------------------

def _record(session: Session, delivery_id: int, token: str, **values) -> None:
    """Write a delivery's result, only if this worker still holds its claim."""
    begin_write(session)
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claim_token == token)
                    .values(**values))
    session.commit()


def _retry_values(row: Delivery, now: datetime, wait: int | None, error: str, **extra) -> dict:
    attempts = row.attempts + 1
    if attempts >= max_attempts():
        return {"status": "failed", "attempts": attempts, "failed_at": now, "last_error": error[:200],
                "claimed_at": None, "claim_token": None, **extra}
    return {"attempts": attempts, "next_attempt_at": now + timedelta(seconds=backoff(attempts, wait)),
            "last_error": error[:200], "claimed_at": None, "claim_token": None, **extra}


# --- push ------------------------------------------------------------------------------------

def _tag(n: Notification) -> str:
    return n.subject or f"n{n.id}"


def _merged_message(group: list[tuple[Delivery, Notification]]) -> dict:
    from flask_babel import gettext as _

    first = group[0][1]
    if len(group) == 1:
        return {"title": first.title, "body": first.body, "url": first.url, "tag": _tag(first), "count": 1}
    titles = "；".join(n.title for _d, n in group)
    return {"title": _("%(num)d reminders", num=len(group)), "body": titles, "url": "/inbox/",
            "tag": "reminders", "count": len(group)}


def _push_group(session: Session, token: str, group, devices: list[PushSubscription], now: datetime,
                http, result: SweepResult, crash) -> None:
    """Send one message (one notification, or several merged) to each of the member's devices."""
    lead, note = group[0]
    message = _merged_message(group)
    event_at = min((n.event_at for _d, n in group if n.event_at), default=None)
    ttl, level = ttl_seconds(now, event_at), urgency(now, event_at)
    topic = webpush.topic(message["tag"], note.purpose)
    reached = {int(x) for x in lead.sent_to.split(",") if x.isdigit()}
    small, waits, errors, retry = lead.small, [], [], False
    for device in devices:
        if device.id in reached:
            continue
        outcome = webpush.send(device, webpush.payload(small=small, **message), ttl=ttl, urgency=level,
                               topic_=topic, http=http)
        result.messages += 1
        if outcome.outcome == "too_large" and not small:
            small = True
            outcome = webpush.send(device, webpush.payload(small=True, **message), ttl=ttl, urgency=level,
                                   topic_=topic, http=http)
            result.messages += 1
        if outcome.outcome == "sent":
            reached.add(device.id)
            _touch_device(session, device.id, now, "")
        elif outcome.outcome in ("gone", "rejected"):
            _drop_device(session, device.id, outcome)
        elif outcome.outcome == "too_large":
            errors.append("http 413")
            _touch_device(session, device.id, None, "http 413")
        else:
            retry = True
            waits.append(outcome.retry_after)
            errors.append(outcome.detail)
    sent_to = ",".join(str(i) for i in sorted(reached))[:200]
    if retry:
        wait = max((w for w in waits if w is not None), default=None)
        values = _retry_values(lead, now, wait, "; ".join(e for e in errors if e) or "retry",
                               sent_to=sent_to, small=small)
        result.failed += values.get("status") == "failed"
        result.retried += values.get("status") != "failed"
    elif reached:
        values = {"status": "sent", "sent_at": now, "attempts": lead.attempts + 1, "sent_to": sent_to,
                  "small": small, "last_error": ""}
        result.sent += 1
    else:
        values = {"status": "skipped", "attempts": lead.attempts + 1, "failed_at": now, "small": small,
                  "last_error": ("; ".join(errors) or "no device")[:200]}
        result.skipped += 1
    _record(session, lead.id, token, **values)
    for other, _n in group[1:]:
        merged = {k: v for k, v in values.items() if k in ("status", "sent_at", "failed_at", "last_error",
                                                           "next_attempt_at", "claimed_at", "claim_token")}
        _record(session, other.id, token, merged_into_id=lead.id, **merged)
        result.merged += 1
    if crash is not None:
        crash()


def _touch_device(session: Session, device_id: int, sent_at, error: str) -> None:
    begin_write(session)
    values = {"last_error": error[:60]}
    if sent_at is not None:
        values["last_sent_at"] = sent_at
    session.execute(update(PushSubscription).where(PushSubscription.id == device_id).values(**values))
    session.commit()


def _drop_device(session: Session, device_id: int, outcome) -> None:
    begin_write(session)
    session.execute(delete(PushSubscription).where(PushSubscription.id == device_id))
    session.commit()
    log.info("push device %s removed (%s)", device_id, outcome.status or outcome.detail,
             extra={"fields": {"event": "push_device_removed", "status": outcome.status}})


# --- SMS -------------------------------------------------------------------------------------

def _take_quota(session: Session, member_id: int, now: datetime) -> bool:
    """Count one text to the member's phone today, unless the daily limit is reached."""
    day = now.astimezone(tz()).date()
    table = SmsQuota.__table__
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(member_id=member_id, day=day, sent=1)
    stmt = stmt.on_conflict_do_update(index_elements=["member_id", "day"], set_={"sent": table.c.sent + 1},
                                      where=table.c.sent < sms.daily_limit()).returning(table.c.sent)
    begin_write(session)
    row = session.execute(stmt).first()
    session.commit()
    return row is not None and sms.daily_limit() > 0


def _sms_one(session: Session, token: str, row: Delivery, note: Notification, now: datetime, http,
             result: SweepResult) -> None:
    if in_quiet_hours(now):
        later = sms_time(now, note.event_at)
        if later is None:
            _record(session, row.id, token, status="skipped", failed_at=now, last_error="quiet hours")
            result.skipped += 1
        else:
            _record(session, row.id, token, next_attempt_at=later, claimed_at=None, claim_token=None)
            result.released += 1
        return
    with unscoped(session):
        phone = session.execute(select(Member.phone).where(Member.id == row.member_id)).scalar_one_or_none()
    if not phone or not sms.available(note.purpose):
        _record(session, row.id, token, status="skipped", failed_at=now, last_error="sms unavailable")
        result.skipped += 1
        return
    if row.attempts == 0 and not _take_quota(session, row.member_id, now):
        _record(session, row.id, token, status="skipped", failed_at=now, last_error="daily limit")
        result.skipped += 1
        return
    when = note.event_at.astimezone(tz()).strftime("%m-%d %H:%M") if note.event_at else ""
    answer = sms.send_sms(phone=phone, purpose=note.purpose, variables={"title": note.title[:20], "time": when},
                          out_id=f"d{row.id}", session=http, now=now)
    result.messages += 1
    if answer.ok:
        _record(session, row.id, token, status="sent", sent_at=now, attempts=row.attempts + 1, last_error="")
        result.sent += 1
    elif answer.retry:
        values = _retry_values(row, now, None, answer.code)
        _record(session, row.id, token, **values)
        result.failed += values.get("status") == "failed"
        result.retried += values.get("status") != "failed"
    else:
        _record(session, row.id, token, status="failed", failed_at=now, attempts=row.attempts + 1,
                last_error=answer.code[:200])
        result.failed += 1


# --- the sweep -------------------------------------------------------------------------------

def _crash_hook():
    """NOTIFY_CRASH_AFTER=N (tests only): the process dies after N messages, as if killed mid-batch."""
    limit = int(os.environ.get("NOTIFY_CRASH_AFTER") or 0)
    if not limit:
        return None
    state = {"n": 0}

    def tick():
        state["n"] += 1
        if state["n"] >= limit:
            os._exit(137)
    return tick


def dispatch(session: Session, *, token: str, ids: list[int], now: datetime, http=None, crash=None) -> SweepResult:
    """Send the claimed deliveries `ids` (held under `token`) and record each result."""
    result = SweepResult(claimed=len(ids))
    if not ids:
        return result
    rows = session.execute(select(Delivery, Notification).join(Notification, Notification.id == Delivery.notification_id)
                           .where(Delivery.id.in_(ids), Delivery.claim_token == token)
                           .order_by(Delivery.next_attempt_at, Delivery.id)).all()
    session.commit()
    push_groups: dict[int, list] = {}
    for row, note in rows:
        if row.status != "pending":
            continue
        if note.withdrawn_at is not None:
            _record(session, row.id, token, status="cancelled", failed_at=now, last_error="withdrawn")
            result.skipped += 1
        elif note.scheduled and note.event_at is not None and note.event_at <= now:
            _record(session, row.id, token, status="skipped", failed_at=now, last_error="too late")
            result.skipped += 1
        elif row.channel == PUSH:
            merge = note.scheduled and (note.event_at is None or note.event_at - now >= NOT_URGENT)
            push_groups.setdefault((row.member_id, "merge") if merge else (row.member_id, row.id), []).append(
                (row, note))
        elif row.channel == SMS:
            _sms_one(session, token, row, note, now, http, result)
            if crash is not None:
                crash()
        else:
            _record(session, row.id, token, status="skipped", failed_at=now, last_error="unknown channel")
            result.skipped += 1
    if push_groups:
        members = sorted({k[0] for k in push_groups})
        devices: dict[int, list] = {}
        for part in range(0, len(members), 900):
            for sub in session.execute(select(PushSubscription).where(
                    PushSubscription.member_id.in_(members[part:part + 900])).order_by(PushSubscription.id)).scalars():
                devices.setdefault(sub.member_id, []).append(sub)
        session.commit()
        for (member_id, _k), group in push_groups.items():
            _push_group(session, token, group, devices.get(member_id, []), now, http, result, crash)
    return result


def _http() -> requests.Session:
    http = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=20, pool_maxsize=20)
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http


def sweep(session: Session, *, now: datetime | None = None, batch: int = 100, budget_seconds: float = 50,
          http=None) -> SweepResult:
    """Release stale claims, then claim and send batches until nothing is due or the time budget is spent."""
    total = SweepResult()
    http = http or _http()
    crash = _crash_hook()
    started = time.monotonic()
    with unscoped(session):
        total.released += release_stale(session, now=now or utcnow())
        while time.monotonic() - started < budget_seconds:
            moment = now or utcnow()
            token, ids = claim(session, now=moment, limit=batch)
            if not ids:
                break
            total.add(dispatch(session, token=token, ids=ids, now=moment, http=http, crash=crash))
    return total


def deliver_now(session: Session, *, notification_ids, now: datetime | None = None, http=None) -> SweepResult:
    """Send the due deliveries of these notifications at once (the test message), as the sweep would."""
    now = now or utcnow()
    with unscoped(session):
        token, ids = claim(session, now=now, limit=50, notification_ids=notification_ids)
        return dispatch(session, token=token, ids=ids, now=now, http=http or _http())
