"""Opening hours: the OSM subset, everyday Chinese, the week arithmetic, and the check-in helpers."""
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stations import opening_hours as oh
from services.stations.opening_hours import OpeningHoursError, is_valid, parse

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 16)  # a Monday
DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


def at(day: int, hhmm: str, second: int = 0) -> datetime:
    """The local moment on weekday `day` (0 = Monday) of the test week (7 = the next Monday)."""
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(MONDAY + timedelta(days=day), time(h, m, second), tzinfo=TZ)


# -- syntax ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, canonical", [
    ("24/7", "24/7"),
    ("Mo-Fr 09:00-18:00", "Mo-Fr 09:00-18:00"),
    ("Mo-Fr 09:00-18:00; Sa,Su 09:00-12:00,14:00-17:30", "Mo-Fr 09:00-18:00; Sa,Su 09:00-12:00,14:00-17:30"),
    ("Su off", "Su off"),
    ("Su closed", "Su off"),
    ("off", "Mo-Su off"),
    ("09:00-18:00", "Mo-Su 09:00-18:00"),
    ("Fr-Sa 18:00-02:00", "Fr,Sa 18:00-02:00"),
    ("Mo 18:00-24:00", "Mo 18:00-24:00"),
    ("Mo 22:00-00:00", "Mo 22:00-24:00"),
    ("Mo-Su 00:00-24:00", "Mo-Su 00:00-24:00"),
    ("Sa-Mo 10:00-16:00", "Mo,Sa,Su 10:00-16:00"),
    ("Mo,We,Fr 9:00-12:00", "Mo,We,Fr 09:00-12:00"),
    ("Mo,Tu,We,Fr 08:00-12:00", "Mo-We,Fr 08:00-12:00"),
    ("Tu-Su 09:00-21:00; Mo off", "Tu-Su 09:00-21:00; Mo off"),
    ("mo-fr 14:00-17:30 , 09:00-12:00 ;  SA 10:00 - 12:00", "Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00"),
    ("Mo , Tu - We 09:00-10:00", "Mo-We 09:00-10:00"),
    ("24/7; Su off", "24/7; Su off"),
    ("Mo-Fr 09:00-12:00,09:00-12:00", "Mo-Fr 09:00-12:00"),
])
def test_forms_parse_to_canonical_text(text, canonical):
    """Does every supported form parse, print canonically, and parse back to an equal value?"""
    hours = parse(text)
    assert str(hours) == canonical == hours.text
    assert parse(canonical) == hours and hash(parse(canonical)) == hash(hours)
    assert is_valid(text) and repr(hours) == f"OpeningHours({canonical!r})"


@pytest.mark.parametrize("text, canonical", [
    ("24小时", "24/7"),
    ("24 小时", "24/7"),
    ("全天开放", "24/7"),
    ("周一至周五 9:00-18:00", "Mo-Fr 09:00-18:00"),
    ("周一至周五9:00-18:00；周六 9:00-12:00", "Mo-Fr 09:00-18:00; Sa 09:00-12:00"),
    ("周一至周五9:00-18:00，周六 9:00-12:00", "Mo-Fr 09:00-18:00; Sa 09:00-12:00"),
    ("星期二到星期日 09:00~21:00", "Tu-Su 09:00-21:00"),
    ("每天 9:00至21:00；周一闭馆", "Mo-Su 09:00-21:00; Mo off"),
    ("周六日 10：00-17：00", "Sa,Su 10:00-17:00"),
    ("工作日 8:30-17:30，周末休息", "Mo-Fr 08:30-17:30; Sa,Su off"),
    ("周一至周五 9:00-18:00；周六、周日休息", "Mo-Fr 09:00-18:00; Sa,Su off"),
])
def test_everyday_chinese(text, canonical):
    """Are the usual Chinese ways of writing hours read, and printed in the OSM form?"""
    assert str(parse(text)) == canonical


