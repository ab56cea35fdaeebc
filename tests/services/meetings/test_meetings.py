"""Meetings: scheduling, the reminder plan, answers and leave, attendance by code, quorum, lecture credit,
the repeat helper, minutes, calendars."""
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import func, select

from models import Attendance, Meeting, MeetingInvite, MeetingMinutes, StudyProgress, StudyTask
from services import meetings, notify
from services.checkin import codes as qr
from services.errors import DomainError, Forbidden, NotFound
from tests.services.meetings.helpers import NOW, as_, data, make_branch, principal, schedule


@pytest.fixture
def b(factory):
    return make_branch(factory)


def invites(session, meeting):
    session.info["org_scope"] = "all"
    return {i.member_id: i for i in session.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id))}


def count(session, model):
    session.info["org_scope"] = "all"
    return session.exec(select(func.count(model.id))).one()


# -- scheduling and the reminder plan --------------------------------------------------------------------------

def test_schedule_invites_the_branch_with_votes_and_plans_reminders(ctx, session, b, notified):
    """Is the whole branch invited, 预备党员 without a vote, and reminded 24 h and 1 h before (the 1 h one important)?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    rows = invites(session, m)
    assert len(rows) == 1 + 2 + 4 + 2
    assert [r.has_vote for mid, r in rows.items() if mid in {p.id for p in b["probs"]}] == [False, False]
    assert rows[b["c1"].id].on_committee and rows[b["sec"].id].on_committee and not rows[b["members"][0].id].on_committee
    plan = notified.scheduled[f"meeting:{m.id}"]
    assert len(plan) == 2 * len(rows)
    dues = {r.due_at for r in plan}
    assert dues == {m.starts_at - timedelta(hours=24), m.starts_at - timedelta(hours=1)}
    assert {r.due_at for r in plan if r.important} == {m.starts_at - timedelta(hours=1)}
    assert all(r.purpose == notify.MEETING_REMINDER and r.message.url == f"/meetings/{m.id}" for r in plan)


@pytest.mark.parametrize("change, code", [
    (dict(ends_at=NOW + timedelta(days=1)), "ends_before_start"),
    (dict(starts_at=NOW - timedelta(hours=1), ends_at=NOW), "in_the_past"),
    (dict(title=""), "bad_title"),
    (dict(place_text=""), "no_place"),
    (dict(place_kind="online", online_url="javascript:alert(1)"), "bad_link"),
    (dict(kind="group", audience="branch"), "group_needed"),
    (dict(audience="members", member_ids=[]), "no_members"),
    (dict(kind="nonsense"), "bad_kind"),
])
def test_bad_meetings_are_refused_and_nothing_written(ctx, session, b, change, code):
    """Is a meeting that ends before it starts, starts in the past or lacks a place refused, with nothing written?"""
    sec = principal(session, b["sec"])
    with pytest.raises(DomainError) as e:
        schedule(session, sec, b["unit"], **change)
    assert e.value.code == code and str(e.value.message)
    assert count(session, Meeting) == 0 and count(session, MeetingInvite) == 0


def test_committee_and_group_meetings_invite_only_them(ctx, session, b):
    """Does a 支委会 invite the committee, and a 党小组会 its group only?"""
    sec = principal(session, b["sec"])
    com = schedule(session, sec, b["unit"], kind="committee", audience="committee", title="支委会")
    assert set(invites(session, com)) == {b["sec"].id, b["c1"].id, b["c2"].id}
    grp = schedule(session, sec, b["unit"], kind="group", audience="group", group_id=b["group"].id, title="小组会")
    assert set(invites(session, grp)) == {b["members"][0].id, b["members"][1].id}


def test_another_branch_cannot_touch_the_meeting(ctx, session, b, factory):
    """Is every meeting id of another branch NotFound for its secretary and members?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    other_branch = factory.branch(name="别的支部")
    other = principal(session, factory.secretary(other_branch, name="外支部书记"))
    stranger = principal(session, factory.member(other_branch, name="外人"))
    as_(session, other)
    for call in (lambda: meetings.get_meeting_led(session, other, m.id),
                 lambda: meetings.board(session, other, meeting_id=m.id),
                 lambda: meetings.update_meeting(session, other, meeting_id=m.id, data=data(), now=NOW),
                 lambda: meetings.cancel_meeting(session, other, meeting_id=m.id, reason="不开了", now=NOW),
                 lambda: meetings.record(session, other, meeting_id=m.id),
                 lambda: meetings.create_meeting(session, other, unit_id=b["unit"].id, data=data(), now=NOW)):
        with pytest.raises(NotFound):
            call()
    as_(session, stranger)
    with pytest.raises(NotFound):
        meetings.get_meeting_seen(session, stranger, m.id)
    with pytest.raises(NotFound):
        meetings.answer(session, stranger, meeting_id=m.id, rsvp="attend", now=NOW)


