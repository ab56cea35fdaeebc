"""Opening hours in a small subset of OpenStreetMap's opening_hours syntax, as station data writes them.

    hours    := rule ( ";" rule )*
    rule     := "24/7" | [days] ( span ( "," span )* | "off" )
    days     := day ( "-" day )? ( "," day ( "-" day )? )*      Mo Tu We Th Fr Sa Su ("Sa-Mo" wraps)
    span     := HH:MM "-" HH:MM                                 00:00-23:59; the end may be 24:00

Examples: "24/7", "Mo-Fr 09:00-18:00; Sa,Su 09:00-12:00,14:00-17:30", "Tu-Su 09:00-21:00; Mo off",
"Fr-Sa 18:00-02:00". As in OSM, a rule without days means every day, and a later rule replaces what
earlier rules said about its days ("Mo-Su 09:00-18:00; Su off"); a span whose end is at or before its
start runs past midnight, and its early hours stay on the next day even if a later rule sets that day.
Day names are case-insensitive, spaces around ";", "," and "-" are allowed, "closed" = "off".
Not supported (an error naming the token): PH/SH holidays, months, weeks, "+", "||", comments,
times past 24:00.

Text with Chinese in it ("周一至周五 9:00-18:00；周六 9:00-12:00", "每天 8:30～20:30", "24小时") is
first rewritten into that form; str() of the result is the canonical OSM text.
`parse` raises OpeningHoursError (English, naming the bad token; callers translate).

`is_open(text, local, grace)`, `closes_after` and `interval_at` are the lenient text-level helpers
check-in uses: text they cannot read counts as always open, so a typo never blocks a check-in.
All datetimes are aware and already in local time (Asia/Shanghai); nothing here converts zones.
"""
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_ALL_DAYS = tuple(range(7))
_DAY = 1440  # minutes
_WEEK = 7 * _DAY
_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_OFF = re.compile(r"(?:^|\s)(off|closed)$", re.IGNORECASE)
_UNSUPPORTED = ("||", "+", '"', "[", "]")  # fallback rules, open ends, comments, nth weekdays
_NO_GRACE = timedelta(0)


class OpeningHoursError(ValueError):
    """Opening hours outside the supported subset; the message names the offending token."""

    def __init__(self, message: str, *, token: str | None = None):
        super().__init__(message)
        self.token = token


class _Rule:
    """One rule: the weekdays it sets, and their spans in minutes (end <= start: past midnight)."""

    __slots__ = ("days", "spans", "always")

    def __init__(self, days: tuple[int, ...], spans: tuple[tuple[int, int], ...], always: bool = False):
        self.days, self.spans, self.always = days, spans, always

    def __str__(self) -> str:
        if self.always:
            return "24/7"
        times = ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in self.spans) or "off"
        return f"{_days_text(self.days)} {times}"


