"""Retention: each rule purges what is past its period from config, and nothing younger."""
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, Table
from sqlmodel import select

from models import UTCDateTime, CheckIn, Delivery, Notification, PushSubscription, UserSession, utcnow
from models.audit import AuditEntry
from models.privacy import DataExport
from services import privacy
from services.privacy import retention
from tests.services.privacy.helpers import rich_member

NOW = utcnow()


@pytest.fixture
def rich(ctx, session, factory, instance_dir):
    return rich_member(session, factory)


def test_geofence_details_go_after_30_days_and_the_hours_stay(rich, session):
    """Does a check-in older than 30 days lose inside/outside, distance and accuracy, but keep its hours?"""
    member, _sec, station = rich
    session.info["org_scope"] = "all"
    young = CheckIn(member_id=member.id, org_unit_id=member.org_unit_id, station_id=station.id, status="counted",
                    checked_in_at=NOW - timedelta(days=29), service_day=(NOW - timedelta(days=29)).date(),
                    minutes=60, credited_minutes=60, geo_inside=False, geo_distance_m=150, geo_accuracy_m=30)
    session.add(young)
    session.commit()
    counts = privacy.purge(session, now=NOW)
    assert counts["checkin_geofence"] == 1
    session.expire_all()
    rows = session.exec(select(CheckIn).where(CheckIn.member_id == member.id, CheckIn.minutes == 120)).all()
    assert rows and all(r.geo_inside is None and r.geo_distance_m is None and r.geo_accuracy_m is None for r in rows)
    assert rows[0].credited_minutes == 120
    young = session.get(CheckIn, young.id)
    assert young.geo_distance_m == 150


def test_push_devices_unused_90_days_go(rich, session):
    """Is a device nothing reached for 90 days deleted, and one reached lately kept?"""
    member = rich[0]
    old = PushSubscription(member_id=member.id, endpoint="https://push.example.test/old", endpoint_hash="o" * 64,
                           p256dh="p", auth="a", created_at=NOW - timedelta(days=200),
                           last_sent_at=NOW - timedelta(days=91))
    used = PushSubscription(member_id=member.id, endpoint="https://push.example.test/used", endpoint_hash="u" * 64,
                            p256dh="p", auth="a", created_at=NOW - timedelta(days=200),
                            last_sent_at=NOW - timedelta(days=10))
    session.add_all([old, used])
    session.commit()
    assert privacy.purge(session, now=NOW)["push_unused"] == 1
    left = {s.endpoint_hash for s in session.exec(select(PushSubscription)).all()}
    assert "o" * 64 not in left and "u" * 64 in left


def test_ended_sessions_go_after_their_period(rich, session):
    """Are sign-ins that ended more than 7 days ago deleted, and live ones kept?"""
    member = rich[0]
    session.add_all([
        UserSession(token_hash="r" * 64, member_id=member.id, expires_at=NOW + timedelta(days=1),
                    revoked_at=NOW - timedelta(days=8)),
        UserSession(token_hash="e" * 64, member_id=member.id, expires_at=NOW - timedelta(days=8)),
        UserSession(token_hash="l" * 64, member_id=member.id, expires_at=NOW - timedelta(days=1)),
    ])
    session.commit()
    assert privacy.purge(session, now=NOW)["sessions_expired"] == 2
    left = {s.token_hash for s in session.exec(select(UserSession)).all()}
    assert "l" * 64 in left and "r" * 64 not in left and "e" * 64 not in left


def test_read_notifications_go_after_a_year(rich, session):
    """Are messages read over a year ago deleted with their deliveries, and unread or recent ones kept?"""
    member = rich[0]
    old = Notification(member_id=member.id, purpose="test", key="old", title="旧消息", due_at=NOW - timedelta(days=400),
                       read_at=NOW - timedelta(days=366))
    unread = Notification(member_id=member.id, purpose="test", key="unread", title="未读", due_at=NOW - timedelta(days=400))
    session.add_all([old, unread])
    session.flush()
    session.add(Delivery(notification_id=old.id, member_id=member.id, channel="push", next_attempt_at=NOW, status="sent"))
    session.commit()
    assert privacy.purge(session, now=NOW)["notifications_read"] == 1
    keys = {n.key for n in session.exec(select(Notification)).all()}
    assert "old" not in keys and "unread" in keys
    assert session.exec(select(Delivery).where(Delivery.notification_id == old.id)).all() == []


