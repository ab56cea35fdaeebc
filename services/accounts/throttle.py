"""Failed sign-ins: counted where every web worker and host sees them, per account *and* address.

Why this shape (OWASP Authentication Cheat Sheet, "Protect against automated attacks" and "Account
lockout"; OWASP's "Slow Down Online Guessing Attacks with Device Cookies"):

- A lock-out counted per account alone lets anyone lock any member out by typing wrong passwords
  for their number. So the main count is per (account, address): guessing a member's password from
  one address is slowed there, and the owner signing in from their own phone is not.
- Delays grow instead of a fixed lock: at the limit (LOGIN_LIMIT_ACCOUNT, default 5 failures) the
  pair waits 1 minute, then 2, 4, 8 ... up to the window (15 minutes). A count is forgotten only
  after a whole window without failures, so a patient attacker stays slowed down for good.
- Per address (LOGIN_LIMIT_ADDRESS, 20): one address trying many numbers (credential stuffing).
- Per account from *every* address (LOGIN_LIMIT_ACCOUNT_ANY, 30 per hour): many addresses guessing
  one account. This one is not counted or applied for a browser holding the account's device
  cookie (set at a successful sign-in), so even a distributed attack cannot keep the owner out of
  a phone they have used before; only new devices wait.
- A successful sign-in clears its own (account, address) count, not the address's count (else an
  attacker could reset it with an account of their own).

Keys are HMACs of the phone number and address with the app's secret: no number or address is
stored. The counts live in the app database (table login_attempt), which every worker and host
shares in the embedded default too, or in Redis when REDIS_URL is set (falling back to the
database while Redis is down). Blocked requests are answered without checking the password.
"""
import hashlib
import hmac
import random
import time
from dataclasses import dataclass

import sqlalchemy as sa
from limits import parse
from sqlmodel import Session

from models.db import begin_write
from models.signin import LoginAttempt

BASE_DELAY_S = 60
SWEEP_AFTER_S = 86_400  # rows idle this long are deleted now and then


@dataclass(frozen=True)
class Rule:
    """Failures allowed before delays start, and the quiet time after which a count is forgotten."""

    failures: int
    window_s: int

    @classmethod
    def parse(cls, text: str) -> "Rule":
        item = parse(text)
        return cls(int(item.amount), int(item.get_expiry()))

    def delay_s(self, failures: int) -> int:
        """How long to wait after this many failures: 0 below the limit, then doubling up to the window."""
        if failures < self.failures:
            return 0
        return min(BASE_DELAY_S * 2 ** min(failures - self.failures, 20), self.window_s)


@dataclass(frozen=True)
class Limits:
    pair: Rule
    address: Rule
    account: Rule

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(Rule.parse(config["LOGIN_LIMIT_ACCOUNT"]), Rule.parse(config["LOGIN_LIMIT_ADDRESS"]),
                   Rule.parse(config.get("LOGIN_LIMIT_ACCOUNT_ANY", "30 per 1 hour")))


@dataclass(frozen=True)
class Key:
    kind: str  # pair | address | account
    value: str


def account_tag(secret: str, account: str) -> str:
    """An HMAC naming an account (the typed number, normalised when it can be) without storing it."""
    return hmac.new(secret.encode(), f"account:{account}".encode(), hashlib.sha256).hexdigest()[:40]


def keys_for(*, secret: str, account: str, address: str, known_device: bool) -> list[Key]:
    """The keys a sign-in attempt counts under."""
    def tag(text: str) -> str:
        return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:40]

    keys = [Key("pair", "p:" + tag(f"pair:{account}|{address}")), Key("address", "a:" + tag(f"address:{address}"))]
    if not known_device:
        keys.append(Key("account", "c:" + account_tag(secret, account)))
    return keys