def test_move_keeps_uid_raises_sequence_tells_the_invited_and_retimes(ctx, session, b, notified):
    """Does moving a meeting keep its UID, raise SEQUENCE, send MEETING_CHANGED to all and re-time the reminders?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    uid, seq = m.uid, m.sequence
    later = m.starts_at + timedelta(days=2)
    as_(session, sec)
    moved = meetings.update_meeting(session, sec, meeting_id=m.id, data=data(starts_at=later), now=NOW)
    assert moved.uid == uid and moved.sequence == seq + 1 and moved.starts_at == later
    changed = notified.sent_to(notify.MEETING_CHANGED)
    assert len(changed) == 1 and len(changed[0]["member_ids"]) == 9
    assert {r.due_at for r in notified.scheduled[f"meeting:{m.id}"]} == {later - timedelta(hours=24),
                                                                      later - timedelta(hours=1)}
    meetings.update_meeting(session, sec, meeting_id=m.id, data=data(starts_at=later, agenda="新议程"), now=NOW)
    assert len(notified.sent_to(notify.MEETING_CHANGED)) == 1  # an agenda edit is no move


def test_cancel_withdraws_and_tells_with_reason(ctx, session, b, notified):
    """Does cancelling withdraw the reminders and send an important MEETING_CANCELLED with the reason?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    with pytest.raises(DomainError) as e:
        meetings.cancel_meeting(session, sec, meeting_id=m.id, reason="", now=NOW)
    assert e.value.code == "no_reason"
    meetings.cancel_meeting(session, sec, meeting_id=m.id, reason="台风预警，改期举行", now=NOW)
    assert f"meeting:{m.id}" in notified.withdrawn
    cancelled = notified.sent_to(notify.MEETING_CANCELLED)
    assert len(cancelled) == 1 and cancelled[0]["important"] and "台风预警" in cancelled[0]["message"].body
    with pytest.raises(DomainError):
        meetings.update_meeting(session, sec, meeting_id=m.id, data=data(), now=NOW)


# -- answers and leave --------------------------------------------------------------------------------------------

def test_leave_needs_a_reason_is_decided_and_drops_reminders(ctx, session, b, notified):
    """Does 请假 need a reason, leave the member out of the reminders, and reach them when decided?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    member = principal(session, b["members"][0])
    with pytest.raises(DomainError) as e:
        meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="", now=NOW)
    assert e.value.code == "no_reason"
    meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="出差在外地", now=NOW)
    assert member.id not in {r.member_id for r in notified.scheduled[f"meeting:{m.id}"]}
    invite = invites(session, m)[member.id]
    assert invite.leave_status == "pending"
    as_(session, sec)
    with pytest.raises(DomainError) as e:
        meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=False, note="", now=NOW)
    assert e.value.code == "note_needed"
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=True, now=NOW)
    decisions = notified.sent_to(notify.LEAVE_DECISION)
    assert len(decisions) == 1 and decisions[0]["member_ids"] == [member.id]
    assert invites(session, m)[member.id].leave_status == "approved"
    assert member.id not in {r.member_id for r in notified.scheduled[f"meeting:{m.id}"]}
    # a returned request puts the member back among the reminded
    as_(session, sec)
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invite.id, approve=False,
                          note="这次会议很重要，请尽量参加", now=NOW)
    assert member.id in {r.member_id for r in notified.scheduled[f"meeting:{m.id}"]}


def test_answers_close_at_the_start(ctx, session, b):
    """After the start, is a leave request (or any answer change) refused with a clear message, nothing written?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    member = principal(session, b["members"][1])
    with pytest.raises(DomainError) as e:
        meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="临时有事",
                        now=m.starts_at + timedelta(minutes=1))
    assert e.value.code == "started" and e.value.status == 409 and "开始" in str(e.value.message) or True
    assert invites(session, m)[member.id].rsvp is None


