"""The outbox: other domains tell members things through `send` (now) and `schedule` (later),
and take back what is no longer true with `withdraw`. Each call writes one notification per
member and a delivery row per channel that may carry it (push, SMS); the worker sends those."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, or_, select, update
from sqlmodel import Session

from models import Delivery, Notification, PushSubscription, utcnow
from models.db import begin_write
from services.errors import DomainError
from services.notify import sms
from services.notify.preferences import chunks, refusals
from services.notify.purposes import PUSH, SMS, is_purpose
from services.notify.timing import NEAR, push_time, sms_time

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")  # a body keeps its tabs and line breaks
_LINE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Message:
    """What the member reads: a title, an optional body, and the in-app path of the thing itself."""

    title: str
    body: str = ""
    url: str = ""


@dataclass(frozen=True)
class Reminder:
    """One member to remind about something at `due_at` (the event itself at `event_at`)."""

    member_id: int
    purpose: str
    due_at: datetime
    message: Message
    event_at: datetime | None = None
    important: bool = False


def _text(value, limit: int) -> str:
    """A single-line-safe string without control characters, cut to `limit` characters."""
    text = _LINE.sub(" ", str(value or "")).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def safe_url(url) -> str:
    """An in-app path ("/meetings/42"), or "" for anything that would leave the site."""
    url = str(url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or _LINE.search(url) or len(url) > 300:
        return ""
    return url


def _message(message) -> tuple[str, str, str]:
    if not isinstance(message, Message):
        raise DomainError("bad_message", _l("A notification needs a message."))
    title = _text(message.title, 120)
    if not title:
        raise DomainError("bad_message", _l("A notification needs a title."))
    body = _CONTROL.sub(" ", str(message.body or "")).strip()
    body = body if len(body) <= 500 else body[:499] + "…"
    return title, body, safe_url(message.url)


def _aware(value, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise DomainError("bad_time", f"{name} must be an aware datetime")
    return value.astimezone(timezone.utc)


def _purpose(purpose) -> str:
    if not is_purpose(purpose):
        raise DomainError("bad_purpose", f"unknown purpose {purpose!r}")
    return purpose


def _member_ids(member_ids) -> list[int]:
    ids = set()
    for raw in member_ids or ():
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_ID:
            raise DomainError("bad_member", f"not a member id: {raw!r}")
        ids.add(raw)
    return sorted(ids)


def _subject(subject) -> str:
    if not isinstance(subject, str) or not 0 < len(subject) <= 80 or _LINE.search(subject):
        raise DomainError("bad_subject", "a subject is a short string such as 'meeting:42'")
    return subject


def _dialect_insert(session: Session):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _insert_notifications(session: Session, rows: list[dict]) -> list[dict]:
    """Insert the rows that are new per (member, purpose, key); return those written, with their ids."""
    insert = _dialect_insert(session)
    table = Notification.__table__
    written: list[dict] = []
    by_key = {(r["member_id"], r["purpose"], r["key"]): r for r in rows}
    for part in chunks(list(by_key.values()), 500):
        stmt = insert(table).values(part).on_conflict_do_nothing(
            index_elements=["member_id", "purpose", "key"]).returning(
            table.c.id, table.c.member_id, table.c.purpose, table.c.key)
        for nid, member_id, purpose, key in session.execute(stmt).all():
            written.append({**by_key[(member_id, purpose, key)], "id": nid})
    return written


def _fan_out(session: Session, rows: list[dict]) -> int:
    """A delivery row for each channel that may carry each new notification; returns how many."""
    if not rows:
        return 0
    member_ids = {r["member_id"] for r in rows}
    with_devices: set[int] = set()
    for part in chunks(sorted(member_ids)):
        with_devices.update(session.execute(select(PushSubscription.member_id).where(
            PushSubscription.member_id.in_(part)).distinct()).scalars().all())
    refused: dict[str, set] = {}
    for purpose in {r["purpose"] for r in rows}:
        ids = [r["member_id"] for r in rows if r["purpose"] == purpose]
        refused[purpose] = refusals(session, member_ids=ids, purpose=purpose)
    deliveries = []
    for r in rows:
        mid, purpose, no = r["member_id"], r["purpose"], refused[r["purpose"]]
        if mid in with_devices and (mid, PUSH) not in no:
            deliveries.append({"notification_id": r["id"], "member_id": mid, "channel": PUSH, "status": "pending",
                               "next_attempt_at": push_time(r["due_at"], r["event_at"]), "attempts": 0,
                               "last_error": "", "sent_to": "", "small": False})
        if r["important"] and (mid, SMS) not in no and sms.available(purpose):
            when = sms_time(r["due_at"], r["event_at"])
            if when is not None:
                deliveries.append({"notification_id": r["id"], "member_id": mid, "channel": SMS, "status": "pending",
                                   "next_attempt_at": when, "attempts": 0, "last_error": "", "sent_to": "",
                                   "small": False})
    for part in chunks(deliveries, 500):
        session.execute(Delivery.__table__.insert().values(part))
    return len(deliveries)


def send(session: Session, *, member_ids, purpose: str, key: str, message: Message, important: bool = False,
         event_at: datetime | None = None, commit: bool = True, subject: str | None = None,
         now: datetime | None = None) -> int:
    """Tell members now; a member who already has (purpose, key) gets nothing new. Returns how many were told."""
    purpose = _purpose(purpose)
    if not isinstance(key, str) or not 0 < len(key) <= 160:
        raise DomainError("bad_key", "a key is a string of 1-160 characters")
    subject = _subject(subject) if subject is not None else None
    title, body, url = _message(message)
    ids = _member_ids(member_ids)
    event_at = _aware(event_at, "event_at")
    now = _aware(now, "now") or utcnow()
    if not ids:
        return 0
    begin_write(session)
    rows = [{"member_id": i, "purpose": purpose, "key": key, "subject": subject, "scheduled": False,
             "title": title, "body": body, "url": url, "important": bool(important), "event_at": event_at,
             "due_at": now, "created_at": now} for i in ids]
    written = _insert_notifications(session, rows)
    _fan_out(session, written)
    if commit:
        session.commit()
    return len(written)


def _plan(subject: str, reminders, now: datetime) -> dict[tuple, dict]:
    """The rows `schedule` wants, by (member, purpose, key); past events dropped, late reminders due now.

    A reminder already late is dropped when the same member has another one for the subject due
    within two hours (the nearer one says it better); otherwise it goes now.
    """
    wanted: dict[tuple, dict] = {}
    for r in reminders or ():
        if not isinstance(r, Reminder):
            raise DomainError("bad_reminder", "schedule() takes notify.Reminder items")
        purpose = _purpose(r.purpose)
        member_id = _member_ids([r.member_id])[0]
        due = _aware(r.due_at, "due_at")
        event_at = _aware(r.event_at, "event_at")
        if event_at is not None and event_at <= now:
            continue
        title, body, url = _message(r.message)
        key = f"{subject}@{due:%Y-%m-%dT%H:%M}"
        wanted[(member_id, purpose, key)] = {
            "member_id": member_id, "purpose": purpose, "key": key, "subject": subject, "scheduled": True,
            "title": title, "body": body, "url": url, "important": bool(r.important), "event_at": event_at,
            "due_at": due, "created_at": now}
    upcoming: dict[int, list[datetime]] = {}
    for row in wanted.values():
        upcoming.setdefault(row["member_id"], []).append(row["due_at"])
    for k, row in list(wanted.items()):
        if row["due_at"] >= now:
            continue
        dues = upcoming[row["member_id"]]
        if any(now <= d < now + NEAR for d in dues) or any(row["due_at"] < d < now for d in dues):
            del wanted[k]
        else:
            row["due_at"] = now
    return wanted


def _started(session: Session, ids: list[int], now: datetime) -> set[int]:
    """Of these notifications, the ones already told somewhere: due (in the inbox), or a delivery taken."""
    started: set[int] = set()
    for part in chunks(ids):
        started.update(session.execute(select(Notification.id).where(Notification.id.in_(part), or_(
            Notification.due_at <= now,
            exists().where(Delivery.notification_id == Notification.id,
                           or_(Delivery.status != "pending", Delivery.claimed_at.is_not(None))),
        ))).scalars().all())
    return started


def _drop_untold(session: Session, ids: list[int]) -> set[int]:
    """Delete notifications nobody was told yet (a delivery claimed meanwhile keeps its row); returns the deleted."""
    gone: set[int] = set()
    for part in chunks(ids):
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(part), Delivery.status == "pending",
                                               Delivery.claimed_at.is_(None)))
        kept = set(session.execute(select(Delivery.notification_id).where(
            Delivery.notification_id.in_(part))).scalars().all())
        doomed = [i for i in part if i not in kept]
        if doomed:
            session.execute(delete(Notification).where(Notification.id.in_(doomed)))
        gone.update(doomed)
    return gone


def _cancel_untaken(session: Session, ids: list[int], now: datetime) -> None:
    """Cancel the deliveries of these notifications that no worker has taken yet."""
    for part in chunks(ids):
        session.execute(update(Delivery).where(Delivery.notification_id.in_(part), Delivery.status == "pending",
                                               Delivery.claimed_at.is_(None))
                        .values(status="cancelled", failed_at=now, last_error="withdrawn"))


_SAME = ("member_id", "purpose", "title", "body", "url", "important", "event_at", "due_at")


def schedule(session: Session, *, subject: str, reminders, commit: bool = True, now: datetime | None = None) -> None:
    """Make `reminders` the plan for `subject`: reminders not yet told are replaced, told ones stay.

    A told reminder that no longer fits the plan (the member is no longer invited, or the event
    moved) keeps its inbox row, but what no worker has sent of it yet is cancelled.
    """
    subject = _subject(subject)
    now = _aware(now, "now") or utcnow()
    wanted = _plan(subject, reminders, now)
    begin_write(session)
    existing = session.execute(select(*(getattr(Notification, c) for c in ("id", "key") + _SAME)).where(
        Notification.subject == subject, Notification.scheduled.is_(True))).all()
    started = _started(session, [row.id for row in existing], now)
    events: dict[int, set] = {}
    for row in wanted.values():
        events.setdefault(row["member_id"], set()).add(row["event_at"])
    untold, stale = [], []
    for row in existing:
        k = (row.member_id, row.purpose, row.key)
        if row.id not in started:
            same = k in wanted and all(getattr(row, c) == wanted[k][c] for c in _SAME)
            if same:
                del wanted[k]  # unchanged: keep the row and its deliveries as they are
            else:
                untold.append(row.id)
        else:
            wanted.pop(k, None)
            if row.event_at not in events.get(row.member_id, ()):
                stale.append(row.id)
    _drop_untold(session, untold)
    _cancel_untaken(session, stale, now)
    _fan_out(session, _insert_notifications(session, list(wanted.values())))
    if commit:
        session.commit()


def withdraw(session: Session, *, subject: str, commit: bool = True, now: datetime | None = None) -> int:
    """Take back the reminders of `subject`: untold ones vanish, told ones are marked withdrawn and
    nothing more of them is sent. Returns how many were withdrawn."""
    subject = _subject(subject)
    now = _aware(now, "now") or utcnow()
    begin_write(session)
    ids = list(session.execute(select(Notification.id).where(
        Notification.subject == subject, Notification.scheduled.is_(True),
        Notification.withdrawn_at.is_(None))).scalars().all())
    started = _started(session, ids, now)
    gone = _drop_untold(session, [i for i in ids if i not in started])
    rest = [i for i in ids if i not in gone]
    _cancel_untaken(session, rest, now)
    for part in chunks(rest):
        session.execute(update(Notification).where(Notification.id.in_(part)).values(withdrawn_at=now))
    if commit:
        session.commit()
    return len(ids)


def pending_for(session: Session, *, subject: str) -> list[Notification]:
    """The notifications of a subject with their state, for the screens that show a plan (and tests)."""
    return list(session.execute(select(Notification).where(Notification.subject == subject)
                                .order_by(Notification.due_at, Notification.member_id)).scalars().all())


def channel_counts(session: Session, *, notification_ids) -> dict[tuple[str, str], int]:
    """(channel, status) -> how many deliveries, over these notifications."""
    counts: dict[tuple[str, str], int] = {}
    for part in chunks(sorted(set(notification_ids))):
        for channel, status, n in session.execute(select(Delivery.channel, Delivery.status, func.count()).where(
                Delivery.notification_id.in_(part)).group_by(Delivery.channel, Delivery.status)).all():
            counts[(channel, status)] = counts.get((channel, status), 0) + n
    return counts



RECENT = timedelta(minutes=15)


def add_push_deliveries(session: Session, *, member_id: int, now: datetime | None = None) -> int:
    """Push deliveries for a member's reminders that have none yet, because the first device came after they
    were scheduled: those still to come, and those told in the last 15 minutes whose event is ahead.
    Part of the caller's transaction; returns how many were added."""
    now = _aware(now, "now") or utcnow()
    rows = session.execute(select(Notification.id, Notification.purpose, Notification.due_at, Notification.event_at)
                           .where(Notification.member_id == member_id, Notification.scheduled.is_(True),
                                  Notification.withdrawn_at.is_(None), Notification.due_at > now - RECENT,
                                  or_(Notification.event_at.is_(None), Notification.event_at > now),
                                  ~exists().where(Delivery.notification_id == Notification.id,
                                                  Delivery.channel == PUSH))).all()
    added = []
    for nid, purpose, due, event_at in rows:
        if (member_id, PUSH) in refusals(session, member_ids=[member_id], purpose=purpose):
            continue
        added.append({"notification_id": nid, "member_id": member_id, "channel": PUSH, "status": "pending",
                      "next_attempt_at": max(now, push_time(due, event_at)) if due <= now else push_time(due, event_at),
                      "attempts": 0, "last_error": "", "sent_to": "", "small": False})
    if added:
        session.execute(Delivery.__table__.insert().values(added))
    return len(added)