class SqlStore:
    """Counts in the app database: an atomic upsert per failure, so concurrent workers never lose one."""

    def __init__(self, session: Session):
        self.session = session
        self.table = LoginAttempt.__table__

    def blocked_ms(self, keys: list[str], now_ms: int) -> int:
        rows = self.session.connection().execute(
            sa.select(self.table.c.blocked_until_ms).where(self.table.c.key.in_(keys))).all()
        self.session.commit()
        return max([(until or 0) - now_ms for (until,) in rows] + [0])

    def fail(self, key: str, now_ms: int, window_ms: int) -> int:
        begin_write(self.session)
        t = self.table
        insert = (sa.dialects.postgresql.insert if self.session.bind.dialect.name == "postgresql"
                  else sa.dialects.sqlite.insert)(t)
        stale = t.c.last_ms < now_ms - window_ms
        statement = insert.values(key=key, failures=1, last_ms=now_ms, blocked_until_ms=None).on_conflict_do_update(
            index_elements=[t.c.key],
            set_={"failures": sa.case((stale, 1), else_=t.c.failures + 1), "last_ms": now_ms,
                  "blocked_until_ms": sa.case((stale, None), else_=t.c.blocked_until_ms)},
        ).returning(t.c.failures)
        failures = self.session.connection().execute(statement).scalar_one()
        if random.random() < 0.01:
            self.session.connection().execute(sa.delete(t).where(t.c.last_ms < now_ms - SWEEP_AFTER_S * 1000))
        self.session.commit()
        return int(failures)

    def block(self, key: str, until_ms: int) -> None:
        begin_write(self.session)
        t = self.table
        self.session.connection().execute(sa.update(t).where(t.c.key == key).values(
            blocked_until_ms=sa.func.max(sa.func.coalesce(t.c.blocked_until_ms, 0), until_ms)
            if self.session.bind.dialect.name == "sqlite"
            else sa.func.greatest(sa.func.coalesce(t.c.blocked_until_ms, 0), until_ms)))
        self.session.commit()

    def clear(self, key: str) -> None:
        begin_write(self.session)
        self.session.connection().execute(sa.delete(self.table).where(self.table.c.key == key))
        self.session.commit()


class RedisStore:
    """Counts in Redis (REDIS_URL): INCR with an expiry per key; the database while Redis does not answer."""

    def __init__(self, client, fallback: SqlStore, prefix: str = ""):
        self.redis = client
        self.fallback = fallback
        self.prefix = prefix + "signin:"

    def _try(self, name: str, *args):
        import redis

        try:
            return getattr(self, "_" + name)(*args)
        except redis.RedisError:
            import logging

            logging.getLogger(__name__).warning("redis unavailable: sign-in counts in the database meanwhile")
            return getattr(self.fallback, name)(*args)

    def blocked_ms(self, keys, now_ms):
        return self._try("blocked_ms", keys, now_ms)

    def fail(self, key, now_ms, window_ms):
        return self._try("fail", key, now_ms, window_ms)

    def block(self, key, until_ms):
        return self._try("block", key, until_ms)

    def clear(self, key):
        return self._try("clear", key)

    def _blocked_ms(self, keys, now_ms):
        ttls = self.redis.pipeline()
        for key in keys:
            ttls.pttl(self.prefix + key + ":blocked")
        return max([ttl for ttl in ttls.execute() if ttl and ttl > 0] + [0])

    def _fail(self, key, now_ms, window_ms):
        pipe = self.redis.pipeline()
        pipe.incr(self.prefix + key)
        pipe.pexpire(self.prefix + key, window_ms)
        return int(pipe.execute()[0])

    def _block(self, key, until_ms):
        ms = until_ms - int(time.time() * 1000)
        if ms > 0:
            name = self.prefix + key + ":blocked"
            current = self.redis.pttl(name)
            if current is None or current < ms:
                self.redis.set(name, 1, px=ms)

    def _clear(self, key):
        self.redis.delete(self.prefix + key, self.prefix + key + ":blocked")


def wait_seconds(store, keys: list[Key], *, now_ms: int | None = None) -> int:
    """Seconds this attempt must still wait (0: go ahead)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    ms = store.blocked_ms([k.value for k in keys], now_ms)
    return (ms + 999) // 1000 if ms > 0 else 0


def record_failure(store, keys: list[Key], limits: Limits, *, now_ms: int | None = None) -> None:
    """Count a failed sign-in under every key; start or lengthen the wait of the keys at their limit."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    for key in keys:
        rule = getattr(limits, key.kind)
        failures = store.fail(key.value, now_ms, rule.window_s * 1000)
        delay = rule.delay_s(failures)
        if delay:
            store.block(key.value, now_ms + delay * 1000)


def record_success(store, keys: list[Key]) -> None:
    """A right password: forget this account-and-address pair's failures (the address keeps its count)."""
    for key in keys:
        if key.kind == "pair":
            store.clear(key.value)
