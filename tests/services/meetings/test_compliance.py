"""Compliance by quarter from the config table, and the read functions the workspace builds on (query counts)."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from sqlmodel import select

from models import (Attendance, InviteRole, LeaveStatus, Meeting, MeetingInvite, MeetingMinutes, Member, OrgKind,
                    Rsvp)
from services import meetings
from services.accounts import orgs
from tests.services.meetings.helpers import make_branch

NOW = datetime(2026, 5, 20, 4, 0, tzinfo=timezone.utc)  # 20 May, second quarter
SH = timezone(timedelta(hours=8))


def held(session, unit, kind, day: date, *, locked=True, group_id=None, cancelled=False, hour=19):
    """A meeting row as it would be after it was held (and its minutes locked)."""
    start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)
    m = Meeting(org_unit_id=unit.id, uid=uuid.uuid4().hex, kind=kind, title=f"{kind} {day}", starts_at=start,
                ends_at=start + timedelta(hours=1), qr_key="k", group_id=group_id,
                cancelled_at=start - timedelta(days=1) if cancelled else None)
    session.add(m)
    session.flush()
    session.add(MeetingMinutes(meeting_id=m.id, org_unit_id=unit.id, topics="议题",
                               locked_at=start + timedelta(hours=2) if locked else None))
    session.commit()
    return m


def by_kind(item):
    return {r.kind: r for r in item.rules}


def test_quarter_counts_only_held_meetings_with_locked_minutes(ctx, session, factory):
    """Are cancelled meetings and unlocked minutes not counted, months shown as ok / missing / open, and next dues right?"""
    session.info["org_scope"] = "all"
    b = make_branch(factory)
    unit = b["unit"]
    held(session, unit, "branch_assembly", date(2026, 4, 10))
    held(session, unit, "committee", date(2026, 4, 3))
    held(session, unit, "committee", date(2026, 5, 6), locked=False)  # minutes still open: not counted
    held(session, unit, "theme_day", date(2026, 4, 15))
    held(session, unit, "theme_day", date(2026, 5, 15), cancelled=True)
    held(session, unit, "group", date(2026, 4, 8), group_id=b["group"].id)
    held(session, unit, "lecture", date(2026, 2, 8))  # last quarter
    [item] = meetings.compliance(session, unit_ids=[unit.id], year=2026, quarter=2, now=NOW)
    rules = by_kind(item)
    assert rules["branch_assembly"].periods[0].state == "ok" and rules["branch_assembly"].next_due == date(2026, 9, 30)
    com = rules["committee"]
    assert [(p.label, p.held, p.state) for p in com.periods] == [("4月", 1, "ok"), ("5月", 0, "open"),
                                                                ("6月", 0, "future")]
    assert com.next_due == date(2026, 5, 31) and com.overdue == 0
    assert rules["lecture"].periods[0].state == "open" and rules["lecture"].next_due == date(2026, 6, 30)
    assert rules["theme_day"].periods[1].held == 0
    assert rules["group"].required == 3 and rules["group"].held == 1  # one group, monthly
    assert rules["life_meeting"].period == "year" and rules["life_meeting"].periods[0].label == "2026年"
    assert not item.behind
    # the first quarter is over: what was not held there is missing
    [q1] = meetings.compliance(session, unit_ids=[unit.id], year=2026, quarter=1, now=NOW)
    r1 = by_kind(q1)
    assert r1["branch_assembly"].overdue == 1 and r1["committee"].overdue == 3 and r1["lecture"].overdue == 0
    assert q1.behind


def test_rules_come_from_config(ctx, app, session, factory):
    """Does a unit with other rules (党课 twice a year) get them from the config table?"""
    session.info["org_scope"] = "all"
    app.config["MEETING_RULES"] = ({"kind": "lecture", "period": "year", "count": 2},)
    b = make_branch(factory)
    held(session, b["unit"], "lecture", date(2026, 3, 1))
    [item] = meetings.compliance(session, unit_ids=[b["unit"].id], year=2026, quarter=2, now=NOW)
    assert [(r.kind, r.required, r.held) for r in item.rules] == [("lecture", 2, 1)]


def _tree(session, n_branches):
    top = orgs.create_unit(session, name="党委", kind=OrgKind.committee)
    units = []
    for i in range(n_branches):
        unit = orgs.create_unit(session, name=f"第{i}支部", kind=OrgKind.branch, parent=top)
        orgs.create_unit(session, name=f"第{i}支部一组", kind=OrgKind.group, parent=unit)
        units.append(unit)
    session.commit()
    for i, unit in enumerate(units):
        for month in range(1, 13 if i % 3 else 6):  # every third branch behind since June
            held(session, unit, "committee", date(2025, month, 5))
            held(session, unit, "theme_day", date(2025, month, 15))
    return top, units


@pytest.mark.parametrize("n", [5, 40])
def test_compliance_runs_in_a_fixed_number_of_queries(ctx, app, session, n):
    """Over 5 or 40 branches with a year of meetings, is the committee's compliance view the same few queries?"""
    session.info["org_scope"] = "all"
    top, units = _tree(session, n)
    statements = []
    engine = app.extensions["sc_engine"]
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = meetings.compliance(session, unit_ids=[top.id], year=2025, quarter=3,
                                     now=datetime(2025, 12, 31, tzinfo=timezone.utc))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(result) == n and len(statements) <= 20
    assert len(statements) == 5  # units, branches, groups, held meetings, scheduled meetings
    behind = [r for r in result if r.behind]
    assert {r.unit.id for r in behind} >= {units[0].id}


def _invite(session, meeting, member, **kw):
    row = MeetingInvite(meeting_id=meeting.id, member_id=member.id, org_unit_id=meeting.org_unit_id,
                        role=InviteRole.attendee, has_vote=True, **kw)
    session.add(row)
    session.commit()
    return row


def test_rates_streaks_and_pending_leave(ctx, session, factory):
    """Do the read functions count attendance per meeting, find members absent twice running, and list pending leave?"""
    session.info["org_scope"] = "all"
    b = make_branch(factory)
    unit = b["unit"]
    a, c = b["members"][0], b["members"][1]
    m1 = held(session, unit, "branch_assembly", date(2026, 4, 10))
    m2 = held(session, unit, "committee", date(2026, 5, 6))
    for m in (m1, m2):
        _invite(session, m, a)  # never marked: absent without leave
    _invite(session, m1, c, attendance=Attendance.late)
    _invite(session, m2, c, rsvp=Rsvp.leave, leave_status=LeaveStatus.approved, leave_reason="病假")
    rates = {r.meeting.id: r for r in meetings.attendance_rates(session, unit_ids=[unit.id],
                                                              since=NOW - timedelta(days=90), now=NOW)}
    assert (rates[m1.id].invited, rates[m1.id].present, rates[m1.id].late, rates[m1.id].absent) == (2, 1, 1, 1)
    assert (rates[m2.id].leave, rates[m2.id].absent) == (1, 1)
    streaks = meetings.absent_streaks(session, unit_id=unit.id, last_n=2, now=NOW)
    assert [s.member_id for s in streaks] == [a.id]
    future = held(session, unit, "lecture", date(2026, 6, 1), locked=False)
    _invite(session, future, c, rsvp=Rsvp.leave, leave_status=LeaveStatus.pending, leave_reason="出差")
    pending = meetings.pending_leave_requests(session, unit_ids=[unit.id], now=NOW)
    assert [(p.meeting.id, p.invite.member_id, p.name) for p in pending] == [(future.id, c.id, c.name)]
    assert session.exec(select(Member).where(Member.id == a.id)).one()
