"""Listing stations: near a point with filters, by district and search; hours; consent; map links."""
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from services import stations
from services.errors import DomainError
from services.stations import coords, opening_hours
from services.stations.index import REACH_M, haversine_m, walk_minutes

SH = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=SH)  # a Tuesday morning
TUESDAY_22 = datetime(2026, 11, 24, 22, 0, tzinfo=SH)


@pytest.fixture
def city(factory):
    """Three stations in 福田 around 22.55, 114.05 and one in 南山."""
    factory.district("nanshan", "南山区")
    a = factory.station(code="A", name="甲站", lat=22.5510, lon=114.0500, hours="Mo-Fr 09:00-18:00")
    b = factory.station(code="B", name="乙站", lat=22.5550, lon=114.0500, hours="24/7")
    c = factory.station(code="C", name="丙站", lat=22.5700, lon=114.0500, hours="Mo-Su 08:00-20:00")
    d = factory.station(code="D", name="丁站", lat=22.5300, lon=113.9400, hours="24/7", district="nanshan")
    stations.invalidate_index(factory.s)
    return {"a": a, "b": b, "c": c, "d": d}


def ids(items):
    return [i.info.code for i in items]


def test_nearby_is_nearest_first_with_walking_minutes(ctx, session, city):
    """Are stations listed nearest first, the ones within 15 minutes marked, with model minutes?"""
    items = stations.nearby(session, lat=22.5500, lon=114.0500, at=TUESDAY_10)
    assert ids(items) == ["A", "B", "C", "D"]
    a, b, c = items[0].nearby, items[1].nearby, items[2].nearby
    assert a.within_reach and b.within_reach and not c.within_reach
    assert a.minutes == pytest.approx(walk_minutes(haversine_m(22.55, 114.05, 22.551, 114.05)))


def test_filters_open_now_24h_and_service(ctx, session, city):
    """Do the open-now, 24-hour and service filters narrow the ranked list?"""
    late = stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_22, filters=stations.Filters(open_now=True))
    assert ids(late) == ["B", "D"]
    morning = stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10, filters=stations.Filters(open_now=True))
    assert ids(morning) == ["A", "B", "C", "D"]
    all_day = stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10, filters=stations.Filters(all_day=True))
    assert ids(all_day) == ["B", "D"]
    assert stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10,
                           filters=stations.Filters(service="legal")) == []
    with pytest.raises(DomainError) as excinfo:
        stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10, filters=stations.Filters(service="karaoke"))
    assert excinfo.value.code == "unknown_service"


def test_open_status_open_closes_opens_and_24h(ctx):
    """Does a station's status say open and when it closes, closed and when it opens, or 24 hours?"""
    open_ = stations.open_status("Mo-Fr 09:00-18:00", TUESDAY_10)
    assert open_.kind == "open" and open_.at == datetime(2026, 11, 24, 18, 0, tzinfo=SH)
    closed = stations.open_status("Mo-Fr 09:00-18:00", TUESDAY_22)
    assert closed.kind == "closed" and closed.at == datetime(2026, 11, 25, 9, 0, tzinfo=SH)
    assert stations.open_status("24/7", TUESDAY_22).kind == "always"
    assert stations.open_status("whenever", TUESDAY_22).kind == "unknown"


def test_district_and_search(ctx, session, city):
    """Can a member list a district's stations or search by name and address, with clear errors?"""
    assert set(ids(stations.in_district(session, district="futian", at=TUESDAY_10))) == {"A", "B", "C"}
    assert ids(stations.search(session, q="丁", at=TUESDAY_10)) == ["D"]
    assert len(stations.search(session, q="深圳市福田", at=TUESDAY_10)) == 4  # by address
    assert stations.search(session, q="100%_", at=TUESDAY_10) == []  # wildcards are literal
    for call, code in [(lambda: stations.search(session, q="  ", at=TUESDAY_10), "empty_search"),
                       (lambda: stations.in_district(session, district="atlantis", at=TUESDAY_10), "unknown_district")]:
        with pytest.raises(DomainError) as excinfo:
            call()
        assert excinfo.value.code == code


