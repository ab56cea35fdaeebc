"""Check-in under a crowd: the same scan many times at once, 500 members at once, and a race for 20 places.

On a file SQLite database (WAL, BEGIN IMMEDIATE), and on PostgreSQL when TEST_DATABASE_URL points at it.
"""
import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from models import Activity, ActivitySignup, CheckIn, Member, utcnow
from services import checkin as svc
from services.checkin import CheckInError
from services.checkin import codes as qr
from tests.conftest import Factory
from tests.load.helpers import new_session, run_at_once

pytestmark = pytest.mark.load


@pytest.fixture
def crowd(load_app):
    """A station and 500 members of one branch (no passwords: they never sign in here)."""
    with new_session(load_app) as s:
        f = Factory(load_app, s)
        branch = f.branch()
        station = f.station()
        s.add_all([Member(name=f"党员{i:03d}", phone=f"137{i:08d}", org_unit_id=branch.id) for i in range(500)])
        s.commit()
        ids = list(s.exec(select(Member.id).order_by(Member.id)).all())
    return station, ids


def scan_job(app, member_id, code, nonce, station=None):
    """One scan; with `station`, of the code the kiosk shows at that moment (a slow crowd outlives a code)."""
    def job():
        with app.app_context(), new_session(app) as s:
            scanned = code or qr.rotating_token(station)
            return svc.perform_checkin(s, member_id=member_id, code=scanned, nonce=nonce).checkin.id
    return job


def count_checkins(app) -> int:
    with new_session(app) as s:
        return s.exec(select(func.count(CheckIn.id))).one()


def test_same_scan_50_times_gives_one_record(load_app, crowd):
    """Do 50 threads posting the same scan (same nonce) give exactly one record, all answered with it?"""
    station, ids = crowd
    with load_app.app_context():
        code = qr.rotating_token(station)
    nonce = uuid.uuid4().hex
    results, errors = run_at_once(50, [scan_job(load_app, ids[0], code, nonce) for _ in range(50)])
    assert errors == [] and len(set(results)) == 1 and len(results) == 50
    assert count_checkins(load_app) == 1


def test_same_member_50_different_scans_gives_one_record(load_app, crowd):
    """Do 50 simultaneous scans by one member with different nonces make one record (the rest duplicates)?"""
    station, ids = crowd
    with load_app.app_context():
        code = qr.rotating_token(station)
    results, errors = run_at_once(50, [scan_job(load_app, ids[1], code, uuid.uuid4().hex) for _ in range(50)])
    assert len(results) == 1
    assert len(errors) == 49 and all(isinstance(e, CheckInError) and e.code == "duplicate" for e in errors)
    assert count_checkins(load_app) == 1


def test_500_members_at_once_all_succeed(load_app, crowd):
    """Do 500 distinct members checking in at once all succeed, with 500 open records?"""
    station, ids = crowd
    results, errors = run_at_once(50, [scan_job(load_app, m, None, uuid.uuid4().hex, station) for m in ids])
    assert errors == [] and len(results) == 500
    assert count_checkins(load_app) == 500


def test_20_places_100_sign_ups(load_app, crowd):
    """Does an activity with 20 places end with exactly 20 sign-ups when 100 members try at once?"""
    station, ids = crowd
    with new_session(load_app) as s:
        act = Activity(title="社区清洁", station_id=station.id, starts_at=utcnow() + timedelta(days=1),
                       ends_at=utcnow() + timedelta(days=1, hours=2), slots=20)
        s.add(act)
        s.commit()
        activity_id = act.id

    def job(member_id):
        def run():
            with load_app.app_context(), new_session(load_app) as s:
                return svc.sign_up(s, member_id=member_id, activity_id=activity_id).id
        return run

    results, errors = run_at_once(50, [job(m) for m in ids[:100]])
    assert len(results) == 20 and len(errors) == 80
    assert all(isinstance(e, CheckInError) and e.code == "activity_full" for e in errors)
    with new_session(load_app) as s:
        assert s.get(Activity, activity_id).taken == 20
        assert s.exec(select(func.count(ActivitySignup.id)).where(ActivitySignup.active.is_(True))).one() == 20