class OpeningHours:
    """Parsed opening hours with per-weekday minute intervals precomputed; immutable and shared via the cache."""

    __slots__ = ("rules", "is_24_7", "text", "_days", "_periods")

    def __init__(self, rules: tuple[_Rule, ...]):
        self.rules = rules
        self.text = "; ".join(str(r) for r in rules)  # the canonical text
        own: list[tuple[tuple[int, int], ...]] = [()] * 7
        for rule in rules:  # a later rule replaces what earlier ones said about its days
            for d in rule.days:
                own[d] = rule.spans
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for d, spans in enumerate(own):
            for start, end in spans:
                if start < end:
                    days[d].append((start, end))
                else:  # past midnight: the early hours belong to the next calendar day
                    days[d].append((start, _DAY))
                    days[(d + 1) % 7].append((0, end))
        self._days = tuple(tuple(_merge(spans)) for spans in days)
        periods = _merge([(d * _DAY + s, d * _DAY + e) for d in range(7) for s, e in self._days[d]])
        self.is_24_7 = periods == [(0, _WEEK)]
        if self.is_24_7:
            periods = []
        elif len(periods) > 1 and periods[0][0] == 0 and periods[-1][1] == _WEEK:  # open across Su/Mo midnight
            periods = [*periods[1:-1], (periods[-1][0], periods[0][1] + _WEEK)]
        self._periods = tuple(periods)  # (start, end) minutes from Monday 00:00; end may pass _WEEK

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"OpeningHours({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpeningHours) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def is_open(self, at: datetime) -> bool:
        """Whether open at a local moment (to the minute; a span's end minute is closed)."""
        if self.is_24_7:
            return True
        minute = at.hour * 60 + at.minute
        for start, end in self._days[at.weekday()]:
            if start <= minute < end:
                return True
        return False

    def closes_at(self, at: datetime) -> datetime | None:
        """When the open period holding `at` ends (across midnight if it runs on); None if 24/7 or closed."""
        t = _week_minute(at)
        for start, end in self._periods:
            for tt in (t, t + _WEEK):
                if start <= tt < end:
                    return _floor_minute(at) + timedelta(minutes=end - tt)
        return None

    def opens_at(self, at: datetime) -> datetime | None:
        """The next opening strictly after `at` (within 7 days; after this period if open); None if 24/7 or never."""
        if not self._periods:
            return None
        t = _week_minute(at)
        delta = min((start - t) % _WEEK or _WEEK for start, _ in self._periods)
        return _floor_minute(at) + timedelta(minutes=delta)

    def intervals_on(self, day: date) -> list[tuple[time, time]]:
        """That calendar day's open intervals (with a previous night's spill); a midnight end is time.max."""
        return [(_time(s), time.max if e == _DAY else _time(e)) for s, e in self._days[day.weekday()]]

    def period_around(self, at: datetime, *, grace: timedelta = _NO_GRACE) -> tuple[datetime, datetime] | None:
        """The (opens, closes) of the open period holding `at`, ends inclusive, each widened by `grace`."""
        monday = datetime.combine(at.date() - timedelta(days=at.weekday()), time(0), tzinfo=at.tzinfo)
        t = (at - monday) / timedelta(minutes=1)
        for g in ((0.0, grace / timedelta(minutes=1)) if grace else (0.0,)):
            for start, end in self._periods:
                for shift in (0, -_WEEK, _WEEK):
                    if start + shift - g <= t <= end + shift + g:
                        return (monday + timedelta(minutes=start + shift), monday + timedelta(minutes=end + shift))
        return None


def parse(text: str) -> OpeningHours:
    """Parse opening hours (the subset above, or everyday Chinese); raises OpeningHoursError naming the bad token."""
    if not isinstance(text, str):
        raise OpeningHoursError(f"opening hours must be text, not {type(text).__name__}")
    return _parse(text.strip())


def is_valid(text: str) -> bool:
    """Whether `parse` accepts the text."""
    try:
        parse(text)
    except OpeningHoursError:
        return False
    return True


@lru_cache(maxsize=4096)
def _parse(text: str) -> OpeningHours:
    if _CHINESE.search(text):
        text = _from_chinese(text)
    if not text:
        raise OpeningHoursError("opening hours are empty (write e.g. '24/7' or 'Mo-Fr 09:00-18:00')", token="")
    for token in _UNSUPPORTED:
        if token in text:
            raise OpeningHoursError(f"{token!r} is not supported in {text!r}", token=token)
    rules = []
    for part in text.split(";"):
        rule = part.strip()
        if not rule:
            raise OpeningHoursError(f"empty rule in {text!r} (a stray ';')", token=";")
        rules.append(_parse_rule(rule))
    return OpeningHours(tuple(rules))


def _parse_rule(rule: str) -> _Rule:
    if rule == "24/7":
        return _Rule(_ALL_DAYS, ((0, _DAY),), always=True)
    off = _OFF.search(rule)
    if off:
        selector, body = rule[:off.start()].strip(), ""
        if any(c.isdigit() for c in selector):
            raise OpeningHoursError(f"{off.group(1)!r} cannot follow times in {rule!r}", token=off.group(1))
    else:
        first_digit = next((i for i, c in enumerate(rule) if c.isdigit()), None)
        if first_digit is None:
            raise OpeningHoursError(f"no times in rule {rule!r} (write e.g. '09:00-18:00', or 'off')", token=rule)
        selector, body = rule[:first_digit].strip(), rule[first_digit:].strip()
    days = _parse_days(selector, rule) if selector else _ALL_DAYS
    spans = tuple(sorted({_parse_span(token.strip(), rule) for token in body.split(",")})) if body else ()
    return _Rule(days, spans)


def _parse_days(selector: str, rule: str) -> tuple[int, ...]:
    days: set[int] = set()
    for item in selector.split(","):
        if not item.strip():
            raise OpeningHoursError(f"empty day in {rule!r} (a stray ',')", token=",")
        ends = [x.strip() for x in item.split("-")]
        if len(ends) > 2 or not all(ends):
            raise OpeningHoursError(f"bad day range {item.strip()!r} in {rule!r}", token=item.strip())
        for name in ends:
            if name.lower() not in _DAY_INDEX:
                raise OpeningHoursError(f"unknown day {name!r} in {rule!r} (use Mo Tu We Th Fr Sa Su)", token=name)
        first, last = _DAY_INDEX[ends[0].lower()], _DAY_INDEX[ends[-1].lower()]
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return tuple(sorted(days))