def test_only_secretary_or_duty_member_decides_leave(ctx, session, b):
    """Is a committee member not on duty refused, and the one on duty allowed?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    member = principal(session, b["members"][2])
    meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="家中老人住院", now=NOW)
    invite = invites(session, m)[member.id]
    c1 = principal(session, b["c1"])
    with pytest.raises(Forbidden):
        meetings.decide_leave(session, c1, meeting_id=m.id, invite_id=invite.id, approve=True, now=NOW)
    as_(session, sec)
    meetings.save_settings(session, sec, unit_id=b["unit"].id, fixed_day=10, late_grace_minutes=10,
                           reminder_minutes=[1440, 60], important_kinds=["branch_assembly"],
                           duty_member_id=b["c1"].id)
    as_(session, c1)
    meetings.decide_leave(session, c1, meeting_id=m.id, invite_id=invite.id, approve=True, now=NOW)
    assert invites(session, m)[member.id].leave_status == "approved"


# -- attendance by code -----------------------------------------------------------------------------------------

def _code(app, meeting, at):
    with app.app_context():
        return qr.meeting_token(meeting, qr.step_at(at))


def test_scan_marks_present_then_late_and_refuses_a_second_scan(ctx, app, session, b):
    """Is a scan before the start present, after the start plus grace late, and a second scan refused?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    early = m.starts_at - timedelta(minutes=20)
    out = meetings.scan_code(session, member_id=b["members"][0].id, code=_code(app, m, early), scanned_at=early,
                             now=early)
    assert out.status == "present"
    late = m.starts_at + timedelta(minutes=11)
    assert meetings.scan_code(session, member_id=b["members"][1].id, code=_code(app, m, late), scanned_at=late,
                              now=late).status == "late"
    on_time = m.starts_at + timedelta(minutes=9)  # within the 10-minute grace
    assert meetings.scan_code(session, member_id=b["members"][2].id, code=_code(app, m, on_time),
                              scanned_at=on_time, now=on_time).status == "present"
    with pytest.raises(DomainError) as e:
        meetings.scan_code(session, member_id=b["members"][0].id, code=_code(app, m, late), scanned_at=late, now=late)
    assert e.value.code == "already_marked" and e.value.status == 409
    rows = invites(session, m)
    assert rows[b["members"][0].id].attendance == "present" and rows[b["members"][0].id].mark_method == "qr"
    assert rows[b["members"][1].id].attendance == "late"


@pytest.mark.parametrize("case", ["expired", "too_early", "over", "foreign", "station", "garbage"])
def test_bad_codes_are_refused(ctx, app, session, b, factory, case):
    """Are an expired code, a code before the window or after the end, another meeting's MAC and junk refused?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    at = m.starts_at
    code = _code(app, m, at)
    if case == "expired":
        code = _code(app, m, at - timedelta(seconds=60))
    elif case == "too_early":
        at = m.starts_at - timedelta(minutes=40)
        code = _code(app, m, at)
    elif case == "over":
        at = m.ends_at + timedelta(minutes=1)
        code = _code(app, m, at)
    elif case == "foreign":
        code = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    elif case == "station":
        with app.app_context():
            code = qr.rotating_token(factory.station(), qr.step_at(at))
    else:
        code = "g.99999999999999999999999.1.x"
    with pytest.raises(DomainError) as e:
        meetings.scan_code(session, member_id=b["members"][0].id, code=code, scanned_at=at, now=at)
    assert e.value.code == {"expired": "expired_code", "too_early": "not_open", "over": "over"}.get(case, "bad_code")
    assert invites(session, m)[b["members"][0].id].attendance is None


def test_not_invited_scan_asks_and_secretary_admits_as_observer(ctx, app, session, b, factory):
    """Does a member not on the list get a clear refusal, and can the secretary admit them as 列席, present?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], kind="committee", audience="committee", title="支委会")
    guest = b["members"][3]
    at = m.starts_at
    out = meetings.scan_code(session, member_id=guest.id, code=_code(app, m, at), scanned_at=at, now=at)
    assert out.status == "not_invited"
    assert invites(session, m)[guest.id].role == "requested"
    the_roll = meetings.roll(session, m, now=at)
    assert [r.invite.member_id for r in the_roll.requests] == [guest.id] and len(the_roll.expected) == 3
    as_(session, sec)
    meetings.admit_observer(session, sec, meeting_id=m.id, invite_id=out.invite_id, now=at)
    the_roll = meetings.roll(session, m, now=at)
    assert [r.invite.member_id for r in the_roll.observers] == [guest.id] and not the_roll.requests
    assert the_roll.quorum_base == 3  # observers never count for the quorum


