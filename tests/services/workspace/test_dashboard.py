"""The dashboard's figures on known data, and its query count as the branch and the committee grow."""
from datetime import date

import pytest
from sqlalchemy import event

from models import Attendance, CheckinStatus, ProgressStatus
from services import workspace
from services.errors import NotFound
from tests.services.workspace.helpers import (NOW, held, invite, principal, service, study_hours, year_of_data)


def test_branch_figures_on_known_data(ctx, session, factory):
    """Are compliance, attendance per meeting, the hours distribution, the 90-day idle count, study on track and
    the waiting counts what the data says?"""
    branch = factory.branch(name="莲花北社区党支部")
    sec = factory.secretary(branch)
    a = factory.member(branch, name="甲")
    b = factory.member(branch, name="乙")
    c = factory.member(branch, name="丙")
    station = factory.station()
    service(session, a, station, date(2026, 5, 1), 300)  # 5 h, recent
    service(session, b, station, date(2026, 1, 10), 90)  # 1.5 h, more than 90 days ago
    service(session, c, station, date(2026, 5, 2), 120, status=CheckinStatus.pending)  # waits for approval
    study_hours(session, a, 40)  # 20 学时 by 20 May: on track for 32
    study_hours(session, b, 4)
    study_hours(session, c, 6, status=ProgressStatus.submitted)  # a report waiting for review
    m1 = held(session, branch, "branch_assembly", date(2026, 4, 10))
    m2 = held(session, branch, "committee", date(2026, 5, 6))
    for m, marks in ((m1, (Attendance.present, Attendance.present, None, Attendance.late)),
                     (m2, (Attendance.present, None, None, None))):
        for person, mark in zip((sec, a, b, c), marks):
            invite(session, m, person, mark)
    session.commit()
    p = principal(session, sec)
    d = workspace.dashboard(session, p, unit_id=branch.id, now=NOW)
    assert d.single and (d.year, d.quarter) == (2026, 2)
    [bd] = d.boards
    assert bd.members == 4
    assert [r.present for r in bd.rates] == [3, 1] and [r.invited for r in bd.rates] == [4, 4]
    assert bd.attendance_rate == 50
    assert bd.hours == [2, 1, 1, 0, 0]  # sec and c (pending only) none; b 1.5 h under 4; a 5 h in 4–10
    assert bd.idle == 3  # sec, b (January), c (pending does not count)
    assert bd.study_on_track == 1 and bd.study_behind == 3 and bd.study_met == 0
    assert (bd.pending_hours, bd.pending_reports, bd.pending_leave) == (1, 1, 0)
    assert bd.compliance_held >= 2  # the 党员大会 and the May 支委会 count
    assert {r.kind: r.held for r in bd.compliance.rules}["branch_assembly"] == 1


def test_another_branch_is_not_found(ctx, session, factory):
    """Does a secretary asking for another branch's dashboard get NotFound?"""
    mine, theirs = factory.branch(), factory.branch()
    p = principal(session, factory.secretary(mine))
    with pytest.raises(NotFound):
        workspace.dashboard(session, p, unit_id=theirs.id, now=NOW)


def _count(app, fn):
    statements = []
    engine = app.extensions["sc_engine"]
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, len(statements)


def _branch_with(session, factory, n, parent=None, station=None):
    branch = factory.branch(parent=parent)
    factory.group(branch)
    sec = factory.secretary(branch)
    people = [sec] + [factory.member(branch, name=f"党员{i}", password=None) for i in range(n)]
    year_of_data(session, factory, branch, station or factory.station(), people, meetings=3)
    return branch, sec


def test_query_count_stays_fixed_as_the_branch_grows(ctx, app, session, factory):
    """Does the branch dashboard take the same number of queries with 3 members as with 30 (and at most 25)?"""
    counts = []
    for n in (3, 30):
        branch, sec = _branch_with(session, factory, n)
        p = principal(session, sec)
        d, count = _count(app, lambda: workspace.dashboard(session, p, unit_id=branch.id, now=NOW))
        assert d.boards[0].members == n + 1
        counts.append(count)
    assert counts[0] == counts[1] and counts[0] <= 25


def test_query_count_stays_fixed_as_the_committee_grows(ctx, app, session, factory):
    """Does a committee's dashboard over 2 or 6 branches take the same number of queries?"""
    counts = []
    for n in (2, 6):
        top = factory.committee()
        station = factory.station()
        for _ in range(n):
            _branch_with(session, factory, 2, parent=top, station=station)
        leader = factory.member(factory.branch(parent=top), name="党委书记", roles=[("secretary", top)])
        p = principal(session, leader)
        d, count = _count(app, lambda: workspace.dashboard(session, p, unit_id=top.id, now=NOW))
        assert len(d.boards) == n + 1 and not d.single
        counts.append(count)
    assert counts[0] == counts[1] and counts[0] <= 25
