"""Check-in service: codes, the time-step window, the geofence, hours, auto-close, offline scans."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from models import Activity, CheckIn, utcnow
from services import checkin as svc
from services.checkin import CheckInError, GeoFix, GeoResult, perform_checkin
from services.checkin import codes as qr

# 2026-11-20 (a Friday) 10:00 in Shenzhen
T0 = datetime(2026, 11, 20, 2, 0, 0, tzinfo=timezone.utc)


def nonce() -> str:
    return uuid.uuid4().hex


def code_at(station, moment):
    return qr.rotating_token(station, step=qr.step_at(moment))


@pytest.fixture
def setup(ctx, factory):
    branch = factory.branch()
    member = factory.member(branch, name="王志愿")
    station = factory.station()
    return member, station


def scan(session, member, station, at, *, scanned_at=None, code=None, **kw):
    return perform_checkin(session, member_id=member.id, code=code or code_at(station, scanned_at or at),
                           nonce=kw.pop("nonce_", None) or nonce(), scanned_at=scanned_at or at, now=at, **kw)


def test_scan_checks_in_then_out_and_credits_half_hours(setup, session):
    """Does a scan check in, a later scan check out, and 95 minutes count as 1.5 hours?"""
    member, station = setup
    first = scan(session, member, station, T0)
    assert first.action == "checked_in" and first.checkin.status == "open"
    second = scan(session, member, station, T0 + timedelta(minutes=95))
    assert second.action == "checked_out" and second.checkin.id == first.checkin.id
    assert second.checkin.minutes == 95 and second.checkin.credited_minutes == 90
    assert second.checkin.status == "counted"


def test_same_nonce_returns_first_result(setup, session):
    """Does the same request sent again return the first result and write nothing new?"""
    member, station = setup
    n = nonce()
    a = scan(session, member, station, T0, nonce_=n)
    b = scan(session, member, station, T0 + timedelta(seconds=3), nonce_=n)
    assert b.replayed and b.checkin.id == a.checkin.id
    assert len(session.exec(select(CheckIn)).all()) == 1


def test_duplicate_within_a_minute(setup, session):
    """Is a second scan within a minute refused as 'duplicate', carrying the first record?"""
    member, station = setup
    a = scan(session, member, station, T0)
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0 + timedelta(seconds=40))
    assert e.value.code == "duplicate" and e.value.checkin.id == a.checkin.id
    session.rollback()
    # and right after a check-out too
    scan(session, member, station, T0 + timedelta(minutes=30))
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0 + timedelta(minutes=30, seconds=20))
    assert e.value.code == "duplicate"


def test_code_31_seconds_old_is_refused(setup, session):
    """Is a rotating code 31 s old refused as expired, while 14 s and 29 s old ones pass?"""
    member, station = setup
    for age in (0, 14.9):
        made = T0 + timedelta(seconds=age)  # any moment within a step
        code = code_at(station, T0)
        assert svc.resolve_station_code(session, code, at=made)[1].id == station.id
    base = datetime.fromtimestamp(qr.step_at(T0) * 15 + 14.9, tz=timezone.utc)  # made at the end of its step
    code = code_at(station, base)
    svc.resolve_station_code(session, code, at=base + timedelta(seconds=15))
    for made in (datetime.fromtimestamp(qr.step_at(T0) * 15, tz=timezone.utc), base):
        code = code_at(station, made)
        with pytest.raises(CheckInError) as e:
            perform_checkin(session, member_id=member.id, code=code, nonce=nonce(), now=made + timedelta(seconds=31))
        assert e.value.code == "expired_code"
        assert "扫码已过期" in str(e.value.message) or "expired" in str(e.value.message)


def test_bad_code(setup, session, factory):
    """Are a tampered code, another station's MAC, a member code and garbage all 'bad_code'?"""
    member, station = setup
    other = factory.station(name="另一站")
    good = code_at(station, T0)
    kind, sid, step, mac = good.split(".")
    tampered = [f"{kind}.{sid}.{step}.{'A' * len(mac)}", f"{kind}.{other.id}.{step}.{mac}", "hello",
                f"r.999999.{step}.{mac}", qr.member_token(member.id), "r.1.2", "https://evil.example/c/x.y.z.w"]
    for code in tampered:
        with pytest.raises(CheckInError) as e:
            perform_checkin(session, member_id=member.id, code=code, nonce=nonce(), now=T0)
        assert e.value.code == "bad_code", code
    assert session.exec(select(CheckIn)).all() == []


