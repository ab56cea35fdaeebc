"""The outbox API: send, schedule, withdraw, the inbox reading them, quiet hours at creation, preferences."""
from datetime import timedelta

import pytest

from models import Delivery
from services import notify
from services.errors import DomainError, NotFound
from services.notify import preferences
from tests.services.notify.helpers import deliveries, device, local, notifications

NOW = local(2026, 3, 10, 10, 0)  # a Tuesday morning in Shenzhen
MEETING = local(2026, 3, 12, 15, 0)


@pytest.fixture
def people(factory, session):
    branch = factory.branch()
    a = factory.member(branch, name="甲", password=None)
    b = factory.member(branch, name="乙", password=None)
    c = factory.member(branch, name="丙", password=None)
    device(session, a)
    device(session, b)
    return {"a": a, "b": b, "c": c, "branch": branch}


def plan(people, *, at=MEETING, who=("a", "b", "c"), offsets=(24, 1), important_last=False, title="支部党员大会"):
    """The reminders a meeting engineer would pass: each member, each offset before the meeting."""
    msg = notify.Message(title, "在党群服务中心二楼", "/meetings/42")
    return [notify.Reminder(member_id=people[k].id, purpose=notify.MEETING_REMINDER, due_at=at - timedelta(hours=h),
                            message=msg, event_at=at, important=important_last and h == min(offsets))
            for k in who for h in offsets]


def test_send_tells_now_and_once_per_member_purpose_and_key(ctx, session, people):
    """Does send write one notification per member, in the inbox at once, and a repeat nothing new?"""
    ids = [people["a"].id, people["b"].id, people["c"].id]
    msg = notify.Message("会议改期", "改至周五", "/meetings/42")
    assert notify.send(session, member_ids=ids, purpose=notify.MEETING_CHANGED, key="m42:v2", message=msg, now=NOW) == 3
    assert notify.send(session, member_ids=ids, purpose=notify.MEETING_CHANGED, key="m42:v2", message=msg, now=NOW) == 0
    assert notify.send(session, member_ids=ids, purpose=notify.LEAVE_DECISION, key="m42:v2", message=msg, now=NOW) == 3
    assert notify.unread_count(session, member_id=people["a"].id, now=NOW) == 2
    inbox = notify.for_member(session, member_id=people["c"].id, now=NOW)
    assert [n.url for n in inbox] == ["/meetings/42", "/meetings/42"]
    # push rows only for the members with a device; no SMS unless configured
    push = deliveries(session, channel="push")
    assert sorted({d.member_id for d in push}) == sorted([people["a"].id, people["b"].id])
    assert len(push) == 4 and all(d.status == "pending" and d.next_attempt_at == NOW for d in push)
    assert deliveries(session, channel="sms") == []


def test_send_to_nobody_and_bad_input(ctx, session, people):
    """Are an empty list, unknown purposes, bad ids, naive times, foreign links and empty titles handled?"""
    msg = notify.Message("标题")
    assert notify.send(session, member_ids=[], purpose=notify.TEST, key="k", message=msg) == 0
    for bad in ([2**63], [True], ["1"], [-1]):
        with pytest.raises(DomainError):
            notify.send(session, member_ids=bad, purpose=notify.TEST, key="k", message=msg)
    with pytest.raises(DomainError):
        notify.send(session, member_ids=[people["a"].id], purpose="fax", key="k", message=msg)
    with pytest.raises(DomainError):
        notify.send(session, member_ids=[people["a"].id], purpose=notify.TEST, key="", message=msg)
    with pytest.raises(DomainError):
        notify.send(session, member_ids=[people["a"].id], purpose=notify.TEST, key="k", message=notify.Message(" \n"))
    with pytest.raises(DomainError):
        notify.send(session, member_ids=[people["a"].id], purpose=notify.TEST, key="k", message="hi")
    with pytest.raises(DomainError):
        notify.send(session, member_ids=[people["a"].id], purpose=notify.TEST, key="k", message=msg,
                    event_at=MEETING.replace(tzinfo=None))
    session.rollback()
    odd = notify.Message("第一行\n第二行\x07" + "长" * 200, "正文\x00" + "字" * 600, "//evil.example/x")
    notify.send(session, member_ids=[people["a"].id], purpose=notify.TEST, key="odd", message=odd, now=NOW)
    row = notifications(session, key="odd")[0]
    assert "\n" not in row.title and "\x07" not in row.title and len(row.title) == 120
    assert "\x00" not in row.body and len(row.body) == 500 and row.url == ""