def test_index_is_rebuilt_after_an_import(ctx, session, city):
    """After stations change through an import, does the next ranking see them (no stale index)?"""

    csv = ("code,name,district,lat,lon,opening_hours\n"
           "E,戊站,futian,22.5501,114.0501,24/7\n")
    stations.importexport.import_stations(session, data=csv.encode(), filename="e.csv")
    assert ids(stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10))[0] == "E"


def test_consent_grant_withdraw(ctx, session, factory):
    """Is consent stored as a fact and a time only, granted once, and withdrawable?"""
    m = factory.member()
    assert stations.consent_of(session, member_id=m.id) is None
    first = stations.grant_consent(session, member_id=m.id)
    assert stations.grant_consent(session, member_id=m.id) == first
    assert stations.consent_of(session, member_id=m.id) == first
    assert stations.withdraw_consent(session, member_id=m.id) is True
    assert stations.consent_of(session, member_id=m.id) is None
    assert stations.withdraw_consent(session, member_id=m.id) is False


def test_navigation_links_carry_each_apps_coordinates():
    """Do AMap get GCJ-02, Baidu BD-09, Apple GCJ-02 (in China) and geo: WGS-84?"""
    lat, lon = 22.5431, 114.0579
    links = stations.navigation_links(name="市民中心", lat=lat, lon=lon)
    g_lat, g_lon = coords.wgs84_to_gcj02(lat, lon)
    b_lat, b_lon = coords.wgs84_to_bd09(lat, lon)
    amap = parse_qs(urlsplit(links["amap"]).query)
    assert links["amap"].startswith("https://uri.amap.com/marker?")
    assert amap["position"] == [f"{g_lon:.6f},{g_lat:.6f}"] and amap["coordinate"] == ["gaode"]
    assert amap["name"] == ["市民中心"]
    baidu = parse_qs(urlsplit(links["baidu"]).query)
    assert baidu["location"] == [f"{b_lat:.6f},{b_lon:.6f}"] and baidu["coord_type"] == ["bd09ll"]
    assert baidu["output"] == ["html"] and baidu["title"] == ["市民中心"]
    apple = parse_qs(urlsplit(links["apple"]).query)
    assert apple["ll"] == [f"{g_lat:.6f},{g_lon:.6f}"] and apple["q"] == ["市民中心"]
    assert links["geo"].startswith(f"geo:{lat:.6f},{lon:.6f}?q=")
    # outside China Apple gets WGS-84
    paris = parse_qs(urlsplit(stations.navigation_links(name="x", lat=48.85, lon=2.35)["apple"]).query)
    assert paris["ll"] == ["48.850000,2.350000"]


def test_week_hours_lists_each_day(ctx):
    """Does the week table give today's intervals first and closed days as empty?"""
    week = stations.week_hours("Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00", TUESDAY_10)
    assert week[0][0].isoformat() == "2026-11-24"
    assert [(a.hour, b.hour) for a, b in week[0][1]] == [(9, 12), (14, 18)]
    saturday, sunday = week[4], week[5]
    assert [(a.hour, b.hour) for a, b in saturday[1]] == [(9, 12)] and sunday[1] == []


def test_opening_hours_past_midnight_and_errors():
    """Do hours past midnight count on the next morning, and does garbage raise OpeningHoursError?"""
    hours = opening_hours.parse("Fr 20:00-02:00")
    saturday_1am = datetime(2026, 11, 28, 1, 0, tzinfo=SH)
    assert hours.is_open(saturday_1am) and hours.closes_at(saturday_1am).hour == 2
    for bad in ["", "Mo-Fr 9-18", "Xy 09:00-10:00", "Mo 25:00-26:00"]:
        with pytest.raises(opening_hours.OpeningHoursError):
            opening_hours.parse(bad)