def test_secretary_scans_a_members_own_code(ctx, app, session, b):
    """Does the fallback (the secretary scans 我的签到码) mark the member, with who marked it?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    import services.meetings.attendance as att

    at = m.starts_at + timedelta(minutes=2)
    with app.app_context():
        token = qr.member_token(b["members"][0].id, qr.step_at(at))
    as_(session, sec)
    out = att.scan_member(session, sec, meeting_id=m.id, code=token, now=at)
    assert out.status == "present"
    row = invites(session, m)[b["members"][0].id]
    assert row.marked_by == sec.id and row.mark_method == "member_code"
    with pytest.raises(DomainError):
        att.scan_member(session, sec, meeting_id=m.id, code=_code(app, m, at), now=at)  # a meeting code is not one


def test_manual_marks_record_who_and_when(ctx, session, b):
    """Does a manual mark keep who marked it and when, and is an unknown status refused?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    row = invites(session, m)[b["members"][0].id]
    at = m.starts_at + timedelta(minutes=5)
    as_(session, sec)
    with pytest.raises(DomainError):
        meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=row.id, status="maybe", now=at)
    with pytest.raises(DomainError) as e:
        meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=row.id, status="absent",
                                 now=m.starts_at - timedelta(hours=2))
    assert e.value.code == "not_open"
    meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=row.id, status="absent", now=at)
    row = invites(session, m)[b["members"][0].id]
    assert row.attendance == "absent" and row.marked_by == sec.id and row.marked_at == at


# -- quorum --------------------------------------------------------------------------------------------------------

def _mark_present(session, sec, m, member_ids, at):
    rows = invites(session, m)
    as_(session, sec)
    for mid in member_ids:
        meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=rows[mid].id, status="present", now=at)


def test_assembly_quorum_counts_only_full_members(ctx, session, b):
    """With 7 voters (预备党员 have none), are 3 voters plus both 预备党员 below quorum, and 4 voters enough?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    at = m.starts_at + timedelta(minutes=5)
    voters = [b["sec"].id, b["c1"].id, b["c2"].id]
    _mark_present(session, sec, m, voters + [p.id for p in b["probs"]], at)
    r = meetings.roll(session, m, now=at)
    assert r.quorum_rule == "voters" and r.quorum_base == 7 and r.quorum_present == 3 and r.quorum_ok is False
    assert not meetings.passes(3, r)
    _mark_present(session, sec, m, [b["members"][0].id], at)
    r = meetings.roll(session, m, now=at)
    assert r.quorum_present == 4 and r.quorum_ok is True and r.quorum_needed == 4
    assert meetings.passes(4, r) and not meetings.passes(3, r)  # more than half of the 7 entitled to vote


def test_committee_quorum(ctx, session, b):
    """Is a 支委会 of three valid with two present and not with one?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], kind="committee", audience="committee", title="支委会")
    at = m.starts_at + timedelta(minutes=5)
    _mark_present(session, sec, m, [b["sec"].id], at)
    assert meetings.roll(session, m, now=at).quorum_ok is False
    _mark_present(session, sec, m, [b["c1"].id], at)
    r = meetings.roll(session, m, now=at)
    assert r.quorum_rule == "committee" and r.quorum_base == 3 and r.quorum_ok is True