def test_station_closed(setup, session, factory):
    """Is a scan at a closed station (outside its hours, inactive, or check-in off) refused?"""
    member, _ = setup
    st = factory.station(hours="09:00-18:00")
    night = T0 + timedelta(hours=11)  # 21:00 local
    with pytest.raises(CheckInError) as e:
        scan(session, member, st, night)
    assert e.value.code == "station_closed" and st.name in str(e.value.message)
    st.is_active = False
    session.add(st)
    session.commit()
    with pytest.raises(CheckInError) as e:
        scan(session, member, st, T0)
    assert e.value.code == "station_closed"


def test_geofence_rule(ctx, factory):
    """Is the rule distance <= radius + min(accuracy, 50 m), with accuracy over 150 m refused?"""
    station = factory.station(lat=22.55, lon=114.055, radius=100)
    north = lambda m: 22.55 + m / 111195.0  # noqa: E731  metres north
    assert svc.judge_position(station, GeoFix(north(95), 114.055, 5)).inside
    assert svc.judge_position(station, GeoFix(north(138), 114.055, 40)).inside
    assert not svc.judge_position(station, GeoFix(north(160), 114.055, 40)).inside
    assert svc.judge_position(station, GeoFix(north(149), 114.055, 120)).inside  # 100 + min(120, 50)
    far = svc.judge_position(station, GeoFix(north(153), 114.055, 120))
    assert not far.inside and far.distance_m == 150 and far.accuracy_m == 120
    with pytest.raises(CheckInError) as e:
        svc.judge_position(station, GeoFix(north(10), 114.055, 151))
    assert e.value.code == "poor_accuracy"
    with pytest.raises(CheckInError) as e:
        svc.judge_position(station, None)
    assert e.value.code == "needs_position"


def test_poster_needs_geofence(setup, session):
    """Does a fixed poster code check in inside the fence, and say how far away when outside?"""
    member, station = setup
    poster = qr.poster_token(station)
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0, code=poster)
    assert e.value.code == "needs_position"
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0, code=poster, position=GeoFix(22.5550, 114.0550, 10))
    assert e.value.code == "outside_geofence" and "560" in str(e.value.message)
    ok = scan(session, member, station, T0, code=poster, position=GeoFix(22.5503, 114.0550, 10))
    record = ok.checkin
    assert record.method == "poster" and record.geo_inside and record.geo_distance_m == 30
    assert record.geo_accuracy_m == 10
    # only the result is stored, never the coordinates
    assert not any("lat" in c or "lon" in c for c in CheckIn.__table__.columns.keys())


def test_old_poster_version_expired(setup, session):
    """Does a reprinted poster void the old one?"""
    member, station = setup
    old = qr.poster_token(station)
    station.poster_version += 1
    session.add(station)
    session.commit()
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0, code=old, position=GeoFix(22.55, 114.055, 10))
    assert e.value.code == "expired_code"


def test_not_checked_in(setup, session):
    """Is checking out a closed record refused with 'not_checked_in'?"""
    member, station = setup
    r = scan(session, member, station, T0).checkin
    svc.check_out(session, member_id=member.id, checkin_id=r.id, nonce=nonce(), now=T0 + timedelta(hours=1))
    with pytest.raises(CheckInError) as e:
        svc.check_out(session, member_id=member.id, checkin_id=r.id, nonce=nonce(), now=T0 + timedelta(hours=2))
    assert e.value.code == "not_checked_in"


def test_checkout_button_retry_returns_same(setup, session):
    """Does the check-out button sent twice with the same nonce close once and return the record?"""
    member, station = setup
    r = scan(session, member, station, T0).checkin
    n = nonce()
    a = svc.check_out(session, member_id=member.id, checkin_id=r.id, nonce=n, now=T0 + timedelta(minutes=61))
    b = svc.check_out(session, member_id=member.id, checkin_id=r.id, nonce=n, now=T0 + timedelta(minutes=70))
    assert a.id == b.id and b.credited_minutes == 60 and b.checkout_method == "button"


