"""The meetings demo data."""
import random

from sqlmodel import func, select

from demo import meetings as demo_meetings
from demo import study as demo_study
from models import Meeting, MeetingInvite, OrgUnit
from services import meetings
from tests.services.study.helpers import principal


def _city(factory, n_branches=5):
    top = factory.committee("莲花街道党工委")
    branches = [factory.branch(name=f"第{i}党支部", parent=top) for i in range(n_branches)]
    for b in branches:
        factory.group(b, name="第一党小组")
        factory.secretary(b, name="书记")
        factory.member(b, name="委员", roles=[("committee", b)])
        for i in range(6):
            factory.member(b, name=f"党员{i}", password=None)
    sec = factory.secretary(branches[0], name="李书记", phone="13800000001")
    member = factory.member(branches[0], name="陈小明", phone="13800000002")
    return top, branches, sec, member


def test_a_year_of_meetings_and_real_upcoming_ones(ctx, factory, session, notified):
    """Does the seed give every branch a year of held meetings, some branches behind, and the demo accounts
    real upcoming meetings with reminders; and add nothing the second time?"""
    top, branches, sec, member = _city(factory)
    demo_study.seed(session, rng=random.Random(1))
    summary = demo_meetings.seed(session, rng=random.Random(1))
    assert summary.startswith("meetings: ") and "upcoming" in summary
    count = session.exec(select(func.count(Meeting.id))).one()
    assert count > 5 * 30
    assert demo_meetings.seed(session, rng=random.Random(1)) == "meetings: demo meetings already present"
    assert session.exec(select(func.count(Meeting.id))).one() == count
    p = principal(session, member)
    ov = meetings.overview(session, p)
    assert len(ov.upcoming) >= 4 and ov.counts["present"] > 5
    assert meetings.next_meeting(session, p).meeting.title == "第四季度支部党员大会"
    assert any(s.startswith("meeting:") and plan for s, plan in notified.scheduled.items())
    year, quarter = meetings.local(meetings.attendance.utcnow()).year, None
    today = meetings.local(meetings.attendance.utcnow()).date()
    quarter = (today.month - 1) // 3 + 1
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    result = meetings.compliance(session, unit_ids=[top.id], year=prev[0], quarter=prev[1])
    assert len(result) == 5 and any(r.behind for r in result) and not all(r.behind for r in result)
    pending = meetings.pending_leave_requests(session, unit_ids=[member.org_unit_id])
    assert len(pending) == 1
    session.info["org_scope"] = "all"
    assert session.exec(select(func.count(MeetingInvite.id))).one() > 1000
    assert session.get(OrgUnit, member.org_unit_id)


def test_seed_runs_in_an_app_context_alone(app, factory, session):
    """Does the seed work as the CLI runs it (an app context, no request), with Chinese titles?"""
    _city(factory, n_branches=2)
    with app.app_context():
        summary = demo_meetings.seed(session, rng=random.Random(2))
    assert "upcoming" in summary
    session.info["org_scope"] = "all"
    titles = session.exec(select(Meeting.title)).all()
    assert any(t.startswith("支委会：") for t in titles)