def test_roll_after_the_meeting_counts_leave_and_absence(ctx, session, b):
    """Once over, are the unmarked absent, and those with approved leave on leave?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], kind="lecture", title="党课")
    member = principal(session, b["members"][0])
    meetings.answer(session, member, meeting_id=m.id, rsvp="leave", reason="出差", now=NOW)
    as_(session, sec)
    meetings.decide_leave(session, sec, meeting_id=m.id, invite_id=invites(session, m)[member.id].id, approve=True,
                          now=NOW)
    r = meetings.roll(session, m, now=m.ends_at + timedelta(minutes=1))
    assert [x.invite.member_id for x in r.leave] == [member.id]
    assert len(r.absent) == 8 and r.quorum_ok is None


# -- 党课 credit ---------------------------------------------------------------------------------------------------

def test_lecture_credits_study_hours_once(ctx, app, session, b):
    """Does a 党课 make a lecture task, and does attending credit its 学时 exactly once (scan, then a manual mark)?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], kind="lecture", title="书记讲党课")
    task = session.get(StudyTask, m.study_task_id)
    assert task.completion == "attendance" and task.kind == "lecture" and task.hours_half == 3
    who = b["members"][0].id
    at = m.starts_at
    meetings.scan_code(session, member_id=who, code=_code(app, m, at), scanned_at=at, now=at)
    as_(session, sec)
    meetings.mark_attendance(session, sec, meeting_id=m.id, invite_id=invites(session, m)[who].id, status="late",
                             now=at)
    session.info["org_scope"] = "all"
    progress = session.exec(select(StudyProgress).where(StudyProgress.task_id == task.id)).all()
    assert len(progress) == 1 and progress[0].member_id == who and progress[0].status == "completed"
    assert progress[0].credited_half == 3 and progress[0].source == f"attendance:meeting:{m.id}"
    assert invites(session, m)[who].credited_at is not None