def test_daily_cap(setup, session, factory, app):
    """Are a day's hours capped at 8, across several visits?"""
    member, station = setup
    other = factory.station(name="第二站")
    scan(session, member, station, T0 - timedelta(hours=1))
    scan(session, member, station, T0 + timedelta(hours=5))  # 6 h
    r = scan(session, member, other, T0 + timedelta(hours=5, minutes=10))
    r = scan(session, member, other, T0 + timedelta(hours=9, minutes=10))  # 4 h more, 2 h left
    assert r.checkin.credited_minutes == 120
    app.config["CHECKIN_DAILY_CAP_HOURS"] = 12  # configurable: 12 h a day leaves 6 h after these
    assert svc.credit_minutes(session, member_id=member.id, day=r.checkin.service_day, minutes=400,
                              exclude_id=r.checkin.id) == 360


def test_rounding_configurable(ctx, app):
    """Does rounding follow the configured step?"""
    assert svc.round_minutes(29) == 0 and svc.round_minutes(59) == 30 and svc.round_minutes(61) == 60
    app.config["CHECKIN_ROUND_MINUTES"] = 15
    assert svc.round_minutes(29) == 15


def test_moving_to_another_station_closes_the_first(setup, session, factory):
    """Does checking in elsewhere close the open record there?"""
    member, station = setup
    other = factory.station(name="第二站")
    a = scan(session, member, station, T0).checkin
    b = scan(session, member, other, T0 + timedelta(minutes=45)).checkin
    session.refresh(a)
    assert a.checkout_method == "moved" and a.credited_minutes == 30 and b.status == "open"


def test_auto_close_after_8_hours_and_at_closing(setup, session, factory):
    """Are forgotten check-outs closed after 8 h or at closing time, and flagged pending?"""
    member, station = setup
    other_member = factory.member(name="李四")
    day_station = factory.station(name="日间站", hours="09:00-18:00")
    a = scan(session, member, station, T0).checkin
    b = scan(session, other_member, day_station, T0).checkin
    assert svc.close_stale(session, now=T0 + timedelta(hours=7)) == 0
    assert svc.close_stale(session, now=T0 + timedelta(hours=8, minutes=5)) == 2
    session.refresh(a)
    session.refresh(b)
    assert a.checked_out_at == T0 + timedelta(hours=8) and a.status == "pending" and a.auto_closed
    assert a.credited_minutes == 480
    # the station closes at 18:00 local
    assert b.checked_out_at == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert svc.close_stale(session, now=T0 + timedelta(hours=9)) == 0


def test_auto_close_at_activity_end(setup, session):
    """Is a check-in during an activity tied to it, and closed at its end when forgotten?"""
    member, station = setup
    act = Activity(title="社区清洁", station_id=station.id, starts_at=T0, ends_at=T0 + timedelta(hours=2), slots=5)
    session.add(act)
    session.commit()
    svc.sign_up(session, member_id=member.id, activity_id=act.id, now=T0 - timedelta(hours=1))
    r = scan(session, member, station, T0 + timedelta(minutes=5)).checkin
    assert r.activity_id == act.id
    svc.close_stale(session, now=T0 + timedelta(hours=3))
    session.refresh(r)
    assert r.checked_out_at == T0 + timedelta(hours=2) and r.credited_minutes == 90


def test_activity_full(setup, session, factory):
    """Is a sign-up for a full activity refused with 'activity_full', and cancelling frees a place?"""
    member, station = setup
    other = factory.member(name="赵六")
    act = Activity(title="义诊", station_id=station.id, starts_at=utcnow() + timedelta(days=1),
                   ends_at=utcnow() + timedelta(days=1, hours=2), slots=1)
    session.add(act)
    session.commit()
    svc.sign_up(session, member_id=member.id, activity_id=act.id)
    svc.sign_up(session, member_id=member.id, activity_id=act.id)  # again: idempotent
    with pytest.raises(CheckInError) as e:
        svc.sign_up(session, member_id=other.id, activity_id=act.id)
    assert e.value.code == "activity_full"
    session.rollback()
    svc.cancel_signup(session, member_id=member.id, activity_id=act.id)
    svc.sign_up(session, member_id=other.id, activity_id=act.id)
    session.refresh(act)
    assert act.taken == 1


