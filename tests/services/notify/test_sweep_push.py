"""The worker's sweep over Web Push, against the local push service stand-in (real VAPID and aes128gcm)."""
from datetime import timedelta

import pytest
from sqlmodel import select

from models import PushSubscription
from services import notify
from services.notify import sweeper as sweep_mod
from services.notify import webpush
from tests.services.notify.helpers import deliveries, local
from tests.standins.push_service import PushService

NOW = local(2026, 3, 10, 14, 0)  # a Tuesday afternoon: no quiet hours, no morning merge


@pytest.fixture
def push(app, tmp_path):
    app.config.update(PUSH_EXTRA_HOSTS="127.0.0.1", VAPID_KEY_FILE=str(tmp_path / "vapid.pem"))
    with PushService() as service:
        yield service


@pytest.fixture
def member(factory):
    return factory.member(factory.branch(), name="甲", password=None)


def subscribe(session, member, push, **kw):
    device = push.new_device(**kw)
    notify.subscribe(session, member_id=member.id, data=device.subscription())
    return device


def tell(session, member, key="k1", event_at=None, title="支部党员大会", body="周四 15:00 · 党群服务中心"):
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CHANGED, key=key,
                message=notify.Message(title, body, "/meetings/42"), event_at=event_at,
                subject="meeting:42", now=NOW)


def run(session, now=NOW):
    return notify.sweep(session, now=now, budget_seconds=20)


def test_a_due_push_is_encrypted_signed_and_sent_once(ctx, session, member, push):
    """Does the sweep send a due message once, decryptable by the device, with TTL, Urgency and Topic?"""
    subscribe(session, member, push)
    tell(session, member, event_at=NOW + timedelta(hours=30))
    result = run(session)
    assert result.sent == 1 and len(push.received) == 1
    got = push.received[0]
    assert got.payload["title"] == "支部党员大会" and got.payload["url"] == "/meetings/42"
    assert got.payload["tag"] == "meeting:42"
    assert got.ttl == 24 * 3600 and got.urgency == "normal" and len(got.topic) == 32 and got.size < 4096
    assert got.claims["aud"] == push.origin and got.claims["sub"].startswith("mailto:")
    row = deliveries(session, channel="push")[0]
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert run(session).claimed == 0 and len(push.received) == 1


def test_ttl_runs_until_the_meeting_and_urgency_is_high_only_in_the_last_hour(ctx, session, member, push):
    """Is TTL the time left (never 0) and Urgency high only within the hour before the meeting?"""
    subscribe(session, member, push)
    tell(session, member, key="soon", event_at=NOW + timedelta(minutes=40))
    tell(session, member, key="later", event_at=NOW + timedelta(hours=3))
    run(session)
    by_ttl = sorted((r.ttl, r.urgency) for r in push.received)
    assert by_ttl == [(40 * 60, "high"), (3 * 3600, "normal")]
    assert len({r.topic for r in push.received}) == 1  # one Topic per meeting and purpose


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted(ctx, session, member, push, status):
    """Do 404 and 410 delete the device, leaving the delivery skipped (the inbox has it)?"""
    device = subscribe(session, member, push)
    push.answer(device, status)
    tell(session, member)
    run(session)
    assert len(session.exec(select(PushSubscription)).all()) == 0
    row = deliveries(session, channel="push")[0]
    assert row.status == "skipped"
    assert notify.unread_count(session, member_id=member.id, now=NOW) == 1


def test_413_sends_the_short_payload(ctx, session, member, push):
    """Does a 413 make the sweep send the short payload to that device at once?"""
    device = subscribe(session, member, push)
    device.max_body = 700
    tell(session, member, body="很长的正文" * 80)
    run(session)
    row = deliveries(session, channel="push")[0]
    assert row.status == "sent" and row.small
    assert push.received[0].payload["body"] == "" and push.received[0].size <= 700