@pytest.mark.parametrize("text, token", [
    ("", ""),
    ("   ", ""),
    ("Mo-Fr", "Mo-Fr"),
    ("PH off", "PH"),
    ("Mo-Fr 09:00-18:00; PH off", "PH"),
    ("Mon-Fri 09:00-18:00", "Mon"),
    ("Mo-Fr 9-18", "9-18"),
    ("Mo-Fr 09:00-25:00", "09:00-25:00"),
    ("Mo 24:00-02:00", "24:00-02:00"),
    ("Mo 09:60-10:00", "09:60-10:00"),
    ("Mo 09:00-24:30", "09:00-24:30"),
    ("Mo 09:00-09:00", "09:00-09:00"),
    ("Mo-Fr 09:00-18:00;", ";"),
    ("Mo 09:00-10:00;;Tu 09:00-10:00", ";"),
    ("Mo,,Tu 09:00-10:00", ","),
    ("Mo Tu 09:00-12:00", "Mo Tu"),
    ("Mo-We-Fr 09:00-10:00", "Mo-We-Fr"),
    ("Mo- 09:00-10:00", "Mo-"),
    ("Mo-Fr 09:00-18:00 off", "off"),
    ("Mo-Fr 09:00-12:00 14:00-18:00", "09:00-12:00 14:00-18:00"),
    ("Mo-Fr 09:00-12:00,", ""),
    ("Mo-Fr 09:00-18:00 || Sa off", "||"),
    ("Mo-Fr 09:00+", "+"),
    ("24h", "24h"),
    ("周一到周五 上午9:00-12:00", "Fr 上午"),
])
def test_errors_name_the_bad_token(text, token):
    """Is text outside the subset refused with a ValueError whose message names the bad token?"""
    with pytest.raises(OpeningHoursError) as excinfo:
        parse(text)
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.token == token
    assert repr(token) in str(excinfo.value) or token == ""
    assert not is_valid(text)


@pytest.mark.parametrize("value", [None, 7, b"24/7"])
def test_non_text_is_an_error(value):
    """Is a value that is not text an OpeningHoursError rather than a crash?"""
    with pytest.raises(OpeningHoursError):
        parse(value)
    assert not is_valid(value)


def test_parse_is_cached():
    """Do two parses of the same text (even with outer spaces) give the very same object?"""
    assert parse("Mo-Fr 09:00-18:00") is parse("  Mo-Fr 09:00-18:00 ")


# -- week arithmetic -------------------------------------------------------------------------------

def test_is_open_simple_week():
    """Is a weekday station open in its hours, closed at its end minute, at lunch and on Sunday?"""
    hours = parse("Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00")
    assert hours.is_open(at(0, "09:00")) and hours.is_open(at(4, "17:59", 59))
    assert not hours.is_open(at(0, "08:59", 59))
    assert not hours.is_open(at(0, "18:00")) and not hours.is_open(at(2, "13:00"))
    assert hours.is_open(at(5, "11:00")) and not hours.is_open(at(5, "14:00"))
    assert not hours.is_open(at(6, "10:00"))
    assert not hours.is_24_7


def test_24_7():
    """Is 24/7 (however written) always open, with no closing and no next opening?"""
    for hours in (parse("24/7"), parse("Mo-Su 00:00-24:00"), parse("Mo-Fr 00:00-24:00; Sa,Su 00:00-24:00")):
        assert hours.is_24_7
        assert hours.is_open(at(3, "03:33"))
        assert hours.closes_at(at(3, "03:33")) is None and hours.opens_at(at(3, "03:33")) is None
        assert hours.intervals_on(MONDAY) == [(time(0), time.max)]


def test_midnight_crossing():
    """Does Fr-Sa 18:00-02:00 spill into Saturday and Sunday mornings, and close at 02:00?"""
    hours = parse("Fr-Sa 18:00-02:00")
    assert hours.is_open(at(4, "23:59")) and hours.is_open(at(5, "01:59")) and not hours.is_open(at(5, "02:00"))
    assert hours.is_open(at(6, "01:00")) and not hours.is_open(at(6, "03:00"))
    assert not hours.is_open(at(4, "01:00"))  # Thursday night is not open
    assert hours.closes_at(at(4, "20:15")) == at(5, "02:00")
    assert hours.closes_at(at(5, "01:00")) == at(5, "02:00")
    assert hours.opens_at(at(5, "01:00")) == at(5, "18:00")
    assert hours.opens_at(at(6, "10:00")) == at(11, "18:00")
    assert hours.intervals_on(MONDAY + timedelta(days=5)) == [(time(0), time(2)), (time(18), time.max)]
    assert hours.intervals_on(MONDAY + timedelta(days=4)) == [(time(18), time.max)]


