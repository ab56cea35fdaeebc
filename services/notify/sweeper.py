"""The worker's sweep: claim the deliveries that are due, send each through its channel, record the result.

Exactly once as far as the database can tell: a delivery is claimed (`claimed_at`, `claim_token`)
with `UPDATE ... WHERE claimed_at IS NULL` (under SQLite's write lock) or `FOR UPDATE SKIP LOCKED`
(PostgreSQL) before anything is sent, and its result is committed as soon as it is answered (push:
pushing.py, a chunk of PUSH_CONCURRENCY at a time; text messages: texting.py, one at a time). A claim
older than NOTIFY_CLAIM_STALE_SECONDS with no result (a worker killed mid-batch) is released.
Failures are retried with exponential backoff that honours Retry-After; after the last attempt the
delivery is failed (the inbox still has the notification).
"""
import logging
import os
import secrets
import time
from datetime import datetime

import requests
from sqlalchemy import select
from sqlmodel import Session

from models import Delivery, Notification, PushSubscription, utcnow
from models.db import begin_write, unscoped
from services.notify import webpush
from services.notify.purposes import PUSH, SMS
from services.notify.pushing import _prepare, _run_jobs
from services.notify.records import NOT_URGENT, SweepResult, _record, stale_after, update
from services.notify.texting import _sms_one
from services.notify.timing import morning_cutoff

log = logging.getLogger(__name__)


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
    for row, note in rows:  # plain values from here on: the session does not keep a batch's objects
        session.expunge(row)
        if note in session:
            session.expunge(note)
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
        for subs in devices.values():
            for sub in subs:
                session.expunge(sub)
        session.commit()
        jobs = [_prepare(group, devices.get(member_id, []), now) for (member_id, _k), group in push_groups.items()]
        _run_jobs(session, token, jobs, now, http, result, crash)
    return result


def _http() -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # no proxy lookups in the environment on every message (push services are reached directly)
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


def send_test(session: Session, *, member_id: int, endpoint, now: datetime | None = None, http=None) -> str:
    """A test notification to the member's devices now: "sent", "not_subscribed" (this endpoint is not
    theirs), "dropped" (the push service refused this device, which is now forgotten) or "later" (no answer;
    the sweep retries, and the inbox has it)."""
    from flask_babel import gettext as _

    from services.notify.outbox import Message, send
    from services.notify.purposes import TEST

    if not webpush.has_device(session, member_id=member_id, endpoint=endpoint):
        return "not_subscribed"
    now = now or utcnow()
    key = f"test:{now:%Y%m%dT%H%M%S%f}"
    send(session, member_ids=[member_id], purpose=TEST, key=key, now=now,
         message=Message(_("Test notification"), _("Reminders will arrive like this."), "/inbox/"))
    ids = session.execute(select(Notification.id).where(Notification.member_id == member_id,
                                                        Notification.purpose == TEST,
                                                        Notification.key == key)).scalars().all()
    result = deliver_now(session, notification_ids=ids, now=now, http=http)
    if result.sent:
        return "sent"
    if not webpush.has_device(session, member_id=member_id, endpoint=endpoint):
        return "dropped"
    return "later"
