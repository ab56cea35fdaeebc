"""Bounds on what comes in from outside: integers that fit the database, finite numbers, ASCII
digits only, dates the UTC conversion can hold, and text without control characters.

One small place, used by the views' parsers and by the services; each function returns the
clean value or raises DomainError with a message for people.
"""
import json
import math
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from services.errors import DomainError

INT4_MAX = 2 ** 31 - 1  # PostgreSQL `integer` columns (every id and count of this schema)
INT4_MIN = -(2 ** 31)
MIN_YEAR, MAX_YEAR = 1900, 2999  # wide enough for birth and join dates; far from datetime's ends
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,10}")
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})(?:[eE][+-]?[0-9]{1,3})?")
# C0 controls and DEL; tab, line feed and carriage return are allowed in multi-line text only
_CONTROL_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


def parse_int(value, *, low: int = INT4_MIN, high: int = INT4_MAX, code: str = "bad_number",
              message=None) -> int:
    """An integer within [low, high] from an int or a string of ASCII digits; DomainError otherwise.

    Refuses bools, floats, non-ASCII digits (Python's int() reads '١٢٣') and numbers longer than
    ten digits before converting, so no input can cost a big-number conversion or overflow a column.
    """
    if isinstance(value, bool):
        raise DomainError(code, message or _l("Enter a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise DomainError(code, message or _l("Enter a whole number."))
    if not low <= number <= high:
        raise DomainError(code, message or _l("Enter a number from %(low)s to %(high)s.", low=low, high=high))
    return number


def int_or_none(value, *, low: int = 0, high: int = INT4_MAX) -> int | None:
    """An integer within [low, high], or None for anything else (for optional query parameters and ids)."""
    try:
        return parse_int(value, low=low, high=high)
    except DomainError:
        return None


def is_id(value) -> bool:
    """Whether a value is an id a table of ours can hold (1 .. 2^31-1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= INT4_MAX


def parse_float(value, *, low: float = -1e9, high: float = 1e9, code: str = "bad_number", message=None) -> float:
    """A finite float within [low, high] from a number or an ASCII decimal string; DomainError otherwise."""
    if isinstance(value, bool):
        raise DomainError(code, message or _l("Enter a number."))
    if isinstance(value, int):
        if not low <= value <= high:
            raise DomainError(code, message or _l("Enter a number."))
        return float(value)
    if isinstance(value, float):
        number = value
    elif isinstance(value, str) and _ASCII_NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        raise DomainError(code, message or _l("Enter a number."))
    if not math.isfinite(number) or not low <= number <= high:
        raise DomainError(code, message or _l("Enter a number."))
    return number


def check_date(value: date | datetime | None, *, code: str = "bad_date", message=None):
    """The date (or datetime) itself when its year is within MIN_YEAR..MAX_YEAR; DomainError otherwise."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DomainError(code, message or _l("Enter a date between %(low)s and %(high)s.", low=MIN_YEAR,
                                              high=MAX_YEAR))
    return value


def has_control(text: str | None, *, multiline: bool = False) -> bool:
    """Whether text holds a control character (line breaks count unless `multiline`)."""
    if not text:
        return False
    return bool((_CONTROL_MULTI if multiline else _CONTROL_LINE).search(text))


def check_text(text: str | None, *, multiline: bool = False, code: str = "bad_text", field=None) -> str:
    """The text unchanged, or DomainError when it holds a control character (or a line break in one line)."""
    if has_control(text, multiline=multiline):
        raise DomainError(code, control_message(multiline=multiline, field=field))
    return text or ""


def control_message(*, multiline: bool = False, field=None):
    """The message for text with control characters."""
    if multiline:
        return _l("%(field)s contains invisible control characters; remove them and try again.",
                  field=field or _l("The text"))
    return _l("%(field)s must be one line without invisible control characters.", field=field or _l("The text"))


JSON_MAX_DEPTH = 32
JSON_MAX_INT = 2 ** 53  # what a phone's JavaScript holds exactly


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(int(text)) > JSON_MAX_INT:
        raise ValueError("number too large")
    return int(text)


def _json_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number too large")
    return number


def _json_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_depth_ok(text, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether brackets nest at most `limit` deep (brackets inside strings count too: a safe overestimate)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return True
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def loads_json(text, *, max_depth: int = JSON_MAX_DEPTH, **kwargs):
    """json.loads that raises ValueError (never RecursionError or OverflowError) for nesting deeper than
    `max_depth`, NaN/Infinity, numbers that overflow a float and integers beyond 2^53."""
    if not json_depth_ok(text, max_depth):
        raise ValueError("JSON nested too deeply")
    kwargs.setdefault("parse_int", _json_int)
    kwargs.setdefault("parse_float", _json_float)
    kwargs.setdefault("parse_constant", _json_constant)
    try:
        return json.loads(text, **kwargs)
    except RecursionError as e:  # pragma: no cover (the depth check comes first)
        raise ValueError("JSON nested too deeply") from e