def test_scheduled_reminders_reach_the_inbox_when_due(ctx, session, people):
    """Are scheduled reminders invisible until due, then counted, with push rows at their times?"""
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    a = people["a"].id
    assert notify.unread_count(session, member_id=a, now=NOW) == 0
    day_before = MEETING - timedelta(hours=24)
    assert notify.unread_count(session, member_id=a, now=day_before) == 1
    assert notify.unread_count(session, member_id=a, now=MEETING) == 2
    push = deliveries(session, channel="push", member_id=a)
    assert sorted(d.next_attempt_at for d in push) == [day_before, MEETING - timedelta(hours=1)]
    with pytest.raises(NotFound):  # not yet in the inbox
        notify.mark_read(session, member_id=a, notification_id=notifications(session, member_id=a)[1].id, now=NOW)


def test_schedule_again_replaces_pending_without_duplicates(ctx, session, people):
    """Does re-timing a meeting replace its untold reminders, leave told ones, and never duplicate?"""
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    assert len(notifications(session, subject="meeting:42")) == 6
    assert len(deliveries(session, channel="push")) == 4
    # the 24-hour reminder of member a was told (its push went out); then the meeting moves a day later
    later = NOW + timedelta(hours=30)  # after the 24-hour reminder, before the meeting
    first = [n for n in notifications(session, member_id=people["a"].id) if n.due_at == MEETING - timedelta(hours=24)][0]
    sent = deliveries(session, notification_id=first.id)[0]
    sent.status, sent.sent_at = "sent", later
    session.add(sent)
    session.commit()
    moved = MEETING + timedelta(days=1)
    notify.schedule(session, subject="meeting:42", reminders=plan(people, at=moved), now=later)
    rows = notifications(session, subject="meeting:42")
    assert {(n.member_id, n.due_at) for n in rows if n.event_at == moved} == {
        (people[k].id, moved - timedelta(hours=h)) for k in "abc" for h in (24, 1)}
    stale = [n for n in rows if n.event_at == MEETING]
    # told reminders stay in the inbox (all three were due by `later`); the untold 1-hour ones are gone
    assert sorted(n.member_id for n in stale) == sorted(people[k].id for k in "abc")
    assert all(n.due_at == MEETING - timedelta(hours=24) for n in stale)
    # the stale one whose push never went out is cancelled; the sent one stays sent
    b_stale = [n for n in stale if n.member_id == people["b"].id][0]
    assert [d.status for d in deliveries(session, notification_id=b_stale.id)] == ["cancelled"]
    assert deliveries(session, notification_id=first.id)[0].status == "sent"
    # scheduling the same plan again changes nothing
    before = [(n.id, n.due_at) for n in notifications(session, subject="meeting:42")]
    notify.schedule(session, subject="meeting:42", reminders=plan(people, at=moved), now=later)
    assert [(n.id, n.due_at) for n in notifications(session, subject="meeting:42")] == before


def test_leave_or_decline_drops_the_members_reminders(ctx, session, people):
    """Does a plan without a member (leave approved, declined) remove that member's untold reminders only?"""
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    notify.schedule(session, subject="meeting:42", reminders=plan(people, who=("a", "c")), now=NOW)
    assert {n.member_id for n in notifications(session, subject="meeting:42")} == {people["a"].id, people["c"].id}
    assert {d.member_id for d in deliveries(session)} == {people["a"].id}
    # after the 24-hour reminder was due, b's told reminder stays but nothing more is sent for it
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    due_day = MEETING - timedelta(hours=23)
    notify.schedule(session, subject="meeting:42", reminders=plan(people, who=("a", "c")), now=due_day)
    b_rows = notifications(session, member_id=people["b"].id)
    assert len(b_rows) == 1 and b_rows[0].due_at == MEETING - timedelta(hours=24)
    assert [d.status for d in deliveries(session, member_id=people["b"].id)] == ["cancelled"]
    assert [d.status for d in deliveries(session, member_id=people["a"].id)] == ["pending", "pending"]