def test_spill_survives_a_later_rule_for_the_next_day():
    """Does 'Sa 20:00-03:00; Su off' keep Saturday night's hours past midnight, as OSM does?"""
    hours = parse("Sa 20:00-03:00; Su off")
    assert hours.is_open(at(6, "02:00")) and not hours.is_open(at(6, "12:00"))


def test_later_rules_replace_earlier_days():
    """Does a later rule replace what an earlier one said about its days?"""
    hours = parse("Mo-Su 09:00-18:00; We off; Su 10:00-12:00")
    assert hours.is_open(at(1, "17:00")) and not hours.is_open(at(2, "10:00"))
    assert hours.is_open(at(6, "11:00")) and not hours.is_open(at(6, "15:00"))


def test_24_00_end_joins_the_next_morning():
    """Are Mo 18:00-24:00 and Tu 00:00-02:00 one period closing Tuesday 02:00?"""
    hours = parse("Mo 18:00-24:00; Tu 00:00-02:00,09:00-10:00")
    assert hours.is_open(at(0, "23:59")) and hours.is_open(at(1, "00:00"))
    assert hours.closes_at(at(0, "19:00")) == at(1, "02:00")
    assert hours.opens_at(at(0, "19:00")) == at(1, "09:00")  # 00:00 Tuesday is not a new opening


def test_open_across_the_week_boundary():
    """Does an opening from Sunday night into Monday morning count as one period?"""
    hours = parse("Su 20:00-24:00; Mo 00:00-08:00")
    assert hours.closes_at(at(6, "21:00")) == at(7, "08:00")
    assert hours.closes_at(at(0, "07:00")) == at(0, "08:00")
    assert hours.opens_at(at(0, "07:00")) == at(6, "20:00")


def test_closes_at_and_opens_at():
    """Do closes_at and opens_at give the end of this period and the next start after now?"""
    hours = parse("Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00")
    assert hours.closes_at(at(0, "10:00", 30)) == at(0, "12:00")
    assert hours.closes_at(at(0, "12:30")) is None
    assert hours.opens_at(at(0, "12:30")) == at(0, "14:00")
    assert hours.opens_at(at(0, "10:00")) == at(0, "14:00")
    assert hours.opens_at(at(0, "08:59", 30)) == at(0, "09:00")
    assert hours.opens_at(at(0, "09:00", 30)) == at(0, "14:00")
    assert hours.opens_at(at(5, "13:00")) == at(7, "09:00")
    assert parse("off").opens_at(at(0, "10:00")) is None and parse("off").closes_at(at(0, "10:00")) is None
    assert parse("We 10:00-11:00").opens_at(at(2, "10:00")) == at(9, "10:00")  # within 7 days, inclusive


def test_intervals_on():
    """Does intervals_on list a calendar day's hours as times?"""
    hours = parse("Mo-Fr 09:00-12:00,14:00-17:30; Sa,Su off")
    assert hours.intervals_on(MONDAY) == [(time(9), time(12)), (time(14), time(17, 30))]
    assert hours.intervals_on(MONDAY + timedelta(days=6)) == []


def test_is_open_is_cheap():
    """Are 100,000 is_open calls well under a second (hundreds of stations per request)?"""
    hours = parse("Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00")
    moment = at(2, "15:00")
    started = clock.process_time()  # CPU time: a busy machine does not fail it
    for _ in range(100_000):
        hours.is_open(moment)
    assert clock.process_time() - started < 1.0


# -- properties against a minute-by-minute model ---------------------------------------------------

spans = st.tuples(st.integers(0, 23 * 60 + 59), st.integers(1, 24 * 60)).filter(lambda s: s[0] != s[1] % 1440)
rules = st.one_of(
    st.just(("24/7",)),
    st.tuples(st.one_of(st.none(), st.sets(st.integers(0, 6), min_size=1)),
              st.lists(spans, min_size=0, max_size=3)),
)


def _write(rule, style: int) -> str:
    """One rule written in one of several equivalent spellings."""
    if rule == ("24/7",):
        return "24/7"
    days, rule_spans = rule
    times = ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in rule_spans) or "off"
    if days is None:
        return times
    names = [DAYS[d] for d in sorted(days)]
    if style % 2:
        names = [n.upper() for n in reversed(names)]
    return f"{' , '.join(names) if style % 3 == 0 else ','.join(names)} {times}"