def test_429_waits_as_long_as_retry_after_says(ctx, session, member, push):
    """Is a 429 retried after its Retry-After, not before, and then sent?"""
    device = subscribe(session, member, push)
    push.answer(device, (429, {"Retry-After": "120"}))
    tell(session, member)
    run(session)
    row = deliveries(session, channel="push")[0]
    assert row.status == "pending" and row.attempts == 1 and row.claimed_at is None
    assert row.next_attempt_at == NOW + timedelta(seconds=120)
    assert run(session, NOW + timedelta(seconds=119)).claimed == 0
    run(session, NOW + timedelta(seconds=120))
    assert deliveries(session, channel="push")[0].status == "sent" and len(push.received) == 1


def test_5xx_backs_off_and_fails_after_the_last_attempt(app, ctx, session, member, push):
    """Do repeated 500s back off (60 s, 120 s, ...) and end as failed, the inbox still holding the message?"""
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    device = subscribe(session, member, push)
    push.answer(device, 500, 503, 500)
    tell(session, member)
    when = NOW
    waits = []
    for _ in range(3):
        run(session, when)
        row = deliveries(session, channel="push")[0]
        if row.status != "pending":
            break
        waits.append(int((row.next_attempt_at - when).total_seconds()))
        when = row.next_attempt_at
    assert waits == [60, 120]
    assert row.status == "failed" and row.attempts == 3 and "500" in row.last_error
    assert push.received == [] and len(session.exec(select(PushSubscription)).all()) == 1


def test_a_device_subscribed_with_another_key_is_dropped(ctx, session, member, push):
    """Is a subscription the push service rejects as foreign (403) deleted without retrying?"""
    subscribe(session, member, push, server_key="B" + "A" * 86)
    tell(session, member)
    result = run(session)
    assert result.retried == 0 and len(session.exec(select(PushSubscription)).all()) == 0
    assert push.refused[0][1] == 403


def test_a_stale_claim_is_released_and_sent_once(app, ctx, session, member, push):
    """Is a delivery claimed by a worker that died (no result after 5 minutes) taken again and sent once?"""
    subscribe(session, member, push)
    tell(session, member)
    from models.db import unscoped
    with unscoped(session):
        token, ids = sweep_mod.claim(session, now=NOW, limit=10)
    assert ids and run(session, NOW + timedelta(minutes=4)).claimed == 0  # still held
    result = run(session, NOW + timedelta(minutes=6))
    assert result.released == 1 and result.sent == 1 and len(push.received) == 1


def test_withdrawn_reminders_are_not_sent(ctx, session, member, push):
    """Is a reminder withdrawn after being claimed cancelled rather than sent?"""
    subscribe(session, member, push)
    notify.schedule(session, subject="meeting:7", now=NOW - timedelta(hours=2), reminders=[notify.Reminder(
        member_id=member.id, purpose=notify.MEETING_REMINDER, due_at=NOW - timedelta(minutes=1),
        message=notify.Message("会议提醒"), event_at=NOW + timedelta(hours=1))])
    from models.db import unscoped
    with unscoped(session):
        token, ids = sweep_mod.claim(session, now=NOW, limit=10)
    notify.withdraw(session, subject="meeting:7", now=NOW)
    with unscoped(session):
        result = sweep_mod.dispatch(session, token=token, ids=ids, now=NOW)
    assert result.skipped == 1 and push.received == []
    assert deliveries(session, channel="push")[0].status == "cancelled"


def test_morning_reminders_go_out_merged(ctx, session, member, push):
    """Are a member's reminders due the same morning (events far off) sent as one message?"""
    subscribe(session, member, push)
    morning = local(2026, 3, 10, 8, 0)
    reminders = [notify.Reminder(member_id=member.id, purpose=notify.MEETING_REMINDER,
                                 due_at=morning + timedelta(minutes=m), message=notify.Message(t, "", f"/meetings/{i}"),
                                 event_at=morning + timedelta(days=1, minutes=m))
                 for i, (m, t) in enumerate([(0, "支委会"), (90, "党小组会"), (150, "党课")])]
    for i, r in enumerate(reminders):
        notify.schedule(session, subject=f"meeting:{i}", reminders=[r], now=morning - timedelta(days=2))
    result = run(session, morning)
    assert len(push.received) == 1 and result.merged == 2
    payload = push.received[0].payload
    assert payload["count"] == 3 and "党课" in payload["body"] and payload["url"] == "/inbox/"
    assert {d.status for d in deliveries(session, channel="push")} == {"sent"}