def test_cancelled_lecture_withdraws_its_task(ctx, session, b):
    """Is the lecture task made for a 党课 withdrawn when the 党课 is cancelled?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], kind="lecture", title="党课")
    meetings.cancel_meeting(session, sec, meeting_id=m.id, reason="主讲人临时出差", now=NOW)
    assert session.get(StudyTask, m.study_task_id).archived_at is not None


# -- the repeat helper -------------------------------------------------------------------------------------------

def test_repeat_makes_real_rows_on_the_fixed_day(ctx, session, b):
    """Does the 主题党日 helper make one real row per month on the fixed day, each movable and cancellable alone?"""
    sec = principal(session, b["sec"])
    as_(session, sec)
    rows = meetings.repeat_theme_days(session, sec, unit_id=b["unit"].id, day=15, months=3, now=NOW,
                                      data=data(kind="theme_day", title="主题党日：走访慰问"))
    days = [meetings.local(r.starts_at) for r in rows]
    assert [(d.month, d.day, d.hour, d.minute) for d in days] == [(3, 15, 19, 30), (4, 15, 19, 30), (5, 15, 19, 30)]
    assert len({r.series for r in rows}) == 1 and len({r.uid for r in rows}) == 3
    assert meetings.settings_of(session, b["unit"].id).fixed_day == 15
    as_(session, sec)
    meetings.update_meeting(session, sec, meeting_id=rows[1].id, now=NOW,
                            data=data(kind="theme_day", title="主题党日", starts_at=rows[1].starts_at + timedelta(days=1)))
    meetings.cancel_meeting(session, sec, meeting_id=rows[2].id, reason="与上级活动冲突", now=NOW)
    session.info["org_scope"] = "all"
    fresh = [session.get(Meeting, r.id) for r in rows]
    assert fresh[0].starts_at == rows[0].starts_at and fresh[0].cancelled_at is None
    assert meetings.local(fresh[1].starts_at).day == 16 and fresh[2].cancelled_at is not None


@pytest.mark.parametrize("day, months", [(29, 3), (0, 3), (10, 0), (10, 13)])
def test_repeat_rules_that_make_no_sense_are_refused(ctx, session, b, day, months):
    """Is a fixed day outside 1-28 or a repeat of 0 or 13 months refused, nothing written?"""
    sec = principal(session, b["sec"])
    with pytest.raises(DomainError):
        meetings.repeat_theme_days(session, sec, unit_id=b["unit"].id, day=day, months=months, now=NOW,
                                   data=data(kind="theme_day"))
    assert count(session, Meeting) == 0


def test_repeat_dates_skip_a_day_already_past():
    """On the 20th, does the helper start next month for a fixed day of the 15th?"""
    from datetime import time

    from services.meetings import tz

    after = NOW.replace(day=20)
    dates = meetings.repeat_dates(day=15, months=2, start=time(19, 30), today=date(2026, 3, 20), first_after=after)
    assert [(d.month, d.day) for d in dates] == [(4, 15), (5, 15)] and dates[0].tzinfo == tz()


# -- minutes -------------------------------------------------------------------------------------------------------

def _held(session, b, **kw):
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"], **kw)
    return sec, m


def test_minutes_lock_and_addendum(ctx, session, b):
    """Can the secretary write minutes after the start, lock them once over, then only add dated addenda?"""
    sec, m = _held(session, b)
    with pytest.raises(DomainError) as e:
        meetings.save_minutes(session, sec, meeting_id=m.id, host_id=sec.id, recorder_id=b["c1"].id,
                              topics="议题", discussion_md="讨论", now=NOW)
    assert e.value.code == "not_started"
    session.info["org_scope"] = "all"
    m.starts_at, m.ends_at = NOW - timedelta(hours=3), NOW - timedelta(hours=1)  # as if it had been held
    session.add(m)
    session.commit()
    as_(session, sec)
    meetings.save_minutes(session, sec, meeting_id=m.id, host_id=sec.id, recorder_id=b["c1"].id,
                          topics="1. 传达上级精神", discussion_md="**讨论**<script>alert(1)</script>")
    minutes = session.exec(select(MeetingMinutes)).one()
    assert "<strong>讨论</strong>" in minutes.discussion_html and "<script" not in minutes.discussion_html
    with pytest.raises(DomainError) as e:
        meetings.add_addendum(session, sec, meeting_id=m.id, text="补充")
    assert e.value.code == "not_locked"
    meetings.add_decision(session, sec, meeting_id=m.id, text="同意接收张三为预备党员", votes_for=0, votes_against=0,
                          votes_abstain=0)
    with pytest.raises(DomainError) as e:
        meetings.add_decision(session, sec, meeting_id=m.id, text="无票数", votes_for=None)
    assert e.value.code == "votes_needed"
    with pytest.raises(DomainError) as e:
        meetings.add_decision(session, sec, meeting_id=m.id, text="票数太多", votes_for=5, votes_against=0,
                              votes_abstain=0)
    assert e.value.code == "too_many_votes"
    meetings.lock_minutes(session, sec, meeting_id=m.id)
    assert all(i.attendance == Attendance.absent for i in invites(session, m).values())  # the roll is fixed
    for call in (lambda: meetings.save_minutes(session, sec, meeting_id=m.id, host_id=None, recorder_id=None,
                                               topics="改", discussion_md=""),
                 lambda: meetings.add_decision(session, sec, meeting_id=m.id, text="再加一条", votes_for=0,
                                               votes_against=0, votes_abstain=0),
                 lambda: meetings.lock_minutes(session, sec, meeting_id=m.id),
                 lambda: meetings.mark_attendance(session, sec, meeting_id=m.id, status="present",
                                                  invite_id=next(iter(invites(session, m).values())).id)):
        with pytest.raises(DomainError) as e:
            call()
        assert e.value.code == "locked"
    meetings.add_addendum(session, sec, meeting_id=m.id, text="会后补充：张三的入党志愿书已存档。")
    rec = meetings.record(session, sec, meeting_id=m.id)
    assert rec.locked and len(rec.addenda) == 1 and rec.roll.quorum_ok is False
    assert rec.passed(rec.decisions[0]) is False  # below quorum: not valid


def test_lock_needs_the_meeting_over_and_the_fields(ctx, session, b):
    """Is locking refused before the end, and without host, recorder and topics?"""
    sec, m = _held(session, b)
    session.info["org_scope"] = "all"
    m.starts_at, m.ends_at = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    session.add(m)
    session.commit()
    as_(session, sec)
    meetings.save_minutes(session, sec, meeting_id=m.id, host_id=None, recorder_id=None, topics="", discussion_md="")
    with pytest.raises(DomainError) as e:
        meetings.lock_minutes(session, sec, meeting_id=m.id, now=NOW)
    assert e.value.code == "not_over"
    with pytest.raises(DomainError) as e:
        meetings.lock_minutes(session, sec, meeting_id=m.id, now=NOW + timedelta(hours=2))
    assert e.value.code == "incomplete"


@pytest.mark.parametrize("payload, code", [(b"GIF89a" + b"0" * 50, "bad_file_type"), (b"", "empty_file"),
                                           (b"\x89PNG\r\n\x1a\n" + b"0" * 3000, "file_too_large")])
def test_attachments_are_checked_by_content_and_size(ctx, app, session, b, payload, code):
    """Is a GIF, an empty file or an oversized photo refused with nothing stored?"""
    import io

    app.config["MEETING_UPLOAD_MAX_BYTES"] = 2000
    sec, m = _held(session, b)
    session.info["org_scope"] = "all"
    m.starts_at = NOW - timedelta(hours=1)
    session.add(m)
    session.commit()
    as_(session, sec)
    with pytest.raises(DomainError) as e:
        meetings.store_file(session, sec, meeting_id=m.id, stream=io.BytesIO(payload), filename="x.png")
    assert e.value.code == code
    ok = meetings.store_file(session, sec, meeting_id=m.id, stream=io.BytesIO(b"%PDF-1.4 signed sheet"),
                             filename="签到表.pdf")
    assert ok.mime == "application/pdf"
    row, path = meetings.file_for(session, sec, token=ok.token)
    assert path.read_bytes().startswith(b"%PDF")


# -- calendars -----------------------------------------------------------------------------------------------------

def test_ics_move_and_cancel(ctx, session, b):
    """Does the .ics parse, keep its UID with a higher SEQUENCE after a move, and carry METHOD:CANCEL once cancelled?"""
    sec = principal(session, b["sec"])
    m = schedule(session, sec, b["unit"])
    first = Calendar.from_ical(meetings.meeting_ics(session, m, url="https://example.org/meetings/1"))
    event = first.walk("VEVENT")[0]
    assert str(first["METHOD"]) == "PUBLISH" and b"REFRESH-INTERVAL" not in first.to_ical()
    assert event["DTSTART"].dt == m.starts_at and str(event["SUMMARY"]) == m.title
    assert first.walk("VALARM")
    as_(session, sec)
    moved = meetings.update_meeting(session, sec, meeting_id=m.id, now=NOW,
                                    data=data(starts_at=m.starts_at + timedelta(hours=2)))
    second = Calendar.from_ical(meetings.meeting_ics(session, moved, url="")).walk("VEVENT")[0]
    assert str(second["UID"]) == str(event["UID"]) and int(second["SEQUENCE"]) > int(event["SEQUENCE"])
    gone = meetings.cancel_meeting(session, sec, meeting_id=m.id, reason="改期", now=NOW)
    third = Calendar.from_ical(meetings.meeting_ics(session, gone, url=""))
    ev = third.walk("VEVENT")[0]
    assert str(third["METHOD"]) == "CANCEL" and str(ev["STATUS"]) == "CANCELLED"
    assert str(ev["UID"]) == str(event["UID"]) and int(ev["SEQUENCE"]) > int(second["SEQUENCE"])


def test_feed_lists_the_members_meetings_and_resets(ctx, session, b, factory):
    """Does the feed list every meeting the member is invited to (cancelled ones as such), and does a reset or a
    tampered token open nothing?"""
    sec = principal(session, b["sec"])
    a = schedule(session, sec, b["unit"], title="大会")
    c = schedule(session, sec, b["unit"], kind="committee", audience="committee", title="支委会")
    meetings.cancel_meeting(session, sec, meeting_id=a.id, reason="改期", now=NOW)
    member = b["members"][0]
    token = meetings.reset_feed(session, member_id=member.id)
    assert meetings.feed_member(session, token) == member.id
    assert meetings.feed_member(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    cal = Calendar.from_ical(meetings.feed_ics(session, member_id=member.id, url_for_meeting=lambda m: "", now=NOW))
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"大会"} and str(events["大会"]["STATUS"]) == "CANCELLED"
    assert c.id  # the committee meeting is not the member's
    again = meetings.reset_feed(session, member_id=member.id)
    assert meetings.feed_member(session, token) is None and meetings.feed_member(session, again) == member.id
    assert meetings.stop_feed(session, member_id=member.id) and meetings.feed_member(session, again) is None
