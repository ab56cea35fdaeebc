"""The demo city's generated stations and the seed."""
from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import District, Member, OrgUnit, Role, Station
from services import accounts, demo_city
from services.demo import ADMIN_PHONE, DEMO_PASSWORD, MEMBER_PHONE, SECRETARY_PHONE, seed_demo


@pytest.fixture(scope="module")
def stations():
    return demo_city.generate_stations()


def test_counts_and_unique_codes(stations):
    """Are there 2,300 stations with unique codes in all ten areas, about 512 of them 24-hour?"""
    assert len(stations) == 2300
    assert len({s["code"] for s in stations}) == 2300
    assert set(Counter(s["district"] for s in stations)) == {d["code"] for d in demo_city.DISTRICTS}
    assert 450 <= sum(s["opening_hours"] == "24/7" for s in stations) <= 580


def test_every_station_is_inside_its_district(stations):
    """Does every station sit inside its own district's outline?"""
    assert all(demo_city.district_of(s["lat"], s["lon"]) == s["district"] for s in stations)


def test_deterministic():
    """Does the same seed give the same city?"""
    assert demo_city.generate_stations(seed=7, count=50) == demo_city.generate_stations(seed=7, count=50)


def test_sea_is_no_district():
    """Is a point in Shenzhen Bay in no district?"""
    assert demo_city.district_of(22.47, 113.95) is None


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
