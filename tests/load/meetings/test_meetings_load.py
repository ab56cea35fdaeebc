"""A crowd scanning one meeting's code: 200 members within seconds, each marked present exactly once; the same
member scanning many times at once, once. On a file SQLite database, and on PostgreSQL with TEST_DATABASE_URL."""
import secrets
import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from models import Attendance, InviteRole, Meeting, MeetingInvite, Member, utcnow
from services import meetings
from services.checkin import codes as qr
from services.errors import DomainError
from tests.conftest import Factory
from tests.load.helpers import new_session, run_at_once

pytestmark = pytest.mark.load


@pytest.fixture
def crowd(load_app):
    """A meeting starting in ten minutes with 200 invited members (and 20 more who are not invited)."""
    with new_session(load_app) as s:
        f = Factory(load_app, s)
        branch = f.branch()
        s.add_all([Member(name=f"党员{i:03d}", phone=f"135{i:08d}", org_unit_id=branch.id) for i in range(220)])
        s.commit()
        ids = list(s.exec(select(Member.id).where(Member.org_unit_id == branch.id).order_by(Member.id)).all())
        start = utcnow() + timedelta(minutes=10)
        m = Meeting(org_unit_id=branch.id, uid=uuid.uuid4().hex, kind="branch_assembly", title="党员大会",
                    starts_at=start, ends_at=start + timedelta(hours=1), qr_key=secrets.token_hex(16))
        s.add(m)
        s.flush()
        s.add_all(MeetingInvite(meeting_id=m.id, member_id=i, org_unit_id=branch.id, role=InviteRole.attendee,
                                has_vote=True) for i in ids[:200])
        s.commit()
        return m, ids


def scan_job(app, meeting, member_id):
    """One member scanning the code the screen shows at that moment."""
    def job():
        with app.app_context(), new_session(app) as s:
            return meetings.scan_code(s, member_id=member_id, code=qr.meeting_token(meeting)).status
    return job


def marked(app, meeting) -> list:
    with new_session(app) as s:
        return list(s.exec(select(MeetingInvite.attendance).where(MeetingInvite.meeting_id == meeting.id,
                                                                  MeetingInvite.role == InviteRole.attendee)).all())


def test_200_members_scan_at_once_each_present_once(load_app, crowd):
    """Do 200 invited members scanning within seconds all end up present, exactly once each?"""
    meeting, ids = crowd
    results, errors = run_at_once(40, [scan_job(load_app, meeting, m) for m in ids[:200]])
    assert errors == [] and results == ["present"] * 200
    states = marked(load_app, meeting)
    assert len(states) == 200 and all(s == Attendance.present for s in states)


def test_the_same_member_scanning_many_times_is_marked_once(load_app, crowd):
    """Do 30 simultaneous scans by one member mark them once, the rest told they are already marked?"""
    meeting, ids = crowd
    results, errors = run_at_once(30, [scan_job(load_app, meeting, ids[0]) for _ in range(30)])
    assert results == ["present"]
    assert len(errors) == 29 and all(isinstance(e, DomainError) and e.code == "already_marked" for e in errors)
    with new_session(load_app) as s:
        row = s.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id,
                                                 MeetingInvite.member_id == ids[0])).one()
        assert row.attendance == Attendance.present and row.marked_at is not None


def test_uninvited_crowd_leaves_one_request_each(load_app, crowd):
    """Do 20 members not on the list, each scanning twice at once, leave exactly one request each to admit?"""
    meeting, ids = crowd
    outsiders = ids[200:]
    results, errors = run_at_once(40, [scan_job(load_app, meeting, m) for m in outsiders * 2])
    assert errors == [] and set(results) == {"not_invited"}
    with new_session(load_app) as s:
        n = s.exec(select(func.count(MeetingInvite.id)).where(MeetingInvite.meeting_id == meeting.id,
                                                              MeetingInvite.role == InviteRole.requested)).one()
    assert n == 20