def test_deliver_now_sends_the_test_message_at_once(ctx, session, member, push):
    """Does deliver_now send only the given notification's deliveries?"""
    subscribe(session, member, push)
    tell(session, member, key="other")
    notify.send(session, member_ids=[member.id], purpose=notify.TEST, key="t1", message=notify.Message("测试"), now=NOW)
    test_id = [n.id for n in notify.for_member(session, member_id=member.id, now=NOW) if n.purpose == "test"]
    result = notify.deliver_now(session, notification_ids=test_id, now=NOW)
    assert result.sent == 1 and [r.payload["title"] for r in push.received] == ["测试"]


def test_bad_subscriptions_are_refused_with_a_message(ctx, session, member, push):
    """Are malformed and foreign subscriptions refused with a clear DomainError?"""
    good = push.new_device().subscription()
    bad = [None, {}, {"endpoint": good["endpoint"]}, {**good, "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}},
           {**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "x"}},
           {**good, "endpoint": "http://evil.example/push/1"}, {**good, "endpoint": "https://10.0.0.1/push"},
           {**good, "endpoint": "https://localhost/push"}, {**good, "endpoint": "ftp://x"},
           {**good, "keys": {"p256dh": "B" + "A" * 86, "auth": good["keys"]["auth"]}}]
    from services.errors import DomainError
    for data in bad:
        with pytest.raises(DomainError) as err:
            webpush.check_subscription(data)
        assert err.value.code in ("bad_subscription", "foreign_subscription")
    assert webpush.check_subscription(good)["endpoint"] == good["endpoint"]


def test_forget_devices_and_one_device_per_endpoint(ctx, session, member, factory, push):
    """Does a re-subscribed endpoint move to the new member, and forget_devices remove all of a member's?"""
    other = factory.member(factory.branch(), name="乙", password=None)
    device = push.new_device()
    notify.subscribe(session, member_id=member.id, data=device.subscription())
    notify.subscribe(session, member_id=other.id, data=device.subscription())
    assert notify.device_count(session, member_id=member.id) == 0
    assert notify.device_count(session, member_id=other.id) == 1
    subscribe(session, other, push)
    assert notify.forget_devices(session, member_id=other.id) == 2
    assert notify.device_count(session, member_id=other.id) == 0


def test_payload_stays_small_and_vapid_key_is_made_once(app, ctx, tmp_path):
    """Is the payload cut under 3000 bytes, and is the VAPID key generated once and then reused?"""
    raw = webpush.payload(title="标" * 120, body="字" * 5000, url="/x", tag="t")
    assert len(raw) <= webpush.MAX_PAYLOAD
    first = webpush.public_key()
    webpush._cache.clear()
    assert webpush.public_key() == first and len(first) == 87


def test_a_device_added_later_gets_the_coming_reminders(ctx, session, member, push):
    """Does turning push on after reminders were scheduled add push deliveries for the coming ones only?"""
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    meeting = now + timedelta(days=2)
    notify.schedule(session, subject="meeting:9", now=now, reminders=[notify.Reminder(
        member_id=member.id, purpose=notify.MEETING_REMINDER, due_at=meeting - timedelta(hours=h),
        message=notify.Message("会议提醒"), event_at=meeting) for h in (24, 1)])
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CHANGED, key="old",
                message=notify.Message("早先的通知"), now=now - timedelta(hours=3))
    assert deliveries(session, channel="push") == []
    subscribe(session, member, push)
    rows = deliveries(session, channel="push")
    assert sorted(r.next_attempt_at for r in rows) == [meeting - timedelta(hours=24), meeting - timedelta(hours=1)]
    subscribe(session, member, push)  # a second device: no second set of rows
    assert len(deliveries(session, channel="push")) == 2