def test_offline_scan_accepted_when_code_valid_at_scan_time(setup, session):
    """Is an offline scan synced an hour later accepted, marked offline, and its retry not counted twice?"""
    member, station = setup
    scanned = T0
    code = code_at(station, scanned)
    n = nonce()
    r = perform_checkin(session, member_id=member.id, code=code, nonce=n, scanned_at=scanned, offline=True,
                        now=T0 + timedelta(hours=1))
    assert r.checkin.offline and r.checkin.checked_in_at == scanned
    again = perform_checkin(session, member_id=member.id, code=code, nonce=n, scanned_at=scanned, offline=True,
                            now=T0 + timedelta(hours=1, seconds=5))
    assert again.replayed and len(session.exec(select(CheckIn)).all()) == 1


def test_offline_scan_bounds(setup, session):
    """Are offline scans refused when older than 24 h, in the future, or with a code not valid at the scan time?"""
    member, station = setup
    code = code_at(station, T0)
    cases = [(T0, T0 + timedelta(hours=25), "scan_too_old"), (T0 + timedelta(minutes=5), T0, "scan_in_future"),
             (T0 + timedelta(minutes=2), T0 + timedelta(hours=1), "expired_code")]
    for scanned, now, expected in cases:
        with pytest.raises(CheckInError) as e:
            perform_checkin(session, member_id=member.id, code=code, nonce=nonce(), scanned_at=scanned, offline=True,
                            now=now)
        assert e.value.code == expected


def test_offline_poster_uses_phone_geofence_result(setup, session):
    """Does an offline poster scan rely on the phone's stored geofence result (and refuse one outside)?"""
    member, station = setup
    poster = qr.poster_token(station)
    with pytest.raises(CheckInError) as e:
        perform_checkin(session, member_id=member.id, code=poster, nonce=nonce(), scanned_at=T0, offline=True,
                        geo_claim=GeoResult(False, 400, 20), now=T0 + timedelta(minutes=10))
    assert e.value.code == "outside_geofence"
    r = perform_checkin(session, member_id=member.id, code=poster, nonce=nonce(), scanned_at=T0, offline=True,
                        geo_claim=GeoResult(True, 40, 20), now=T0 + timedelta(minutes=10))
    assert r.checkin.geo_distance_m == 40 and r.checkin.offline


def test_staff_scan_of_member_code(setup, session, factory):
    """Can station staff check a member in with the member's own code, and is a non-staff refused?"""
    member, station = setup
    staff = factory.member(name="站点工作人员", roles=[("station_staff", station)])
    from services.accounts import Principal

    principal = Principal(id=staff.id, name="x", phone=staff.phone, branch_id=staff.org_unit_id, group_id=None,
                          must_change_password=False, locale=None, session_token="t",
                          staff_station_ids=frozenset({station.id}))
    r = svc.staff_scan(session, principal, station_id=station.id, code=qr.member_token(member.id), nonce=nonce())
    assert r.checkin.member_id == member.id and r.checkin.method == "staff" and r.checkin.staff_id == staff.id
    stranger = Principal(id=member.id, name="y", phone="1", branch_id=1, group_id=None, must_change_password=False,
                         locale=None, session_token="u")
    with pytest.raises(CheckInError) as e:
        svc.staff_scan(session, stranger, station_id=station.id, code=qr.member_token(member.id), nonce=nonce())
    assert e.value.code == "not_staff"
    old = qr.member_token(member.id, step=qr.step_at() - 3)
    with pytest.raises(CheckInError) as e:
        svc.staff_scan(session, principal, station_id=station.id, code=old, nonce=nonce())
    assert e.value.code == "expired_code"


