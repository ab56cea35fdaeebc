"""Opening hours in the OpenStreetMap syntax most stations need: "24/7", "Mo-Fr 09:00-18:00;
Sa 09:00-12:00", "09:00-12:00,14:00-18:00", "Su off", "20:00-02:00" (past midnight); and the
Chinese way of writing them ("周一至周五 9:00-18:00；周六 9:00-12:00", "每天 8:30～20:30", "24小时"),
read by first rewriting it into the OSM form.

parse(text) -> OpeningHours (is_open, closes_at, opens_at, is_24_7), or OpeningHoursError for text it
cannot read: imports refuse such text. The check-in feature's lenient helpers (is_open,
closes_after, interval_at on the text, unreadable = always open) sit at the end, over the same parser.

Rules are read left to right; a later rule replaces earlier ones for the days it names (as in
OSM). Times are local: pass aware datetimes in the station's time zone.
"""
import re
from datetime import datetime, timedelta

DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
_DAY_RE = re.compile(r"^(mo|tu|we|th|fr|sa|su)(?:-(mo|tu|we|th|fr|sa|su))?$", re.I)
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
WEEK_MIN = 7 * 24 * 60


class OpeningHoursError(ValueError):
    """The text is not opening hours this module can read."""


class OpeningHours:
    """A weekly schedule: open intervals in minutes from Monday 00:00 (may wrap past Sunday)."""

    def __init__(self, spans: list[tuple[int, int]], text: str):
        self.text = text
        self.spans = _merge(spans)
        self.is_24_7 = self.spans == [(0, WEEK_MIN)]

    def _monday(self, at: datetime) -> tuple[datetime, float]:
        """Monday 00:00 of `at`'s week, and the minutes since then."""
        minute = at.weekday() * 1440 + at.hour * 60 + at.minute + (at.second + at.microsecond / 1e6) / 60
        monday = at.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=at.weekday())
        return monday, minute

    def _span_at(self, minute: float) -> tuple[int, int] | None:
        for a, b in self.spans:
            if a <= minute < b:
                return a, b
        return None

    def is_open(self, at: datetime) -> bool:
        """Whether the place is open at that local moment."""
        return self.is_24_7 or self._span_at(self._monday(at)[1]) is not None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the current opening ends (None when closed now, or open around the clock)."""
        if self.is_24_7:
            return None
        monday, minute = self._monday(at)
        span = self._span_at(minute)
        if span is None:
            return None
        end = span[1]
        if end == WEEK_MIN and self.spans[0][0] == 0:  # open on through Sunday midnight
            end = WEEK_MIN + self.spans[0][1]
        return monday + timedelta(minutes=end)

    def opens_at(self, at: datetime) -> datetime | None:
        """When it next opens after `at` (None when open now or never open)."""
        if self.is_24_7 or not self.spans:
            return None
        monday, minute = self._monday(at)
        if self._span_at(minute) is not None:
            return None
        for a, _ in self.spans:
            if a > minute:
                return monday + timedelta(minutes=a)
        return monday + timedelta(minutes=WEEK_MIN + self.spans[0][0])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, joined intervals within one week (an interval past Sunday midnight wraps to Monday)."""
    flat = []
    for a, b in spans:
        if b > WEEK_MIN:
            flat += [(a, WEEK_MIN), (0, b - WEEK_MIN)]
        else:
            flat.append((a, b))
    flat.sort()
    merged: list[list[int]] = []
    for a, b in flat:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [tuple(m) for m in merged]


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        m = _DAY_RE.match(part.strip())
        if not m:
            raise OpeningHoursError(f"unknown day {part.strip()!r}")
        a = DAYS[m.group(1).lower()]
        b = DAYS[(m.group(2) or m.group(1)).lower()]
        days += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return days


