"""Web Push in the sweep: a claimed delivery (or a morning's merged ones) becomes a job, prepared in the app
context, sent on a pool thread (HTTP only), and recorded with its devices' state in the chunk's transaction."""
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from models import Delivery, Notification, PushSubscription
from models.db import begin_write
from services.notify import webpush
from services.notify.records import SweepResult, _cfg, _record, _retry_values, delete, update
from services.notify.timing import ttl_seconds, urgency

log = logging.getLogger(__name__)


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


@dataclass
class _PushJob:
    """One message (one notification, or several merged) for one member's devices, prepared in the app
    context; `send_job` runs it on a pool thread (HTTP only), `_apply_job` records it."""

    group: list
    devices: list
    message: dict
    ttl: int
    level: str
    topic: str
    reached: set
    small: bool
    key: object = None
    subject: str = ""
    timeout: float = 10.0
    touched: list = field(default_factory=list)  # (device id, sent_at or None, error)
    dropped: list = field(default_factory=list)  # (device id, outcome)
    waits: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    retry: bool = False
    messages: int = 0


def _prepare(group, devices: list, now: datetime) -> _PushJob:
    lead, note = group[0]
    message = _merged_message(group)
    event_at = min((n.event_at for _d, n in group if n.event_at), default=None)
    return _PushJob(group=group, devices=devices, message=message, ttl=ttl_seconds(now, event_at),
                    level=urgency(now, event_at), topic=webpush.topic(message["tag"], note.purpose),
                    reached={int(x) for x in lead.sent_to.split(",") if x.isdigit()}, small=lead.small,
                    key=webpush.vapid(), subject=webpush.subject(), timeout=float(_cfg("PUSH_TIMEOUT", 10.0)))


def send_job(job: _PushJob, now: datetime, http) -> _PushJob:
    """Send a prepared message to each device not yet reached (no database, no app context)."""
    for device in job.devices:
        if device.id in job.reached:
            continue
        outcome = webpush.send(device, webpush.payload(small=job.small, **job.message), ttl=job.ttl,
                               urgency=job.level, topic_=job.topic, http=http, key=job.key, subject=job.subject,
                               timeout=job.timeout)
        job.messages += 1
        if outcome.outcome == "too_large" and not job.small:
            job.small = True
            outcome = webpush.send(device, webpush.payload(small=True, **job.message), ttl=job.ttl,
                                   urgency=job.level, topic_=job.topic, http=http, key=job.key,
                                   subject=job.subject, timeout=job.timeout)
            job.messages += 1
        if outcome.outcome == "sent":
            job.reached.add(device.id)
            job.touched.append((device.id, now, ""))
        elif outcome.outcome in ("gone", "rejected"):
            job.dropped.append((device.id, outcome))
        elif outcome.outcome == "too_large":
            job.errors.append("http 413")
            job.touched.append((device.id, None, "http 413"))
        else:
            job.retry = True
            job.waits.append(outcome.retry_after)
            job.errors.append(outcome.detail)
    return job


def _apply_job(session: Session, token: str, job: _PushJob, now: datetime, result: SweepResult) -> None:
    """Record a sent job: the devices' state and every delivery of its group (inside the caller's transaction)."""
    lead = job.group[0][0]
    result.messages += job.messages
    sent_to = ",".join(str(i) for i in sorted(job.reached))[:200]
    if job.retry:
        wait = max((w for w in job.waits if w is not None), default=None)
        values = _retry_values(lead, now, wait, "; ".join(e for e in job.errors if e) or "retry",
                               sent_to=sent_to, small=job.small)
        result.failed += values.get("status") == "failed"
        result.retried += values.get("status") != "failed"
    elif job.reached:
        values = {"status": "sent", "sent_at": now, "attempts": lead.attempts + 1, "sent_to": sent_to,
                  "small": job.small, "last_error": ""}
        result.sent += 1
    else:
        values = {"status": "skipped", "attempts": lead.attempts + 1, "failed_at": now, "small": job.small,
                  "last_error": ("; ".join(job.errors) or "no device")[:200]}
        result.skipped += 1
    for device_id, sent_at, error in job.touched:
        _touch_device(session, device_id, sent_at, error)
    for device_id, outcome in job.dropped:
        _drop_device(session, device_id, outcome)
    _record(session, lead.id, token, commit=False, **values)
    for other, _n in job.group[1:]:
        merged = {k: v for k, v in values.items() if k in ("status", "sent_at", "failed_at", "last_error",
                                                           "next_attempt_at", "claimed_at", "claim_token")}
        _record(session, other.id, token, commit=False, merged_into_id=lead.id, **merged)
        result.merged += 1


def _touch_device(session: Session, device_id: int, sent_at, error: str) -> None:
    values = {"last_error": error[:60]}
    if sent_at is not None:
        values["last_sent_at"] = sent_at
    session.execute(update(PushSubscription).where(PushSubscription.id == device_id).values(**values))


def _drop_device(session: Session, device_id: int, outcome) -> None:
    session.execute(delete(PushSubscription).where(PushSubscription.id == device_id))
    log.info("push device %s removed (%s)", device_id, outcome.status or outcome.detail,
             extra={"fields": {"event": "push_device_removed", "status": outcome.status}})


def _run_jobs(session: Session, token: str, jobs: list, now: datetime, http, result: SweepResult, crash) -> None:
    """Send the jobs PUSH_CONCURRENCY at a time; record each chunk in one transaction as soon as it is answered.

    A worker killed between a send and its chunk's commit leaves those claims to be released and sent again:
    at most one chunk can go twice, with the same Topic (the push service replaces an undelivered one) and
    the same tag (the phone replaces one already shown)."""
    size = max(1, int(_cfg("PUSH_CONCURRENCY", 8)))
    pool = ThreadPoolExecutor(max_workers=size) if size > 1 and len(jobs) > 1 else None
    try:
        for i in range(0, len(jobs), size):
            chunk = jobs[i:i + size]
            done = list(pool.map(lambda j: send_job(j, now, http), chunk)) if pool else [
                send_job(j, now, http) for j in chunk]
            begin_write(session)
            for job in done:
                _apply_job(session, token, job, now, result)
            session.commit()
            if crash is not None:
                for _job in done:
                    crash()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
