"""Appending to the audit trail and checking its hash chain.

Every entry holds the hash of the entry before it and a hash of its own fields, so an edited,
removed or re-ordered entry breaks the chain at that point. Appends are serialised: on
PostgreSQL by a row lock on `audit_head`, on SQLite by the write lock (BEGIN IMMEDIATE) that
every write transaction takes; the entry joins the caller's transaction, so an action and its
entry are committed together or not at all.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlmodel import Session

from models import utcnow
from models.audit import AuditEntry, AuditHead
from models.db import WRITE_TXN_KEY, begin_write
from services.errors import DomainError

GENESIS = "0" * 64
ACTION_RE = re.compile(r"^[a-z][a-z_]{1,18}\.[a-z][a-z_]{1,19}$")
# Keys whose values never enter the trail: passwords, tokens and keys, phone numbers, positions.
SECRET_KEY_RE = re.compile(
    r"pass|token|secret|hash|nonce|phone|mobile|tel$|lat$|lon$|lng$|latitude|longitude|coord|position|location|"
    r"endpoint|p256dh|^auth$|qr_key|^key$|address", re.I)
PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
COORD_RE = re.compile(r"(?<![\d.])-?\d{1,3}\.\d{4,}(?![\d.])")
LONG_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{24,}")
MAX_TEXT = 500
MAX_ID = 2**63 - 1


def _scrub_text(value: str) -> str:
    """A string with phone numbers, coordinates and token-like strings replaced; cut to 500 characters."""
    value = PHONE_RE.sub("[手机号]", value)
    value = COORD_RE.sub("[坐标]", value)
    value = LONG_TOKEN_RE.sub("[令牌]", value)
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT - 1] + "…"


def clean(value):
    """A JSON-ready copy of `value` without passwords, tokens, phone numbers or positions."""
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 2)  # never a coordinate's precision
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return clean(value.value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items() if not SECRET_KEY_RE.search(str(k))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [clean(v) for v in list(items)[:200]]
    return _scrub_text(str(value))


def canonical(value) -> str:
    """The one JSON text of a value (sorted keys, no spaces): what is stored and hashed."""
    return json.dumps(clean(value if value is not None else {}), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def entry_hash(*, id: int, created_at: datetime, actor_id, action: str, member_id, org_unit_id, target: str,
               before: str, after: str, prev_hash: str) -> str:
    """SHA-256 over the entry's fields and the hash before it."""
    fields = [id, _stamp(created_at), actor_id, action, member_id, org_unit_id, target, before, after, prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def hash_of(entry) -> str:
    """The hash an entry (a row or an AuditEntry) should carry, from its stored fields."""
    return entry_hash(id=entry.id, created_at=entry.created_at, actor_id=entry.actor_id, action=entry.action,
                      member_id=entry.member_id, org_unit_id=entry.org_unit_id, target=entry.target,
                      before=entry.before, after=entry.after, prev_hash=entry.prev_hash)


def _id(value, name: str) -> int | None:
    """An optional positive id: a member, a Principal, or an int."""
    if value is None:
        return None
    value = getattr(value, "id", value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise DomainError("bad_audit", f"{name} must be an id")
    return value


def _dialect_insert(session: Session):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain's end (last id, last hash), locked until the caller's transaction ends."""
    if session.bind.dialect.name == "sqlite":
        txn = session.get_transaction()
        if txn is None or session.info.get(WRITE_TXN_KEY) is not txn:
            session.flush()
            begin_write(session)  # the write lock first: the head read below must not go stale
    row = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
                          .with_for_update()).first()
    if row is None:  # first entry ever (or the head row was lost): start from what the table holds
        last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
        insert = _dialect_insert(session)
        session.execute(insert(AuditHead.__table__).values(
            id=1, last_id=last.id if last else 0, last_hash=last.hash if last else GENESIS)
            .on_conflict_do_nothing(index_elements=["id"]))
        row = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
                              .with_for_update()).first()
    return int(row.last_id), row.last_hash or GENESIS


def _prepare(*, actor, action, member=None, unit=None, target="", before=None, after=None) -> dict:
    if not isinstance(action, str) or not ACTION_RE.match(action):
        raise DomainError("bad_audit", f"not an action code: {action!r}")
    return {"actor_id": _id(actor, "actor"), "action": action, "member_id": _id(member, "member"),
            "org_unit_id": _id(unit, "unit"), "target": _scrub_text(str(target or ""))[:80],
            "before": canonical(before), "after": canonical(after)}


def record_many(session: Session, items, *, now: datetime | None = None) -> list[AuditEntry]:
    """Append several entries at once (each item a dict of `record`'s keywords), in order, under one lock."""
    prepared = [_prepare(**item) for item in items]
    if not prepared:
        return []
    moment = (now or utcnow()).astimezone(timezone.utc)
    last_id, last_hash = _lock_head(session)
    written = []
    for fields in prepared:
        entry = AuditEntry(id=last_id + 1, created_at=moment, prev_hash=last_hash, hash="", **fields)
        entry.hash = hash_of(entry)
        session.add(entry)
        written.append(entry)
        last_id, last_hash = entry.id, entry.hash
    session.flush()
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))
    return written


def record(session: Session, *, actor, action: str, member=None, unit=None, target: str = "", before=None,
           after=None, now: datetime | None = None) -> AuditEntry:
    """Append one entry to the trail inside the caller's transaction (the caller commits).

    `actor` is who did it (a Principal, a Member, an id, or None for the system); `member` the
    member it concerns; `unit` the org unit (branch) it happened in; `target` what was acted on
    ("checkin:42"); `before`/`after` dicts of the values changed. Passwords, tokens, keys, phone
    numbers and positions are dropped from them. Call it last before the commit: it holds the
    chain's lock until then.
    """
    return record_many(session, [{"actor": actor, "action": action, "member": member, "unit": unit,
                                  "target": target, "before": before, "after": after}], now=now)[0]


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: whether the chain holds, how many entries it checked, the first broken one."""

    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify(session: Session, *, batch: int = 1000) -> Verdict:
    """Walk the chain from the first entry; name the first entry that does not fit."""
    previous_hash, previous_id, checked = GENESIS, 0, 0
    while True:
        rows = session.execute(select(*AuditEntry.__table__.c).where(AuditEntry.id > previous_id)
                               .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            break
        for entry in rows:
            if entry.id != previous_id + 1:
                return Verdict(False, checked, previous_id + 1,
                               str(_l("Entry %(id)s is missing (deleted).", id=previous_id + 1)))
            if entry.prev_hash != previous_hash:
                return Verdict(False, checked, entry.id,
                               str(_l("Entry %(id)s does not follow the entry before it.", id=entry.id)))
            if hash_of(entry) != entry.hash:
                return Verdict(False, checked, entry.id,
                               str(_l("Entry %(id)s was changed after it was written.", id=entry.id)))
            previous_hash, previous_id = entry.hash, entry.id
            checked += 1
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    if head is not None and (head.last_id != previous_id or (head.last_id and head.last_hash != previous_hash)):
        return Verdict(False, checked, previous_id + 1 if head.last_id > previous_id else head.last_id,
                       str(_l("The trail ends at entry %(last)s, but entry %(head)s was written.",
                              last=previous_id, head=head.last_id)))
    return Verdict(True, checked)
