"""Web Push: the server's VAPID key, members' devices (subscriptions), and one message to one device.

The VAPID key comes from VAPID_PRIVATE_KEY (base64url or PEM) or is generated once into
instance/vapid_private.pem. Messages are encrypted (RFC 8291, aes128gcm) and signed (RFC 8292)
by pywebpush; each call gets a fresh claims dict (pywebpush writes `aud`/`exp` into it).
"""
import base64
import hashlib
import ipaddress
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import PushSubscription, utcnow
from models.db import begin_write
from services.errors import DomainError

log = logging.getLogger(__name__)

MAX_PAYLOAD = 3000  # bytes of JSON before encryption; push services refuse bodies over 4096
SMALL_PAYLOAD = 600
MAX_DEVICES = 10  # per member; the oldest goes when an eleventh subscribes
_lock = threading.Lock()
_cache: dict[str, Vapid] = {}


def _cfg() -> dict:
    return current_app.config if has_app_context() else {}


def _key_file() -> Path:
    from config import INSTANCE_DIR

    return Path(_cfg().get("VAPID_KEY_FILE") or INSTANCE_DIR / "vapid_private.pem")


def _generate_once(path: Path) -> bytes:
    """Write a new private key to `path` unless one is there; safe when several processes race."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Vapid()
    key.generate_keys()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_pem())
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # fails if another process won the race: theirs is kept
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_bytes()


def vapid() -> Vapid:
    """The server's VAPID key (loaded once per process)."""
    raw = _cfg().get("VAPID_PRIVATE_KEY") or ""
    cache_key = raw or str(_key_file())
    with _lock:
        if cache_key not in _cache:
            if raw:
                text = raw.replace("\\n", "\n").strip()
                _cache[cache_key] = (Vapid.from_pem(text.encode()) if text.startswith("-----")
                                     else Vapid.from_string(text))
            else:
                _cache[cache_key] = Vapid.from_pem(_generate_once(_key_file()))
        return _cache[cache_key]


def public_key() -> str:
    """The application server key the browser subscribes with (uncompressed point, base64url)."""
    from cryptography.hazmat.primitives import serialization

    raw = vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


def key_id() -> str:
    """A short name of the current VAPID key, stored with each subscription made under it."""
    return hashlib.sha256(public_key().encode()).hexdigest()[:16]


def subject() -> str:
    """The VAPID `sub` claim: how a push service can reach the operator."""
    return _cfg().get("VAPID_SUBJECT") or "mailto:admin@servicecircle.invalid"


_subject = subject


# --- devices ---------------------------------------------------------------------------------

def _b64(value, size: int, what: str) -> bytes:
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription."))
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription.")) from None
    if len(data) != size:
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription."))
    return data


def _allowed_host(host: str) -> bool:
    extra = {h.strip().lower() for h in str(_cfg().get("PUSH_EXTRA_HOSTS") or "").split(",") if h.strip()}
    if host in extra:
        return True
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".local") or "." not in host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
        return False  # push services have names; an address is someone's own server
    except ValueError:
        return True


def check_subscription(data) -> dict:
    """The browser's PushSubscription JSON, checked: an https push service, a P-256 key, a 16-byte secret."""
    if not isinstance(data, dict):
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription."))
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if not isinstance(endpoint, str) or not 10 < len(endpoint) <= 1000 or any(ord(c) < 33 for c in endpoint):
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription."))
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    extra = host in {h.strip().lower() for h in str(_cfg().get("PUSH_EXTRA_HOSTS") or "").split(",") if h.strip()}
    if not host or parts.username or parts.password or not (parts.scheme == "https" or (extra and parts.scheme == "http")):
        raise DomainError("foreign_subscription", _l("This browser's push service is not one we can send to."))
    if not _allowed_host(host):
        raise DomainError("foreign_subscription", _l("This browser's push service is not one we can send to."))
    p256dh = _b64(keys.get("p256dh"), 65, "p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise DomainError("bad_subscription", _l("This browser sent an incomplete push subscription.")) from None
    _b64(keys.get("auth"), 16, "auth")
    return {"endpoint": endpoint, "p256dh": keys["p256dh"], "auth": keys["auth"]}


def _hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def subscribe(session: Session, *, member_id: int, data, device: str = "") -> PushSubscription:
    """Store this device's subscription for the member (a device that changes hands moves with it)."""
    sub = check_subscription(data)
    begin_write(session)
    row = session.execute(select(PushSubscription).where(
        PushSubscription.endpoint_hash == _hash(sub["endpoint"]))).scalar_one_or_none()
    if row is None:
        row = PushSubscription(member_id=member_id, endpoint=sub["endpoint"], endpoint_hash=_hash(sub["endpoint"]),
                               p256dh=sub["p256dh"], auth=sub["auth"])
    row.member_id, row.p256dh, row.auth = member_id, sub["p256dh"], sub["auth"]
    row.device = str(device or "")[:60]
    row.key_id = key_id()
    row.last_error = ""
    session.add(row)
    session.flush()
    from services.notify.outbox import add_push_deliveries

    add_push_deliveries(session, member_id=member_id)
    ids = session.execute(select(PushSubscription.id).where(PushSubscription.member_id == member_id)
                          .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())).scalars().all()
    if len(ids) > MAX_DEVICES:
        session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ids[MAX_DEVICES:])))
    session.commit()
    return row


