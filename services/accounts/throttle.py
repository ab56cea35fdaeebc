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
- An attempt is counted *before* its password is checked (an atomic increment), so a burst sent to
  several workers at once cannot slip more tries through than the limit while the others are
  still hashing; a successful sign-in then takes its attempt back, and clears its own (account,
  address) count, not the address's count (else an attacker could reset it with an account of
  their own).

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
    """Counts in the app database. Each attempt is gated in one write transaction per key (SQLite's
    BEGIN IMMEDIATE, PostgreSQL's row lock), so concurrent workers can neither lose a count nor both
    slip past a wait."""

    def __init__(self, session: Session):
        self.session = session
        self.table = LoginAttempt.__table__

    def blocked_ms(self, keys: list[str], now_ms: int) -> int:
        rows = self.session.connection().execute(
            sa.select(self.table.c.blocked_until_ms).where(self.table.c.key.in_(keys))).all()
        self.session.commit()
        return max([(until or 0) - now_ms for (until,) in rows] + [0])

    def gate(self, key: str, now_ms: int, rule: "Rule") -> tuple[int, int]:
        """(the attempt's number, 0) when it may go ahead, counted; (0, ms to wait) when the key waits."""
        begin_write(self.session)
        t, conn = self.table, self.session.connection()
        insert = (sa.dialects.postgresql.insert if conn.dialect.name == "postgresql" else sa.dialects.sqlite.insert)
        conn.execute(insert(t).values(key=key, failures=0, last_ms=now_ms).on_conflict_do_nothing(
            index_elements=[t.c.key]))
        query = sa.select(t.c.failures, t.c.last_ms, t.c.blocked_until_ms).where(t.c.key == key)
        failures, last_ms, blocked = conn.execute(
            query.with_for_update() if conn.dialect.name == "postgresql" else query).one()
        if last_ms < now_ms - rule.window_s * 1000:  # a whole window without failures: forgotten
            failures, blocked = 0, None
        if blocked and blocked > now_ms:
            self.session.commit()
            return 0, blocked - now_ms
        failures += 1
        delay = rule.delay_s(failures)  # at the limit the wait starts now, before the password is checked
        conn.execute(sa.update(t).where(t.c.key == key).values(
            failures=failures, last_ms=now_ms, blocked_until_ms=now_ms + delay * 1000 if delay else None))
        if random.random() < 0.01:
            conn.execute(sa.delete(t).where(t.c.last_ms < now_ms - SWEEP_AFTER_S * 1000))
        self.session.commit()
        return failures, 0

    def clear(self, key: str) -> None:
        begin_write(self.session)
        self.session.connection().execute(sa.delete(self.table).where(self.table.c.key == key))
        self.session.commit()

    def uncount(self, key: str, rule: "Rule") -> None:
        begin_write(self.session)
        t = self.table
        self.session.connection().execute(sa.update(t).where(t.c.key == key, t.c.failures > 0).values(
            failures=t.c.failures - 1,
            blocked_until_ms=sa.case((t.c.failures - 1 < rule.failures, None), else_=t.c.blocked_until_ms)))
        self.session.commit()


_GATE_LUA = """
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return {0, wait} end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local limit, base, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if n >= limit then
  local delay = math.min(base * 2 ^ math.min(n - limit, 20), cap)
  redis.call('SET', KEYS[2], 1, 'PX', math.floor(delay))
end
return {n, 0}
"""


class RedisStore:
    """Counts in Redis (REDIS_URL), gated by one Lua script per key (atomic); the database while Redis is down."""

    def __init__(self, client, fallback: SqlStore, prefix: str = ""):
        self.redis = client
        self.fallback = fallback
        self.prefix = prefix + "signin:"
        self._script = client.register_script(_GATE_LUA)

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

    def gate(self, key, now_ms, rule):
        return self._try("gate", key, now_ms, rule)

    def clear(self, key):
        return self._try("clear", key)

    def uncount(self, key, rule):
        return self._try("uncount", key, rule)

    def _blocked_ms(self, keys, now_ms):
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.pttl(self.prefix + key + ":blocked")
        return max([ttl for ttl in pipe.execute() if ttl and ttl > 0] + [0])

    def _gate(self, key, now_ms, rule):
        n, wait = self._script(keys=[self.prefix + key, self.prefix + key + ":blocked"],
                               args=[rule.window_s * 1000, rule.failures, BASE_DELAY_S * 1000, rule.window_s * 1000])
        return int(n), int(wait)

    def _clear(self, key):
        self.redis.delete(self.prefix + key, self.prefix + key + ":blocked")

    def _uncount(self, key, rule):
        if int(self.redis.decr(self.prefix + key)) < rule.failures:
            self.redis.delete(self.prefix + key + ":blocked")


def _now(now_ms: int | None) -> int:
    return now_ms if now_ms is not None else int(time.time() * 1000)


def wait_seconds(store, keys: list[Key], *, now_ms: int | None = None) -> int:
    """Seconds an attempt under these keys must still wait (0: it may go ahead)."""
    ms = store.blocked_ms([k.value for k in keys], _now(now_ms))
    return (ms + 999) // 1000 if ms > 0 else 0


def begin(store, keys: list[Key], limits: Limits, *, now_ms: int | None = None) -> tuple[int, dict[str, int]]:
    """Start an attempt: (seconds to wait, 0 to go ahead; the attempt's number under each key).

    A key that waits refuses the attempt, uncounted. Otherwise the attempt is counted under every
    key, each in one atomic step that also starts the key's wait when the count reaches its limit;
    so of a burst sent to several workers at once only `limit` attempts reach the password check.
    """
    now_ms = _now(now_ms)
    wait = wait_seconds(store, keys, now_ms=now_ms)
    if wait:
        return wait, {}
    counts: dict[str, int] = {}
    for key in keys:
        n, wait_ms = store.gate(key.value, now_ms, getattr(limits, key.kind))
        if wait_ms:
            return (wait_ms + 999) // 1000, counts
        counts[key.value] = n
    return 0, counts


def succeeded(store, keys: list[Key], counts: dict[str, int], limits: Limits | None = None) -> None:
    """A right password: the pair's failures are forgotten, and the other keys take this attempt back."""
    for key in keys:
        if key.kind == "pair":
            store.clear(key.value)
        elif key.value in counts and limits is not None:
            store.uncount(key.value, getattr(limits, key.kind))


def record_failure(store, keys: list[Key], limits: Limits, *, now_ms: int | None = None) -> int:
    """One whole failed attempt; returns the seconds it had to wait instead (0 when it was counted)."""
    wait, _counts = begin(store, keys, limits, now_ms=now_ms)
    return wait
