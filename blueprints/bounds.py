"""Input bounds at the edge of the web layer: URL ids, JSON bodies and form fields.

Wired once in create_app(): `<int:...>` in every route means 1 .. 2^31-1 in ASCII digits; JSON
with non-finite numbers, giant integers or nesting deeper than Python can parse is "not JSON"
(get_json(silent=True) gives None, so the view answers 400). Form fields use the WTForms
validators below; the rules themselves are services.bounds.
"""
import math
import re
from urllib.parse import urlsplit

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from services import bounds



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


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading only finite numbers of sane size and nesting of at most 32 (services.bounds)."""

    def loads(self, s, **kwargs):
        return bounds.loads_json(s, **kwargs)


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


def field_problem(field) -> str | None:
    """What is out of bounds in a validated WTForms field, as a message for people, or None."""
    from datetime import date
    from decimal import Decimal

    from flask_babel import gettext as _
    from wtforms import PasswordField, StringField, TextAreaField

    data = field.data
    label = field.label.text if field.label else ""
    if isinstance(field, StringField) and not isinstance(field, PasswordField) and isinstance(data, str):
        multiline = isinstance(field, TextAreaField)
        if bounds.has_control(data, multiline=multiline):
            return str(bounds.control_message(multiline=multiline, field=label))
    if isinstance(data, date) and not bounds.MIN_YEAR <= data.year <= bounds.MAX_YEAR:
        return _year_message()
    numbers = data if isinstance(data, (list, tuple)) else [data]
    for number in numbers:
        if isinstance(number, bool):
            continue
        if isinstance(number, int) and not bounds.INT4_MIN <= number <= bounds.INT4_MAX:
            return _("%(field)s: the number is too large.", field=label)
        if isinstance(number, (float, Decimal)) and (not math.isfinite(number) or abs(number) > 1e9):
            return _("%(field)s: enter an ordinary number.", field=label)
    return None


def arg_int(source, name: str, *, low: int = 0, high: int = bounds.INT4_MAX) -> int | None:
    """An integer query or form parameter within [low, high] in ASCII digits, or None."""
    return bounds.int_or_none(source.get(name), low=low, high=high)


def arg_ints(source, name: str, *, limit: int = 1000) -> list[int] | None:
    """Every value of a repeated id parameter, or None when one of them is not an id (or too many)."""
    raw = source.getlist(name)
    if len(raw) > limit:
        return None
    ids = [bounds.int_or_none(v, low=1) for v in raw]
    return None if None in ids else ids