def unsubscribe(session: Session, *, member_id: int, endpoint) -> bool:
    """Forget one of the member's devices (by its endpoint); False when it was not theirs or not known."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1000:
        return False
    begin_write(session)
    done = session.execute(delete(PushSubscription).where(PushSubscription.endpoint_hash == _hash(endpoint),
                                                          PushSubscription.member_id == member_id)).rowcount
    session.commit()
    return bool(done)


def forget_devices(session: Session, *, member_id: int, commit: bool = True) -> int:
    """Delete every push subscription of a member (consent withdrawn, account closed); returns how many."""
    begin_write(session)
    done = session.execute(delete(PushSubscription).where(PushSubscription.member_id == member_id)).rowcount
    if commit:
        session.commit()
    return done


def device_count(session: Session, *, member_id: int) -> int:
    """How many devices of the member receive push."""
    return session.execute(select(func.count(PushSubscription.id)).where(
        PushSubscription.member_id == member_id)).scalar_one()


def has_device(session: Session, *, member_id: int, endpoint) -> bool:
    """Whether this endpoint is one of the member's devices."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1000:
        return False
    return session.execute(select(PushSubscription.id).where(
        PushSubscription.endpoint_hash == _hash(endpoint), PushSubscription.member_id == member_id)
    ).first() is not None


# --- one message to one device ---------------------------------------------------------------

def topic(subject_or_id: str, purpose: str) -> str:
    """The Topic header (at most 32 URL-safe characters): one per subject and purpose."""
    digest = hashlib.sha256(f"{subject_or_id}|{purpose}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def payload(*, title: str, body: str, url: str, tag: str, small: bool = False, count: int = 1) -> bytes:
    """The JSON the service worker shows; cut to fit (a 413 asks for the short one)."""
    limit = SMALL_PAYLOAD if small else MAX_PAYLOAD
    data = {"title": title, "body": "" if small else body, "url": url or "/inbox/", "tag": tag, "count": count}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    while len(raw) > limit and (data["body"] or len(data["title"]) > 10):
        if data["body"]:
            data["body"] = data["body"][: max(0, len(data["body"]) - (len(raw) - limit) // 2 - 10)]
        else:
            data["title"] = data["title"][: max(10, len(data["title"]) - (len(raw) - limit) // 2 - 10)]
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return raw


@dataclass
class PushResult:
    """What the push service said: sent, gone (delete the device), too_large, retry (with a wait), or failed."""

    outcome: str
    status: int = 0
    retry_after: int | None = None
    detail: str = ""


def retry_after(value) -> int | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return min(int(value), 24 * 3600)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0, min(int((when - utcnow()).total_seconds()), 24 * 3600))


def send(sub: PushSubscription, data: bytes, *, ttl: int, urgency: str, topic_: str,
         http: requests.Session | None = None, timeout: float | None = None, key: Vapid | None = None,
         subject: str | None = None) -> PushResult:
    """Encrypt, sign and POST one message to one device; never raises for the push service's answers.
    Outside an app context (the sweep's pool threads) pass `key`, `subject` and `timeout`."""
    info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
    timeout = timeout or float(_cfg().get("PUSH_TIMEOUT", 10))
    key = key or vapid()
    claims = {"sub": subject or _subject()}  # a fresh dict per message: pywebpush writes aud and exp into it
    try:
        response = webpush(info, data=data, vapid_private_key=key, vapid_claims=claims,
                           ttl=max(1, int(ttl)), headers={"Urgency": urgency, "Topic": topic_},
                           timeout=timeout, requests_session=http)
    except WebPushException as exc:
        response = exc.response
        if response is None:
            return PushResult("retry", 0, None, "no answer")
        code = response.status_code
        wait = retry_after(response.headers.get("Retry-After"))
        if code in (404, 410):
            return PushResult("gone", code)
        if code == 413:
            return PushResult("too_large", code)
        if code == 429 or code >= 500:
            return PushResult("retry", code, wait, f"http {code}")
        # 400 (malformed), 401/403 (a key this subscription was not made with): the device cannot be reached
        return PushResult("rejected", code, None, f"http {code}")
    except requests.RequestException as exc:
        return PushResult("retry", 0, None, type(exc).__name__)
    except (ValueError, TypeError) as exc:  # keys that do not decode: a broken subscription
        return PushResult("rejected", 0, None, type(exc).__name__)
    return PushResult("sent", response.status_code)