def test_withdraw_removes_untold_and_keeps_told(ctx, session, people):
    """Does withdrawing a cancelled meeting remove untold reminders, keep sent ones, and never touch a claimed row?"""
    notify.schedule(session, subject="meeting:42", reminders=plan(people), now=NOW)
    told_at = MEETING - timedelta(hours=20)
    a_rows = {n.due_at: n for n in notifications(session, member_id=people["a"].id)}
    a_day = deliveries(session, notification_id=a_rows[MEETING - timedelta(hours=24)].id)[0]
    a_day.status, a_day.sent_at = "sent", told_at
    b_day = [d for d in deliveries(session, member_id=people["b"].id) if d.next_attempt_at < told_at][0]
    b_day.claimed_at, b_day.claim_token = told_at, "w1"  # a worker holds it right now
    session.add_all([a_day, b_day])
    session.commit()
    assert notify.withdraw(session, subject="meeting:42", now=told_at) == 6
    rows = notifications(session, subject="meeting:42")
    assert len(rows) == 3 and all(n.withdrawn_at == told_at for n in rows)  # the three 24-hour ones were told
    assert {d.status for d in deliveries(session)} == {"sent", "pending"}  # b's claimed row is the worker's
    assert notify.unread_count(session, member_id=people["c"].id, now=told_at) == 0
    assert notify.withdraw(session, subject="meeting:42", now=told_at) == 0
    # the cancellation itself goes to everyone, important, and is always sent
    n = notify.send(session, member_ids=[people[k].id for k in "abc"], purpose=notify.MEETING_CANCELLED,
                    key="meeting:42:cancelled", message=notify.Message("会议取消"), important=True,
                    subject="meeting:42", now=told_at)
    assert n == 3 and notify.unread_count(session, member_id=people["c"].id, now=told_at) == 1


def test_schedule_drops_past_events_and_late_reminders(ctx, session, people):
    """Is a meeting already over not reminded, and a late 24-hour reminder dropped when the 1-hour one is near?"""
    soon = NOW + timedelta(hours=2, minutes=30)
    notify.schedule(session, subject="meeting:7", reminders=plan(people, at=soon, who=("a",)), now=NOW)
    rows = notifications(session, subject="meeting:7")
    assert [n.due_at for n in rows] == [soon - timedelta(hours=1)]
    near = NOW + timedelta(hours=20)  # created 20 h ahead: the 24-hour reminder goes now
    notify.schedule(session, subject="meeting:8", reminders=plan(people, at=near, who=("a",)), now=NOW)
    assert sorted(n.due_at for n in notifications(session, subject="meeting:8")) == [NOW, near - timedelta(hours=1)]
    notify.schedule(session, subject="meeting:9", reminders=plan(people, at=NOW - timedelta(minutes=5), who=("a",)),
                    now=NOW)
    assert notifications(session, subject="meeting:9") == []
    with pytest.raises(DomainError):
        notify.schedule(session, subject="", reminders=[], now=NOW)
    with pytest.raises(DomainError):
        notify.schedule(session, subject="meeting:1", reminders=["x"], now=NOW)


def test_quiet_hours_hold_push_until_eight_unless_the_event_is_near(ctx, session, people):
    """Is a reminder due at 23:00 pushed at 08:00, and one for an event within 2 h pushed at once?"""
    late = local(2026, 3, 10, 23, 0)
    far = notify.Reminder(member_id=people["a"].id, purpose=notify.MEETING_REMINDER, due_at=late,
                          message=notify.Message("明早会议"), event_at=local(2026, 3, 11, 9, 0))
    near = notify.Reminder(member_id=people["b"].id, purpose=notify.MEETING_REMINDER, due_at=late,
                           message=notify.Message("紧急会议"), event_at=late + timedelta(minutes=90))
    notify.schedule(session, subject="meeting:5", reminders=[far, near], now=NOW)
    by_member = {d.member_id: d.next_attempt_at for d in deliveries(session, channel="push")}
    assert by_member == {people["a"].id: local(2026, 3, 11, 8, 0), people["b"].id: late}
    # the inbox shows it when due, quiet hours or not
    assert notify.unread_count(session, member_id=people["a"].id, now=late) == 1


