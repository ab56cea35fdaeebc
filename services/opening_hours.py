"""Opening hours as stations write them: "24/7", "09:00-18:00", "Mo-Fr 09:00-18:00; Sa 09:00-12:00",
"周一至周五 9:00-18:00". Text we cannot read counts as always open (never block a check-in on a typo)."""
import re
from datetime import datetime, time, timedelta

DAYS_EN = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
DAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
TIME_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：](\d{2})")


def _day_set(text: str) -> set[int] | None:
    """The weekdays a rule names (None: every day)."""
    text = text.strip().lower()
    if not text:
        return None
    days: set[int] = set()
    for m in re.finditer(r"(mo|tu|we|th|fr|sa|su)(?:\s*-\s*(mo|tu|we|th|fr|sa|su))?", text):
        a, b = DAYS_EN[m.group(1)], DAYS_EN[m.group(2) or m.group(1)]
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    for m in re.finditer(r"(?:周|星期)([一二三四五六日天])(?:\s*(?:至|到|-|—|~)\s*(?:周|星期)?([一二三四五六日天]))?", text):
        a, b = DAYS_ZH[m.group(1)], DAYS_ZH[m.group(2) or m.group(1)]
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    if "每天" in text or "daily" in text:
        return None
    return days or None


def parse(text: str | None) -> list[tuple[set[int] | None, time, time]] | None:
    """Rules as (weekdays or None, opens, closes); None when the station is always open or unreadable."""
    text = (text or "").strip()
    if not text or text.lower() in {"24/7", "24h", "24小时", "全天", "全天候"} or "24小时" in text:
        return None
    rules = []
    for part in re.split(r"[;；\n]", text):
        ranges = list(TIME_RANGE.finditer(part))
        if not ranges:
            continue
        days = _day_set(part[:ranges[0].start()])
        for m in ranges:
            h1, m1, h2, m2 = (int(x) for x in m.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                continue
            opens = time(min(h1, 23), m1)
            closes = time(23, 59, 59) if h2 == 24 else time(h2, m2)
            rules.append((days, opens, closes))
    return rules or None


def interval_at(text: str | None, local: datetime, grace: timedelta = timedelta(0)):
    """The (opens, closes) local datetimes of the opening interval around `local`, widened by grace.

    Returns ("always", None) when always open, None when closed at that moment.
    """
    rules = parse(text)
    if rules is None:
        return ("always", None)
    for days, opens, closes in rules:
        for day_offset in (0, -1):  # an interval past midnight belongs to the day before
            day = (local + timedelta(days=day_offset)).date()
            if days is not None and day.weekday() not in days:
                continue
            start = datetime.combine(day, opens, tzinfo=local.tzinfo)
            end = datetime.combine(day, closes, tzinfo=local.tzinfo)
            if end <= start:
                end += timedelta(days=1)
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
