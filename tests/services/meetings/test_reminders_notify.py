"""Meetings and the notifications domain together (its real outbox): reminders made when a meeting is
scheduled, re-timed when it moves, withdrawn when it is cancelled, none for members on leave."""
from datetime import timedelta

import pytest
from sqlmodel import select

from models import Notification, utcnow
from services import meetings, notify
from tests.services.meetings.helpers import as_, data, make_branch, principal

pytestmark = pytest.mark.skipif(not hasattr(notify, "pending_for"), reason="the notifications outbox is not here")


@pytest.fixture
def b(factory):
    return make_branch(factory)


def plan(session, meeting):
    """(member, due) of the meeting's live reminders in the outbox."""
    session.info["org_scope"] = "all"
    return {(n.member_id, n.due_at) for n in notify.pending_for(session, subject=f"meeting:{meeting.id}")
            if n.withdrawn_at is None and n.purpose == notify.MEETING_REMINDER}


def schedule_soon(session, sec, unit, days=3, **kw):
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    as_(session, sec)
    return meetings.create_meeting(session, sec, unit_id=unit.id,
                                   data=data(starts_at=start, ends_at=start + timedelta(hours=1), **kw))


def test_reminders_are_made_retimed_and_withdrawn(ctx, session, b):
    """Are two reminders per invited member in the outbox, moved with the meeting, and gone when it is cancelled?"""
    sec = principal(session, b["sec"])
    m = schedule_soon(session, sec, b["unit"])
    first = plan(session, m)
    assert len(first) == 2 * 9
    assert {due for _m, due in first} == {m.starts_at - timedelta(hours=24), m.starts_at - timedelta(hours=1)}
    important = [n for n in notify.pending_for(session, subject=f"meeting:{m.id}") if n.important]
    assert {n.due_at for n in important} == {m.starts_at - timedelta(hours=1)}
    later = m.starts_at + timedelta(days=1)
    as_(session, sec)
    meetings.update_meeting(session, sec, meeting_id=m.id, data=data(starts_at=later, ends_at=later + timedelta(hours=1)))
    assert {due for _m, due in plan(session, m)} == {later - timedelta(hours=24), later - timedelta(hours=1)}
    session.info["org_scope"] = "all"
    changed = session.exec(select(Notification).where(Notification.purpose == notify.MEETING_CHANGED)).all()
    assert len(changed) == 9 and all(n.url == f"/meetings/{m.id}" for n in changed)
    as_(session, sec)
    meetings.cancel_meeting(session, sec, meeting_id=m.id, reason="上级临时通知改期")
    assert plan(session, m) == set()
    session.info["org_scope"] = "all"
    cancelled = session.exec(select(Notification).where(Notification.purpose == notify.MEETING_CANCELLED)).all()
    assert len(cancelled) == 9 and all(n.important and "上级临时通知改期" in n.body for n in cancelled)


def test_no_reminders_for_members_on_leave(ctx, session, b):
    """Does a member asking for leave lose their reminders, keep them off once approved, and get told the decision?"""
    sec = principal(session, b["sec"])
    m = schedule_soon(session, sec, b["unit"])
    member = principal(session, b["members"][0])
    meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="出差")
    assert member.id not in {mid for mid, _d in plan(session, m)}
    session.info["org_scope"] = "all"
    from models import MeetingInvite

    invite = session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == m.id,
                                                      MeetingInvite.member_id == member.id)).one()
    as_(session, sec)
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=True)
    assert member.id not in {mid for mid, _d in plan(session, m)} and len(plan(session, m)) == 2 * 8
    session.info["org_scope"] = "all"
    told = session.exec(select(Notification).where(Notification.purpose == notify.LEAVE_DECISION)).all()
    assert [n.member_id for n in told] == [member.id]