def test_sms_only_for_important_when_configured_and_never_in_quiet_hours(app, ctx, session, people):
    """Does SMS get a row only for important messages, configured templates, and daytime (held or skipped)?"""
    app.config.update(SMS_PROVIDER="aliyun", SMS_ACCESS_KEY_ID="id", SMS_ACCESS_KEY_SECRET="s", SMS_SIGN_NAME="服务圈",
                      SMS_TEMPLATES="meeting_cancelled=SMS_1,meeting_reminder=SMS_2")
    msg = notify.Message("会议取消")
    ids = [people[k].id for k in "abc"]
    notify.send(session, member_ids=ids, purpose=notify.MEETING_CANCELLED, key="c1", message=msg, important=True,
                now=NOW)
    notify.send(session, member_ids=ids, purpose=notify.MEETING_CHANGED, key="c2", message=msg, important=True,
                now=NOW)  # no template for it
    notify.send(session, member_ids=ids, purpose=notify.MEETING_REMINDER, key="c3", message=msg, now=NOW)
    assert len(deliveries(session, channel="sms")) == 3
    night = local(2026, 3, 10, 23, 30)
    notify.send(session, member_ids=ids, purpose=notify.MEETING_CANCELLED, key="c4", message=msg, important=True,
                event_at=local(2026, 3, 11, 10, 0), now=night)
    notify.send(session, member_ids=ids, purpose=notify.MEETING_CANCELLED, key="c5", message=msg, important=True,
                event_at=local(2026, 3, 11, 7, 0), now=night)
    held = [d for d in deliveries(session, channel="sms") if d.next_attempt_at > NOW]
    assert len(held) == 3 and {d.next_attempt_at for d in held} == {local(2026, 3, 11, 8, 0)}
    pushes = sorted({d.next_attempt_at for d in deliveries(session, channel="push") if d.next_attempt_at > NOW})
    # c5's event at 07:00: push held only until it is 2 h away (05:00); no SMS at all (it would come after)
    assert pushes == [local(2026, 3, 11, 5, 0), local(2026, 3, 11, 8, 0)]
    assert session.get(Delivery, held[0].id).channel == "sms"


def test_preferences_turn_a_channel_off_but_never_cancellations(ctx, session, people):
    """Does a member's choice stop push for a purpose, keep cancellations, and refuse unknown channels?"""
    a = people["a"].id
    preferences.save(session, member_id=a, enabled=["meeting_changed:push", "meeting_changed:sms"])
    grid = preferences.grid(session, member_id=a)
    assert grid[("meeting_reminder", "push")] is False and grid[("meeting_changed", "push")] is True
    assert grid[("meeting_cancelled", "push")] is True
    with pytest.raises(DomainError):
        preferences.save(session, member_id=a, enabled=["meeting_reminder:fax"])
    with pytest.raises(DomainError):
        preferences.save(session, member_id=a, enabled=["test:push"])
    assert preferences.grid(session, member_id=a) == grid  # nothing half-written
    notify.schedule(session, subject="meeting:42", reminders=plan(people, who=("a", "b")), now=NOW)
    assert {d.member_id for d in deliveries(session)} == {people["b"].id}
    notify.send(session, member_ids=[a], purpose=notify.MEETING_CANCELLED, key="x", message=notify.Message("取消"),
                now=NOW)
    assert [d.member_id for d in deliveries(session, channel="push") if d.member_id == a] == [a]
    assert notify.unread_count(session, member_id=a, now=MEETING) == 3  # the inbox has everything


def test_inbox_marks_only_the_members_own(ctx, session, people):
    """Can a member mark their own message read (once), all read, and never another member's?"""
    ids = [people["a"].id, people["b"].id]
    for key in ("k1", "k2"):
        notify.send(session, member_ids=ids, purpose=notify.STUDY_DUE, key=key, message=notify.Message("学习提醒"),
                    now=NOW)
    mine = notify.for_member(session, member_id=people["a"].id, now=NOW)
    with pytest.raises(NotFound):
        notify.mark_read(session, member_id=people["b"].id, notification_id=mine[0].id, now=NOW)
    notify.mark_read(session, member_id=people["a"].id, notification_id=mine[0].id, now=NOW)
    notify.mark_read(session, member_id=people["a"].id, notification_id=mine[0].id, now=NOW)
    assert notify.unread_count(session, member_id=people["a"].id, now=NOW) == 1
    assert notify.mark_all_read(session, member_id=people["b"].id, now=NOW) == 2
    assert notify.unread_count(session, member_id=people["b"].id, now=NOW) == 0
