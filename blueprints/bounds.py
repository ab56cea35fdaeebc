"""Input bounds at the edge of the web layer: URL ids, JSON bodies and form fields.

Wired once in create_app(): `<int:...>` in every route means 1 .. 2^31-1 in ASCII digits; JSON
with non-finite numbers, giant integers or nesting deeper than Python can parse is "not JSON"
(get_json(silent=True) gives None, so the view answers 400). Form fields use the WTForms
validators below; the rules themselves are services.bounds.
"""
import json
import math
import re
from urllib.parse import urlsplit

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from services import bounds

JSON_MAX_DEPTH = 32
JSON_MAX_INT = 2 ** 53  # what a phone's JavaScript can hold exactly


_URL_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\\\u2028\u2029\ufeff]")
NEXT_MAX_LENGTH = 2000


def safe_next(target, *, prefix: str = "/") -> str | None:
    """A path on this site to return to, or None (never another host, never a header-breaking value).

    Browsers drop tabs and line breaks from a URL (and treat `\\` as `/`), so `/\t/evil.example`
    would become `//evil.example`, another host; a line break in a Location header is a 500. Any
    control character, space, backslash or format character is refused before anything else
    (WHATWG URL: C0 controls and space are stripped or rejected), then the target must be a bare
    path: no scheme, no host, not `//`, starting with `prefix`.
    """
    if not isinstance(target, str) or not target or len(target) > NEXT_MAX_LENGTH:
        return None
    if _URL_CONTROL.search(target) or not target.startswith(prefix) or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target.rstrip("?") or None


class BoundedIntegerConverter(IntegerConverter):
    """`<int:x>` that matches ASCII digits only and at most 2^31-1 (a 404 beyond, never an overflow)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounds.INT4_MAX if max is None else max,
                         signed=signed)
        if signed:
            self.regex = r"-?[0-9]{1,10}"


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:
        raise ValueError("number too long")
    number = int(text)
    if abs(number) > JSON_MAX_INT:
        raise ValueError("number too large")
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number too large")
    return number


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _depth_ok(text: str | bytes, limit: int) -> bool:
    """Whether brackets nest at most `limit` deep (strings' brackets counted too: a safe overestimate)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
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


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading only finite numbers of sane size and nesting of at most JSON_MAX_DEPTH."""

    def loads(self, s, **kwargs):
        if not _depth_ok(s, JSON_MAX_DEPTH):
            raise ValueError("JSON nested too deeply")
        kwargs.setdefault("parse_int", _bounded_int)
        kwargs.setdefault("parse_float", _finite_float)
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError as e:  # pragma: no cover (the depth check comes first)
            raise ValueError("JSON nested too deeply") from e


def init_app(app) -> None:
    """Bound `<int:...>` everywhere and read JSON through the bounded provider (before any blueprint)."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)


class NoControl:
    """WTForms validator: no control characters (and no line breaks unless `multiline`)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        if isinstance(field.data, str) and bounds.has_control(field.data, multiline=self.multiline):
            raise ValidationError(bounds.control_message(multiline=self.multiline, field=field.label.text))


class YearRange:
    """WTForms validator: a date or datetime within services.bounds' years."""

    def __call__(self, form, field):
        if field.data is not None and not bounds.MIN_YEAR <= field.data.year <= bounds.MAX_YEAR:
            raise ValidationError(_year_message())


def _year_message() -> str:
    from flask_babel import gettext as _

    return _("Enter a date between %(low)s and %(high)s.", low=bounds.MIN_YEAR, high=bounds.MAX_YEAR)