def _model(rule_list) -> list[bool]:
    """Open or not for each minute of the week, straight from the OSM rules."""
    own = [[] for _ in range(7)]
    for rule in rule_list:
        if rule == ("24/7",):
            own = [[(0, 1440)] for _ in range(7)]
            continue
        days, rule_spans = rule
        for d in (range(7) if days is None else days):
            own[d] = list(rule_spans)
    week = [False] * (7 * 1440)
    for d in range(7):
        for s, e in own[d]:
            for m in range(s, e if e > s else e + 1440):
                week[(d * 1440 + m) % (7 * 1440)] = True
    return week


@settings(max_examples=120, deadline=None)
@given(st.lists(rules, min_size=1, max_size=4), st.integers(0, 5), st.integers(0, 7 * 1440 - 1))
def test_matches_a_minute_model(rule_list, style, minute):
    """Do is_open, closes_at, opens_at and intervals_on agree with a minute-by-minute model of the rules?"""
    hours = parse("; ".join(_write(r, style) for r in rule_list))
    assert parse(str(hours)) == hours and str(parse(str(hours))) == str(hours)
    week = _model(rule_list)
    moment = at(0, "00:00") + timedelta(minutes=minute, seconds=17)
    assert hours.is_open(moment) == week[minute]
    assert hours.is_24_7 == all(week)
    if all(week) or not week[minute]:
        assert hours.closes_at(moment) is None
    else:  # the first closed minute ahead
        ahead = next(k for k in range(1, 7 * 1440) if not week[(minute + k) % (7 * 1440)])
        assert hours.closes_at(moment) == moment.replace(second=0) + timedelta(minutes=ahead)
    starts = [k for k in range(1, 7 * 1440 + 1)  # minutes ahead where closed turns open
              if week[(minute + k) % (7 * 1440)] and not week[(minute + k - 1) % (7 * 1440)]]
    assert hours.opens_at(moment) == (moment.replace(second=0) + timedelta(minutes=starts[0]) if starts else None)
    day = minute // 1440
    covered = [False] * 1440
    for s, e in hours.intervals_on(MONDAY + timedelta(days=day)):
        for m in range(s.hour * 60 + s.minute, 1440 if e == time.max else e.hour * 60 + e.minute):
            covered[m] = True
    assert covered == week[day * 1440:(day + 1) * 1440]


@given(st.text(max_size=30))
def test_parse_never_crashes(text):
    """Does any text either parse (and round-trip) or raise OpeningHoursError, never anything else?"""
    try:
        hours = parse(text)
    except OpeningHoursError:
        assert not is_valid(text)
    else:
        assert parse(str(hours)) == hours


# -- lenient helpers used by check-in --------------------------------------------------------------

def test_helpers_keep_check_in_rules():
    """Do the check-in helpers treat unreadable text as open, widen by grace, and close at the period's end?"""
    saturday_10 = at(5, "10:00")
    assert oh.is_open("??", saturday_10) and oh.interval_at("??", saturday_10) == ("always", None)
    assert oh.is_open("", saturday_10) and oh.is_open(None, saturday_10)
    assert oh.is_open("24/7", saturday_10) and oh.closes_after("24/7", saturday_10) is None
    assert not oh.is_open("周一至周五 9:00-18:00", saturday_10)
    assert oh.closes_after("09:00-18:00", saturday_10) == at(5, "18:00")
    hours = "Mo-Fr 09:00-18:00; Sa 09:00-12:00"
    assert oh.is_open(hours, at(5, "12:00"))  # the end itself still counts
    assert not oh.is_open(hours, at(5, "12:20"))
    assert oh.is_open(hours, at(5, "12:20"), timedelta(minutes=30))
    assert oh.is_open(hours, at(5, "08:31"), timedelta(minutes=30))
    assert oh.closes_after(hours, at(5, "12:20"), timedelta(minutes=30)) == at(5, "12:00")
    assert oh.interval_at("Fr-Sa 18:00-02:00", at(5, "01:00")) == (at(4, "18:00"), at(5, "02:00"))
    assert oh.closes_after("Su 20:00-24:00; Mo 00:00-08:00", at(0, "07:00")) == at(0, "08:00")
    assert not oh.is_open("off", saturday_10)


def test_grace_prefers_the_period_holding_the_moment():
    """With a wide grace, is the period that actually holds the moment the one returned?"""
    hours = "Mo 09:00-12:00,12:30-18:00"
    assert oh.interval_at(hours, at(0, "12:40"), timedelta(hours=1)) == (at(0, "12:30"), at(0, "18:00"))
