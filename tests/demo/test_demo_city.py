"""The demo city: district outlines, generated stations, and the seed that loads them with the org tree."""
import re
import time
from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import select

from demo import ADMIN_PHONE, DEMO_PASSWORD, MEMBER_PHONE, SECRETARY_PHONE, seed_demo
from demo import city as demo_city
from models import District, Member, OrgUnit, Role, Station
from services import accounts
from services.stations.opening_hours import parse

AREAS = {"futian", "luohu", "yantian", "nanshan", "baoan", "longgang", "longhua", "pingshan", "guangming", "dapeng"}


@pytest.fixture(scope="module")
def stations():
    return demo_city.generate_stations()


# -- outlines --------------------------------------------------------------------------------------

def test_ten_areas_with_outlines():
    """Does the data file have an outline for each of the ten areas, named in Chinese, of plausible size?"""
    shapes = demo_city.load_districts()
    assert set(shapes) == AREAS == {d["code"] for d in demo_city.DISTRICTS}
    assert {s.name for s in shapes.values()} == {d["name"] for d in demo_city.DISTRICTS}
    area = {code: s.area_km2() for code, s in shapes.items()}
    assert 60 < area["futian"] < 100 and 120 < area["guangming"] < 180 and 300 < area["baoan"] < 480
    assert 113.7 < shapes["baoan"].bbox[0] and shapes["dapeng"].bbox[2] < 114.7


@pytest.mark.parametrize("lat, lon, code", [
    (22.5431, 114.0579, "futian"),     # 市民中心
    (22.5405, 114.1183, "luohu"),      # 罗湖口岸 area
    (22.5356, 113.9305, "nanshan"),    # 南山区政府
    (22.5550, 113.8830, "baoan"),      # 宝安中心区
    (22.7480, 113.9360, "guangming"),  # 光明中心区
    (22.7200, 114.2450, "longgang"),   # 龙岗中心城
    (22.6970, 114.0450, "longhua"),
    (22.7080, 114.3450, "pingshan"),
    (22.5880, 114.4750, "dapeng"),     # 大鹏街道
    (22.5590, 114.2370, "yantian"),
    (22.4700, 113.9500, None),         # Shenzhen Bay
    (22.3000, 114.1700, None),         # Hong Kong
])
def test_district_of(lat, lon, code):
    """Are landmarks in the right area, and the bay and Hong Kong in none?"""
    assert demo_city.district_of(lat, lon) == code


# -- stations --------------------------------------------------------------------------------------

def test_counts_kinds_and_unique_codes(stations):
    """Are there 2,300 stations with unique codes, names and phones, 1 + 10 district + 74 street centres?"""
    assert len(stations) == 2300
    for key in ("code", "name", "phone"):
        assert len({s[key] for s in stations}) == 2300, key
    assert set(Counter(s["district"] for s in stations)) == AREAS
    centres = [s for s in stations if s["kind"] == "center"]
    assert len(centres) == 1 + 10 + 74
    assert stations[0]["name"] == "深圳市党群服务中心" and stations[0]["code"] == "ft-0001"
    assert sum(s["name"].endswith("街道党群服务中心") for s in centres) == 74
    assert {s["kind"] for s in stations} == {"center", "station", "other"}
    assert all(re.fullmatch(r"[a-z]{2,3}-\d{4}", s["code"]) for s in stations)


def test_exactly_512_are_24_7(stations):
    """Do 512 of the 2,300 stations (the press figure) open around the clock, each with a rest stop?"""
    all_day = [s for s in stations if s["opening_hours"] == "24/7"]
    assert len(all_day) == 512
    assert all("rest" in s["services"] for s in all_day)


def test_every_station_is_inside_its_district(stations):
    """Does every station sit strictly inside its own area's outline, and in no other?"""
    shapes = demo_city.load_districts()
    for s in stations:
        assert shapes[s["district"]].contains(s["lat"], s["lon"]), s
        assert demo_city.district_of(s["lat"], s["lon"]) == s["district"], s


def test_denser_in_the_centre(stations):
    """Are stations denser per km² in 福田, 罗湖 and 南山 than in 宝安, and sparse in 大鹏?"""
    shapes = demo_city.load_districts()
    count = Counter(s["district"] for s in stations)
    density = {code: count[code] / shapes[code].area_km2() for code in AREAS}
    assert min(density["futian"], density["luohu"], density["nanshan"]) > density["baoan"]
    assert density["dapeng"] == min(density.values())