def test_checkin_interfaces_are_empty_until_checkin_exists(ctx, session, city, factory):
    """With no activities and no home station registered, are the check-in interfaces empty (not errors)?"""
    assert stations.todays_activities(session, station_ids=[city["a"].id], day=TUESDAY_10.date()) == {}
    mode = getattr(city["a"], "checkin_mode", None)
    assert stations.checkin_mode(city["a"]) == getattr(mode, "value", mode)
    m = factory.member()
    assert stations.home_station_id(session, member_id=m.id) is None


def test_markers_are_compact_and_decode_to_the_stations(ctx, session, city):
    """Do the delta-coded markers decode to every station's id and coordinates (about 1 m)?"""
    data = stations.markers(session)
    assert data["n"] == 4
    out, i, la, lo = {}, 0, 0, 0
    for k in range(data["n"]):
        i += data["id"][k]
        la += data["lat"][k]
        lo += data["lon"][k]
        out[i] = (la / data["scale"], lo / data["scale"])
    assert out[city["b"].id] == pytest.approx((22.555, 114.05), abs=1e-5)


def test_nearest_json_is_the_same_document_as_json_dumps(ctx, session, factory):
    """Is the hand-assembled JSON of the endpoint valid and equal to what json.dumps would give (quotes, Chinese)?"""
    import json

    factory.station(code="Q-1", name='带"引号"\\的站', lat=22.551, lon=114.05, hours="Mo-Fr 09:00-18:00")
    factory.station(code="Q-2", name="二站", lat=22.56, lon=114.05, hours="24/7")
    stations.invalidate_index(session)
    items = stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_10, with_activities=False)
    expected = {"reach_m": 923.1, "stations": [
        {"id": i.info.id, "code": i.info.code, "name": i.info.name, "minutes": round(i.nearby.minutes, 1),
         "distance_m": round(i.nearby.distance_m), "within_reach": i.nearby.within_reach, "source": "model",
         "open": i.status.kind, "until": i.status.at.isoformat() if i.status.at else None} for i in items]}
    assert json.loads(stations.nearest_json(items, REACH_M)) == expected
    assert expected["stations"][0]["name"] == '带"引号"\\的站'


def test_demo_seed_is_idempotent_and_grants_no_consent(ctx, session, city, factory):
    """Does the demo seed index the stations, say so, and leave every member without location consent?"""
    import random

    from demo import geo as demo_geo

    m = factory.member()
    first = demo_geo.seed(session, rng=random.Random(1))
    assert "4 stations indexed" in first and first == demo_geo.seed(session, rng=random.Random(1))
    assert stations.consent_of(session, member_id=m.id) is None


def test_json_body_fast_path_equals_the_listed_items(ctx, session, city):
    """Does the endpoint's direct path give the same document as ranking items and serialising them?"""
    import json

    direct = json.loads(stations.nearest_json_body(session, lat=22.55, lon=114.05, at=TUESDAY_22))
    listed = json.loads(stations.nearest_json(
        stations.nearby(session, lat=22.55, lon=114.05, at=TUESDAY_22, with_activities=False), REACH_M))
    assert direct == listed and [s["code"] for s in direct["stations"]] == ["A", "B", "C", "D"]
    filtered = json.loads(stations.nearest_json_body(session, lat=22.55, lon=114.05, at=TUESDAY_22,
                                                     filters=stations.Filters(open_now=True)))
    assert [s["code"] for s in filtered["stations"]] == ["B", "D"]


def test_check_in_helpers_over_the_same_parser():
    """Do the check-in branch's helpers (is_open, closes_after with grace; unreadable = always open) work here?"""
    from datetime import timedelta

    assert opening_hours.is_open("Mo-Fr 09:00-18:00", TUESDAY_10)
    assert not opening_hours.is_open("Mo-Fr 09:00-18:00", TUESDAY_22)
    assert opening_hours.is_open("Mo-Fr 09:00-18:00", TUESDAY_22.replace(hour=18, minute=10), timedelta(minutes=15))
    assert opening_hours.closes_after("Mo-Fr 09:00-18:00", TUESDAY_10).hour == 18
    assert opening_hours.is_open("whatever", TUESDAY_22) and opening_hours.closes_after("24/7", TUESDAY_22) is None
