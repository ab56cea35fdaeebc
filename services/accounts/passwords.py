"""Password hashing with argon2id at OWASP's parameters, and one-time passwords."""
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 8
MAX_LENGTH = 128

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """The hasher for the app's configured cost (OWASP: m=19 MiB, t=2, p=1)."""
    cfg = current_app.config if has_app_context() else {}
    key = (
        cfg.get("ARGON2_TIME_COST", 2),
        cfg.get("ARGON2_MEMORY_KIB", 19456),
        cfg.get("ARGON2_PARALLELISM", 1),
    )
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    return _hashers[key]


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher().hash(password)


ONE_TIME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or copied from paper
ONE_TIME_PREFIX = "otp$sha256$"


def make_one_time_password() -> tuple[str, str]:
    """A random 10-character one-time password (about 50 bits) and its stored hash.

    It is random, not chosen by a person, so a salted SHA-256 resists guessing as well as
    argon2 would, and a secretary can issue hundreds at once; the member replaces it with
    their own password (hashed with argon2id) at first sign-in.
    """
    plain = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(10))
    salt = secrets.token_hex(16)
    return plain, f"{ONE_TIME_PREFIX}{salt}${hashlib.sha256((salt + plain).encode()).hexdigest()}"


def _verify_one_time(stored_hash: str, password: str) -> bool:
    salt, digest = stored_hash[len(ONE_TIME_PREFIX):].split("$", 1)
    return hmac.compare_digest(hashlib.sha256((salt + password).encode()).hexdigest(), digest)


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    """An argon2 hash at today's parameters that no password matches: what a check without an account costs."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hashes[key]


def _argon2_verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password against its stored hash; every call costs exactly one argon2 verification.

    No account, no password yet, or a one-time password (a cheap salted SHA-256): an argon2 check
    against a dummy hash is made as well, so a failed sign-in takes as long whatever the account's
    state, and timing tells nothing about which numbers have accounts (issue: 4-8 ms for a one-time
    password against 30-55 ms for the others).
    """
    if not stored_hash or not stored_hash.startswith("$argon2"):
        _argon2_verify(_dummy_hash(), password)
        if stored_hash and stored_hash.startswith(ONE_TIME_PREFIX):
            return _verify_one_time(stored_hash, password)
        return False
    return _argon2_verify(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Whether an argon2 hash was made at other parameters than today's (one-time ones are left alone)."""
    if stored_hash.startswith(ONE_TIME_PREFIX):
        return False
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False