def test_fields_are_well_formed(stations):
    """Do opening hours parse, phones look like Shenzhen landlines, services come from the vocabulary?"""
    codes = set(demo_city.SERVICE_CODES)
    for s in stations:
        parse(s["opening_hours"])
        assert re.fullmatch(r"0755-[2-8]\d{7}", s["phone"])
        assert s["services"] and set(s["services"]) <= codes and len(set(s["services"])) == len(s["services"])
        assert s["geofence_radius_m"] in (100, 150)
        assert s["address"].startswith("深圳市" + demo_city._BY_CODE[s["district"]]["name"])
        assert round(s["lat"], 6) == s["lat"] and round(s["lon"], 6) == s["lon"]
        assert len(s["name"]) <= 120 and len(s["address"]) <= 200
    assert len({s["opening_hours"] for s in stations}) > 10
    assert {s["code"] for s in demo_city.SERVICES} == codes and all(s["zh"] and s["en"] for s in demo_city.SERVICES)


def test_deterministic_and_fast():
    """Does the same seed give the same city, another seed another, each in well under 2 s?"""
    demo_city.load_districts()
    started = time.process_time()  # CPU time: a busy machine does not fail it
    first = demo_city.generate_stations(seed=7)
    assert time.process_time() - started < 2.0
    assert first == demo_city.generate_stations(seed=7)
    assert first != demo_city.generate_stations(seed=8)


@pytest.mark.parametrize("count", [0, 1, 50, 120])
def test_small_counts(count):
    """Does a small city give exactly `count` stations, the city centre first?"""
    small = demo_city.generate_stations(count=count)
    assert len(small) == count
    if count:
        assert small[0]["name"] == "深圳市党群服务中心"


# -- the seed (demo/seed.py) -------------------------------------------------------------------

def test_seed_is_idempotent_and_demo_accounts_sign_in(ctx, session):
    """Does the seed build the city once, with the three demo accounts signing in with the demo password?"""
    first = seed_demo(session, members=60, branches=4, stations=120)
    assert "120 stations" in first
    counts = (session.exec(select(func.count(Station.id))).one(), session.exec(select(func.count(Member.id))).one())
    assert seed_demo(session, members=60, branches=4, stations=120) .startswith("demo city already loaded")
    assert counts == (session.exec(select(func.count(Station.id))).one(), session.exec(select(func.count(Member.id))).one())
    assert counts[1] == 60 and session.exec(select(func.count(District.code))).one() == 10
    for phone in (ADMIN_PHONE, SECRETARY_PHONE, MEMBER_PHONE):
        assert accounts.sign_in(session, phone=phone, password=DEMO_PASSWORD)
    sec = session.exec(select(Member).where(Member.phone == SECRETARY_PHONE)).one()
    role = session.exec(select(Role).where(Role.member_id == sec.id, Role.role == "secretary")).one()
    assert session.get(OrgUnit, role.org_unit_id).kind == "branch"


def test_seed_builds_the_org_tree(ctx, session):
    """Does the seed put branches of 2-4 groups under general branches (a few under the committee) and give
    every member a unique valid mobile, a group of their branch and a secretary in each branch?"""
    seed_demo(session, members=60, branches=9, stations=20)
    units = session.exec(select(OrgUnit)).all()
    kinds = Counter(u.kind for u in units)
    assert kinds["committee"] == 1 and kinds["general_branch"] == 5 and kinds["branch"] == 9
    branches = [u for u in units if u.kind == "branch"]
    committee = next(u for u in units if u.kind == "committee")
    assert sum(b.parent_id == committee.id for b in branches) == 2  # the 1st and the 9th
    groups = {u.id: u.parent_id for u in units if u.kind == "group"}
    assert all(2 <= Counter(groups.values())[b.id] <= 4 for b in branches)
    members = session.exec(select(Member)).all()
    phones = [m.phone for m in members]
    assert len(members) == 60 and len(set(phones)) == 60 and all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert all(groups[m.group_id] == m.org_unit_id for m in members)
    secretaries = session.exec(select(Role.org_unit_id).where(Role.role == "secretary")).all()
    assert sorted(secretaries) == sorted(b.id for b in branches)


def test_seed_if_empty_skips_a_used_database(ctx, session, factory):
    """Does `--if-empty` leave a database with members alone?"""
    factory.member()
    assert "skipped" in seed_demo(session, only_if_empty=True)


def test_seed_refused_outside_demo_mode(ctx, session):
    """Is the demo refused when DEMO_MODE is off?"""
    from flask import current_app

    current_app.config["DEMO_MODE"] = False
    with pytest.raises(Exception):
        seed_demo(session)
