"""Each exercise of authority leaves one audit entry, with who, what, whom, where, before and after."""
import json
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from models import MeetingInvite, utcnow
from models.audit import AuditEntry
from services import audit, checkin, meetings
from services.accounts import members, roster
from services.stations import admin as station_admin
from tests.services.checkin.test_checkin import T0, scan
from tests.services.meetings.helpers import NOW, as_, make_branch, principal, schedule


def entries(session, action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.exec(query).all())


def one(session, action):
    found = entries(session, action)
    assert len(found) == 1, f"expected one {action} entry, found {len(found)}"
    return found[0]


@pytest.fixture
def b(ctx, factory):
    return make_branch(factory)


def test_hours_added_approved_declined_and_auto_closed(b, session, factory):
    """Do hand-added hours, their approval or decline, and a forgotten check-out closed by the worker each leave one?"""
    station = factory.station()
    member = b["members"][0]
    today = checkin.local_day(utcnow())
    r1 = checkin.add_manual(session, member_id=member.id, station_id=station.id, day=today - timedelta(days=1),
                            hours=2, note="社区活动", nonce=uuid.uuid4().hex)
    r2 = checkin.add_manual(session, member_id=member.id, station_id=station.id, day=today - timedelta(days=2),
                            hours=1, note="", nonce=uuid.uuid4().hex)
    added = entries(session, "hours.manual_add")
    assert [e.target for e in added] == [f"checkin:{r1.id}", f"checkin:{r2.id}"]
    assert added[0].actor_id == member.id and added[0].member_id == member.id and added[0].org_unit_id == b["unit"].id
    sec = principal(session, b["sec"])
    checkin.decide(session, sec, unit_id=b["unit"].id, ids=[r1.id], approve=True)
    checkin.decide(session, sec, unit_id=b["unit"].id, ids=[r2.id], approve=False)
    approved, declined = one(session, "hours.approve"), one(session, "hours.decline")
    assert approved.actor_id == sec.id and json.loads(approved.before) == {"status": "pending"}
    assert json.loads(approved.after)["status"] == "approved" and json.loads(declined.after)["status"] == "declined"
    session.info["org_scope"] = "all"
    scan(session, b["members"][1], station, T0)
    assert checkin.close_stale(session, now=T0 + timedelta(hours=9)) == 1
    closed = one(session, "hours.auto_close")
    assert closed.actor_id is None and closed.member_id == b["members"][1].id
    assert audit.verify(session).ok


def test_attendance_leave_minutes_and_addenda(b, session):
    """Do attendance marks, admitting an observer, leave decisions, locking minutes and addenda each leave one?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    member = principal(session, b["members"][0])
    meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="出差在外地", now=NOW)
    session.info["org_scope"] = "all"
    invite = session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == m.id,
                                                      MeetingInvite.member_id == member.id)).one()
    as_(session, sec)
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=True, now=NOW)
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=False, note="请尽量参加", now=NOW)
    approved, returned = one(session, "leave.approve"), one(session, "leave.return")
    assert json.loads(approved.before) == {"leave_status": "pending"}
    assert json.loads(returned.after)["leave_status"] == "returned" and returned.member_id == member.id
    other = session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == m.id,
                                                     MeetingInvite.member_id == b["members"][1].id)).one()
    as_(session, sec)
    meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=other.id, status="late",
                             now=m.starts_at + timedelta(minutes=5))
    mark = one(session, "attendance.mark")
    assert mark.member_id == b["members"][1].id and json.loads(mark.after)["attendance"] == "late"
    assert json.loads(mark.before)["attendance"] is None and mark.target == f"meeting:{m.id}"
    session.info["org_scope"] = "all"
    m.starts_at, m.ends_at = NOW - timedelta(hours=3), NOW - timedelta(hours=1)
    session.add(m)
    session.commit()
    as_(session, sec)
    meetings.save_minutes(session, sec, meeting_id=m.id, host_id=sec.id, recorder_id=b["c1"].id, topics="议题",
                          discussion_md="讨论")
    meetings.lock_minutes(session, sec, meeting_id=m.id)
    locked = one(session, "minutes.lock")
    assert json.loads(locked.after)["locked"] is True and locked.org_unit_id == b["unit"].id
    meetings.add_addendum(session, sec, meeting_id=m.id, text="会后补充：材料已存档。")
    assert "材料已存档" in one(session, "minutes.addendum").after
    assert audit.verify(session).ok


def test_admitting_an_observer(b, session):
    """Does admitting someone who scanned unlisted leave an entry?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], audience="committee")
    outsider = principal(session, b["members"][2])
    at = m.starts_at + timedelta(minutes=1)
    session.info["org_scope"] = "all"
    session.add(MeetingInvite(meeting_id=m.id, member_id=outsider.id, org_unit_id=m.org_unit_id,
                              role="requested", marked_at=at, mark_method="qr"))
    session.commit()
    invite = session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == m.id,
                                                      MeetingInvite.member_id == outsider.id)).one()
    as_(session, sec)
    meetings.admit_observer(session, sec, meeting_id=m.id, invite_id=invite.id, now=at)
    entry = one(session, "attendance.admit")
    assert entry.member_id == outsider.id and json.loads(entry.after)["role"] == "observer"