def test_bad_nonce(setup, session):
    """Is a missing or malformed nonce refused?"""
    member, station = setup
    for n in ("", "short", "x" * 65, "has space in it"):
        with pytest.raises(CheckInError) as e:
            perform_checkin(session, member_id=member.id, code=code_at(station, T0), nonce=n, now=T0)
        assert e.value.code == "bad_nonce"


def test_manual_hours_pending_and_bulk_approval(setup, session, factory):
    """Do hand-added hours wait for approval, and does a secretary approve them in bulk (404 outside reach)?"""
    member, station = setup
    from services.accounts import Principal

    sec = factory.secretary(factory.branch(name="别的支部"))
    today = svc.local_day(utcnow())
    r1 = svc.add_manual(session, member_id=member.id, station_id=station.id, day=today - timedelta(days=2),
                        hours=2.5, note="社区活动", nonce=nonce())
    assert r1.status == "pending" and r1.source == "manual" and r1.credited_minutes == 150
    with pytest.raises(CheckInError) as e:
        svc.add_manual(session, member_id=member.id, station_id=station.id, day=today, hours=9, note="", nonce=nonce())
    assert e.value.code == "bad_hours"
    session.rollback()
    outsider = Principal(id=sec.id, name="s", phone=sec.phone, branch_id=sec.org_unit_id, group_id=None,
                         must_change_password=False, locale=None, session_token="t",
                         led_org_ids=frozenset({sec.org_unit_id}))
    from services.errors import NotFound

    with pytest.raises(NotFound):
        svc.decide(session, outsider, unit_id=member.org_unit_id, ids=[r1.id], approve=True)
    session.rollback()
    with pytest.raises(NotFound):
        svc.decide(session, outsider, unit_id=sec.org_unit_id, ids=[r1.id], approve=True)
    session.rollback()
    leader = Principal(id=sec.id, name="s", phone=sec.phone, branch_id=sec.org_unit_id, group_id=None,
                       must_change_password=False, locale=None, session_token="t",
                       led_org_ids=frozenset({member.org_unit_id}))
    assert svc.decide(session, leader, unit_id=member.org_unit_id, ids=[r1.id], approve=True) == 1
    summary = svc.service_summary(session, member_id=member.id, year=r1.service_day.year)
    assert summary.counted_minutes == 150


