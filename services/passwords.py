"""Password hashing with argon2id at OWASP's parameters."""
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


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password against its stored hash, in constant time."""
    if not stored_hash:
        _hasher().hash(password)  # spend the same time as a real check
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made at other parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)