def test_export_files_go_when_their_link_expires(rich, session, instance_dir):
    """Is a download's file deleted once its link has expired, and the row marked expired?"""
    member = rich[0]
    export = privacy.request_export(session, member_id=member.id)
    privacy.build_now_if_small(session, export=export)
    files = list((instance_dir / "exports").glob("*.zip"))
    assert len(files) == 1
    assert privacy.purge(session, now=utcnow() + timedelta(hours=71))["export_files"] == 0
    assert privacy.purge(session, now=utcnow() + timedelta(hours=73))["export_files"] == 1
    assert list((instance_dir / "exports").glob("*.zip")) == []
    session.expire_all()
    assert session.get(DataExport, export.id).status == "expired"


def test_signin_attempts_are_purged_when_the_table_exists(ctx, session, monkeypatch):
    """Does the sign-in attempts rule purge old rows of such a table once one exists (another domain's)?"""
    meta = MetaData()
    table = Table("test_signin_attempt", meta, Column("id", Integer, primary_key=True),
                  Column("attempted_at", UTCDateTime()))
    table.drop(session.connection(), checkfirst=True)
    table.create(session.connection())
    session.execute(table.insert().values([{"attempted_at": NOW - timedelta(days=31)},
                                           {"attempted_at": NOW - timedelta(days=1)}]))
    session.commit()
    assert retention.purge_attempts(session, NOW) == 0  # the models' own table is empty: nothing to do
    monkeypatch.setattr(retention, "attempt_tables", lambda: [table])
    try:
        assert retention.purge_attempts(session, NOW) == 1
        session.commit()
        assert session.execute(select(table.c.id)).scalars().all() == [2]
    finally:
        table.drop(session.connection())
        session.commit()


def test_periods_come_from_config(ctx, app, session, rich):
    """Does a period set in config change what is purged?"""
    app.config["RETENTION"] = {**app.config["RETENTION"], "checkin_geofence_days": 60}
    assert privacy.purge(session, now=NOW)["checkin_geofence"] == 0
    app.config["RETENTION"] = {**app.config["RETENTION"], "checkin_geofence_days": 30}
    assert privacy.purge(session, now=NOW)["checkin_geofence"] == 1


def test_a_purge_leaves_one_audit_entry(rich, session):
    """Does a purge that removed something say so in the trail (counts only)?"""
    privacy.purge(session, now=NOW)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.retention")).one()
    assert entry.actor_id is None and '"checkin_geofence":1' in entry.after
    assert privacy.purge(session, now=NOW)["checkin_geofence"] == 0
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.retention")).all()) == 1


def test_config_env_overrides(monkeypatch):
    """Can each period be set from the environment, and is garbage ignored?"""
    from config import RETENTION, retention_from_env

    monkeypatch.setenv("RETENTION_PUSH_UNUSED_DAYS", "45")
    monkeypatch.setenv("RETENTION_CHECKIN_GEOFENCE_DAYS", "abc")
    periods = retention_from_env()
    assert periods["push_unused_days"] == 45 and periods["checkin_geofence_days"] == RETENTION["checkin_geofence_days"]


def test_login_attempts_older_than_the_period_go(ctx, session):
    """Are the accounts domain's failed sign-in counts (login_attempt, times in ms) purged after 30 days?"""
    from models.signin import LoginAttempt

    now_ms = int(NOW.timestamp() * 1000)
    day = 24 * 3600 * 1000
    session.add_all([LoginAttempt(key="old", failures=3, last_ms=now_ms - 31 * day),
                     LoginAttempt(key="young", failures=1, last_ms=now_ms - day),
                     LoginAttempt(key="old-but-blocked", failures=9, last_ms=now_ms - 31 * day,
                                  blocked_until_ms=now_ms + day)])
    session.commit()
    assert privacy.purge(session, now=NOW)["signin_attempts"] == 1
    assert {a.key for a in session.exec(select(LoginAttempt)).all()} == {"young", "old-but-blocked"}