def test_certificate_and_summary(setup, session):
    """Do the summary and the certificate count counted and approved hours only?"""
    member, station = setup
    scan(session, member, station, T0)
    scan(session, member, station, T0 + timedelta(hours=2, minutes=10))
    s = svc.service_summary(session, member_id=member.id, year=2026)
    assert s.counted_minutes == 120 and s.by_month[10] == 120 and len(s.records) == 1
    cert = svc.certificate(session, member_id=member.id, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert cert.hours == 2 and cert.records[0].station_name == "莲花北社区党群服务中心"


def test_community_registration(setup, session):
    """Does a member register with a home community and see the hours served there this year?"""
    member, station = setup
    svc.register_community(session, member_id=member.id, station_id=station.id)
    year = svc.local_day(utcnow()).year
    now = utcnow() - timedelta(hours=3)
    scan(session, member, station, now)
    scan(session, member, station, now + timedelta(hours=1))
    status = svc.community_status(session, member_id=member.id, year=year)
    assert status.station.id == station.id and status.minutes == 60


def test_remaining_codes(setup, session, factory):
    """Are a finished activity ('activity_over'), a future day ('bad_day') and a bad activity ('bad_activity') refused?"""
    member, station = setup
    from services.accounts import Principal

    past = Activity(title="已结束的活动", station_id=station.id, starts_at=utcnow() - timedelta(days=2),
                    ends_at=utcnow() - timedelta(days=2) + timedelta(hours=2), slots=5)
    session.add(past)
    session.commit()
    with pytest.raises(CheckInError) as e:
        svc.sign_up(session, member_id=member.id, activity_id=past.id)
    assert e.value.code == "activity_over"
    session.rollback()
    with pytest.raises(CheckInError) as e:
        svc.add_manual(session, member_id=member.id, station_id=station.id,
                       day=svc.local_day(utcnow()) + timedelta(days=1), hours=2, note="", nonce=nonce())
    assert e.value.code == "bad_day"
    staff = Principal(id=member.id, name="x", phone="1", branch_id=member.org_unit_id, group_id=None,
                      must_change_password=False, locale=None, session_token="t",
                      staff_station_ids=frozenset({station.id}))
    start = utcnow() + timedelta(days=1)
    with pytest.raises(CheckInError) as e:
        svc.create_activity(session, staff, station_id=station.id, title="倒序时间", starts_at=start,
                            ends_at=start - timedelta(hours=1), slots=10)
    assert e.value.code == "bad_activity"
    act = svc.create_activity(session, staff, station_id=station.id, title="社区清洁", starts_at=start,
                              ends_at=start + timedelta(hours=2), slots=10)
    assert act.id and act.org_unit_id is None


def test_qr_url_uses_public_base_url(ctx, app, factory):
    """Does the code's URL use PUBLIC_BASE_URL when set, and carry the station's fence in the fragment only?"""
    station = factory.station(lat=22.5431, lon=114.0579, radius=120)
    token = qr.rotating_token(station)
    assert qr.code_url(token).startswith("http://localhost/c/r.")
    app.config["PUBLIC_BASE_URL"] = "https://fuwuquan.example.cn/"
    url = qr.code_url(token, station, needs_position=True)
    assert url == f"https://fuwuquan.example.cn/c/{token}#g=22.54310,114.05790,120,1"
    assert qr.parse(url).text == token


def test_opening_hours_formats():
    """Are the usual ways of writing opening hours read (and unreadable text treated as always open)?"""
    from zoneinfo import ZoneInfo

    from services.stations import opening_hours as oh

    tz = ZoneInfo("Asia/Shanghai")
    saturday_10 = datetime(2026, 11, 21, 10, 0, tzinfo=tz)
    assert oh.is_open("24/7", saturday_10) and oh.is_open("??", saturday_10)
    assert oh.is_open("09:00-18:00", saturday_10)
    assert not oh.is_open("周一至周五 9:00-18:00", saturday_10)
    assert oh.is_open("Mo-Fr 09:00-18:00; Sa 09:00-12:00", saturday_10)
    assert not oh.is_open("Mo-Fr 09:00-18:00; Sa 09:00-12:00", saturday_10.replace(hour=13))
    assert oh.closes_after("09:00-18:00", saturday_10) == saturday_10.replace(hour=18)


def test_scan_uses_a_copy_of_the_station_that_follows_changes(setup, session):
    """Does a scan see a renewed poster and a switch to geofence mode made here at once, and a change made by
    another process (a write this process did not flush) once the copy's half-second check comes round?"""
    import time

    from services.stations.index import INDEX_TTL_S

    from sqlalchemy import update

    from models import Station
    from services import stations

    member, station = setup
    old_poster = qr.poster_token(station)
    inside = GeoFix(22.55, 114.055, 10)
    assert scan(session, member, station, T0, code=old_poster, position=inside).action == "checked_in"
    assert stations.scan_station(session, station.id).poster_version == station.poster_version
    station.poster_version += 1
    station.checkin_mode = svc.CheckinMode.geofence
    session.add(station)
    session.commit()
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0 + timedelta(hours=1), code=old_poster, position=inside)
    assert e.value.code == "expired_code"
    with pytest.raises(CheckInError) as e:  # kiosk codes now need the position too
        scan(session, member, station, T0 + timedelta(hours=1))
    assert e.value.code == "needs_position"
    # another process switches check-in off: its UPDATE bumps updated_at, which the copy's stamp notices
    station_id = station.id
    session.rollback()  # (the in-memory test database has one shared connection)
    with session.get_bind().begin() as conn:
        conn.execute(update(Station).where(Station.id == station_id).values(checkin_mode=svc.CheckinMode.off))
    assert stations.scan_station(session, station_id, ttl=60).checkin_mode == svc.CheckinMode.geofence  # not yet
    time.sleep(INDEX_TTL_S + 0.05)
    assert stations.scan_station(session, station_id).checkin_mode == svc.CheckinMode.off
    with pytest.raises(CheckInError) as e:
        scan(session, member, station, T0 + timedelta(hours=2), position=inside)
    assert e.value.code == "station_closed"