def test_members_roster_roles_and_passwords(b, session, factory):
    """Do adding, importing, transferring, resetting a password and giving a role each leave one, with no secret?"""
    sec = principal(session, b["sec"])
    created, initial = members.create_member(session, sec, name="新党员", phone="13700000001", branch_id=b["unit"].id)
    assert one(session, "member.create").member_id == created.id
    as_(session, sec)
    data = "姓名,手机号\n甲,13700000002\n乙,13700000003\n".encode()
    imported = roster.import_roster(session, sec, unit_id=b["unit"].id, data=data)
    entry = one(session, "roster.import")
    assert json.loads(entry.after) == {"rows": 2, "member_ids": [m.id for m, _ in imported]}
    as_(session, sec)
    one_time = members.reset_password(session, sec, member_id=created.id)
    reset = one(session, "member.reset_password")
    assert reset.member_id == created.id and one_time not in reset.after + reset.before
    other = factory.branch(name="接收支部")
    as_(session, sec)
    members.transfer_member(session, sec, member_id=created.id, to_branch_id=other.id, note="工作调动")
    moved = one(session, "member.transfer")
    assert json.loads(moved.before)["org_unit_id"] == b["unit"].id and json.loads(moved.after)["org_unit_id"] == other.id
    members.grant_role(session, member_id=created.id, role="committee", org_unit_id=other.id, actor=sec.id)
    session.commit()
    assert one(session, "role.grant").member_id == created.id
    members.grant_role(session, member_id=created.id, role="secretary", org_unit_id=other.id)  # the seed: no actor
    session.commit()
    assert len(entries(session, "role.grant")) == 1
    text = " ".join(e.before + e.after + e.target for e in entries(session))
    for secret in ("13700000001", "13700000002", initial, one_time):
        assert secret not in text
    assert audit.verify(session).ok


def test_station_settings_and_staff(ctx, session, factory):
    """Do station settings and station staff changes leave entries with the before and after values?"""
    admin_member = factory.member(name="管理员", roles=["admin"])
    admin = principal(session, admin_member)
    station = factory.station(radius=100)
    staff = factory.member(name="站点值班员")
    station_admin.update_settings(session, admin, station_id=station.id, checkin_mode="geofence",
                                  geofence_radius_m=200, is_active=True)
    entry = one(session, "station.settings")
    assert json.loads(entry.before) == {"checkin_mode": "kiosk", "geofence_radius_m": 100}
    assert json.loads(entry.after) == {"checkin_mode": "geofence", "geofence_radius_m": 200}
    station_admin.update_settings(session, admin, station_id=station.id, checkin_mode="geofence",
                                  geofence_radius_m=200, is_active=True)
    assert len(entries(session, "station.settings")) == 1  # nothing changed, nothing recorded
    station_admin.add_staff(session, admin, station_id=station.id, phone=staff.phone)
    station_admin.remove_staff(session, admin, station_id=station.id, member_id=staff.id)
    granted, revoked = one(session, "role.grant"), one(session, "role.revoke")
    assert granted.member_id == revoked.member_id == staff.id
    assert staff.phone not in granted.after + granted.target
    assert audit.verify(session).ok


def test_refused_action_writes_no_entry(b, session):
    """When a rule says no, is no entry left behind?"""
    sec = principal(session, b["sec"])
    with pytest.raises(Exception):
        members.create_member(session, sec, name="重复", phone=b["members"][0].phone, branch_id=b["unit"].id)
    session.rollback()
    with pytest.raises(Exception):
        roster.import_roster(session, sec, unit_id=b["unit"].id, data="姓名,手机号\n甲,12\n".encode())
    session.rollback()
    assert entries(session) == []


def test_workspace_import_and_deactivation(b, session):
    """Do the workspace's member import and (de)activation each leave an entry?"""
    from services import workspace

    sec = principal(session, b["sec"])
    data = "姓名,手机号,党小组,党员类别,入党日期\n丙,13700000011,,正式党员,\n".encode("utf-8-sig")
    result = workspace.import_members(session, sec, unit_id=b["unit"].id, data=data, filename="名单.csv")
    entry = one(session, "roster.import")
    assert json.loads(entry.after)["created"] == [m.id for m, _ in result.created]
    as_(session, sec)
    workspace.set_active(session, sec, member_id=b["members"][3].id, active=False)
    as_(session, sec)
    workspace.set_active(session, sec, member_id=b["members"][3].id, active=True)
    assert one(session, "member.deactivate").member_id == b["members"][3].id
    assert json.loads(one(session, "member.activate").after) == {"is_active": True}
    assert "13700000011" not in entry.after