def _spans(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        m = _SPAN_RE.match(part.strip())
        if not m:
            raise OpeningHoursError(f"unknown time range {part.strip()!r} (use HH:MM-HH:MM)")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise OpeningHoursError(f"no such time in {part.strip()!r}")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            raise OpeningHoursError(f"empty time range {part.strip()!r}")
        if end < start:
            end += 1440  # past midnight
        out.append((start, end))
    return out


_ZH_DAYS = {"一": "Mo", "二": "Tu", "三": "We", "四": "Th", "五": "Fr", "六": "Sa", "日": "Su", "天": "Su"}
_ZH_DAY_RE = re.compile(r"(?:周|星期)([一二三四五六日天])(?:\s*(?:至|到|-|—|–|~|～)\s*(?:周|星期)?([一二三四五六日天]))?")
_ALWAYS = {"24/7", "24h", "24小时", "24 小时", "全天", "全天候", "24小时开放", "全天开放"}


def _from_chinese(text: str) -> str:
    """Rewrite Chinese day names, punctuation and separators into the OSM form."""
    text = text.replace("：", ":").replace("；", ";").replace("，", ",").replace("、", ",")
    text = text.replace("每天", "Mo-Su ").replace("每日", "Mo-Su ")
    text = _ZH_DAY_RE.sub(lambda m: _ZH_DAYS[m.group(1)] + ("-" + _ZH_DAYS[m.group(2)] if m.group(2) else "") + " ",
                          text)
    text = re.sub(r"(\d)\s*(?:至|到|—|–|~|～)\s*(\d)", r"\1-\2", text)  # time ranges
    text = re.sub(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", r"\1-\2", text)
    text = re.sub(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)\s*,\s*(?=(?:Mo|Tu|We|Th|Fr|Sa|Su)\b)", r"\1,", text)  # day lists
    text = re.sub(r"(?<=\d|f)\s*,\s*(?=(?:Mo|Tu|We|Th|Fr|Sa|Su)\b)", "; ", text)  # a comma before a day: a new rule
    return text.replace("休息", "off").replace("闭馆", "off")


def parse(text: str) -> OpeningHours:
    """Read opening hours, or raise OpeningHoursError saying what is wrong."""
    source = " ".join((text or "").split())
    if not source:
        raise OpeningHoursError("empty")
    if source.lower() in _ALWAYS or "24小时" in source.replace(" ", ""):
        return OpeningHours([(0, WEEK_MIN)], source)
    if re.search(r"[\u4e00-\u9fff：；，～]", source):
        source = " ".join(_from_chinese(source).split())
    week: dict[int, list[tuple[int, int]]] = {}
    for rule in source.split(";"):
        rule = rule.strip()
        if not rule:
            continue
        head, _, rest = rule.partition(" ")
        if head[:1].isdigit():
            days, times = list(range(7)), rule
        else:
            days, times = _days(head), rest.strip()
        if not times:
            raise OpeningHoursError(f"no times in {rule!r}")
        spans = [] if times.lower() == "off" else _spans(times)
        for day in days:
            week[day] = [(day * 1440 + a, day * 1440 + b) for a, b in spans]
    if not week:
        raise OpeningHoursError("no rules")
    return OpeningHours([s for spans in week.values() for s in spans], source)


# -- the check-in branch's text-level helpers, over the same parser ---------------------------
# services/checkin.py (issue 3) calls is_open(text, local, grace) and closes_after(text, local,
# grace); text that is 24/7 or unreadable counts as always open there (a typo never blocks a
# check-in), while imports refuse unreadable text through parse().

def _lenient(text: str | None) -> OpeningHours | None:
    """The schedule, or None when it is 24/7 or cannot be read."""
    try:
        hours = parse(text or "")
    except OpeningHoursError:
        return None
    return None if hours.is_24_7 else hours


def interval_at(text: str | None, local: datetime, grace: timedelta = timedelta(0)):
    """The (opens, closes) datetimes of the interval around `local`, widened by grace either side.

    ("always", None) when always open (or unreadable), None when closed at that moment.
    """
    hours = _lenient(text)
    if hours is None:
        return ("always", None)
    monday, _ = hours._monday(local)
    for week in (-1, 0, 1):
        base = monday + timedelta(days=7 * week)
        for a, b in hours.spans:
            start, end = base + timedelta(minutes=a), base + timedelta(minutes=b)
            if start - grace <= local <= end + grace:
                return (start, end)
    return None


def is_open(text: str | None, local: datetime, grace: timedelta = timedelta(0)) -> bool:
    """Whether the station is open at a local moment (with some grace either side)."""
    return interval_at(text, local, grace) is not None


def closes_after(text: str | None, local: datetime, grace: timedelta = timedelta(0)) -> datetime | None:
    """When the interval holding `local` closes (None when always open or no interval holds it)."""
    found = interval_at(text, local, grace)
    if found is None or found[0] == "always":
        return None
    return found[1]