def _parse_span(token: str, rule: str) -> tuple[int, int]:
    m = _SPAN.fullmatch(token)
    if not m:
        raise OpeningHoursError(f"bad time range {token!r} in {rule!r} (write e.g. '09:00-18:00')", token=token)
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise OpeningHoursError(f"bad time in {token!r} (from 00:00-23:59 to at most 24:00)", token=token)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise OpeningHoursError(f"empty time range {token!r} (for a whole day write 00:00-24:00)", token=token)
    return start, (_DAY if end == 0 else end)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _days_text(days: tuple[int, ...]) -> str:
    parts, i = [], 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{DAY_NAMES[days[i]]}-{DAY_NAMES[days[j]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in days[i:j + 1])
        i = j + 1
    return ",".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _week_minute(at: datetime) -> int:
    return at.weekday() * _DAY + at.hour * 60 + at.minute


def _floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


# -- everyday Chinese, rewritten into the subset ----------------------------------------------------

_CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_ZH_DAY = {"一": "Mo", "二": "Tu", "三": "We", "四": "Th", "五": "Fr", "六": "Sa", "日": "Su", "天": "Su"}
_ALWAYS_WORDS = {"24小时", "全天", "全天候", "全天开放", "24小时开放"}
_PUNCT = str.maketrans({"；": ";", "：": ":", "，": ",", "、": ",", "－": "-", "–": "-", "—": "-", "～": "-",
                        "~": "-", "　": " "})


def _from_chinese(text: str) -> str:
    """Chinese day names, words and punctuation in the OSM form ("周一至周五 9:00-18:00" -> "Mo-Fr 9:00-18:00")."""
    compact = "".join(text.split())
    if compact in _ALWAYS_WORDS or "24小时" in compact:
        return "24/7"
    text = text.translate(_PUNCT)
    text = re.sub(r"(?:周|星期)六\s*,?\s*(?:周|星期)?[日天]|周末|双休日", "Sa,Su", text)
    text = text.replace("工作日", "Mo-Fr")
    text = re.sub(r"(?:周|星期)([一二三四五六日天])\s*(?:至|到|-)\s*(?:周|星期)?([一二三四五六日天])",
                  lambda m: f"{_ZH_DAY[m.group(1)]}-{_ZH_DAY[m.group(2)]}", text)
    text = re.sub(r"(?:周|星期)([一二三四五六日天])", lambda m: _ZH_DAY[m.group(1)], text)
    text = re.sub(r"每天|每日", "", text)
    text = re.sub(r"(\d{1,2}:\d{2})\s*(?:至|到)\s*(\d{1,2}:\d{2})", r"\1-\2", text)
    text = re.sub(r"休息|闭馆|不开放", " off", text)
    text = re.sub(r"(\d)\s*,\s*(?=[A-Za-z])", r"\1; ", text)  # "9:00-18:00，周六 ..." starts a new rule
    text = re.sub(r"(off)\s*,\s*(?=[A-Za-z])", r"\1; ", text)
    return re.sub(r"([A-Za-z]{2})(\d)", r"\1 \2", text).strip()


# -- the lenient text-level helpers used by check-in -------------------------------------------------

def read(text: str | None) -> OpeningHours | None:
    """The parsed hours, or None when the text is empty or cannot be read."""
    try:
        return parse(text or "")
    except OpeningHoursError:
        return None


def interval_at(text: str | None, local: datetime, grace: timedelta = _NO_GRACE):
    """The (opens, closes) around `local`, ends inclusive and widened by grace.

    ("always", None) when always open (24/7, or text we cannot read); None when closed then.
    """
    hours = read(text)
    if hours is None or hours.is_24_7:
        return ("always", None)
    return hours.period_around(local, grace=grace)


def is_open(text: str | None, local: datetime, grace: timedelta = _NO_GRACE) -> bool:
    """Whether a station is open at a local moment, with some grace either side (unreadable: open)."""
    return interval_at(text, local, grace) is not None


def closes_after(text: str | None, local: datetime, grace: timedelta = _NO_GRACE) -> datetime | None:
    """When the period holding `local` closes (None when always open or no period holds it)."""
    found = interval_at(text, local, grace)
    if found is None or found[0] == "always":
        return None
    return found[1]
