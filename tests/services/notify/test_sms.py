"""Text messages through the Aliyun SendSms adapter, against a local stand-in that checks the signature."""
from datetime import timedelta

import pytest

from models import Member
from services import notify
from services.notify import sms
from tests.services.notify.helpers import deliveries, local
from tests.standins.sms_provider import SmsProvider

AFTERNOON = local(2026, 3, 10, 14, 0)


@pytest.fixture
def provider(app):
    with SmsProvider() as p:
        app.config.update(p.config())
        yield p


@pytest.fixture
def member(factory):
    return factory.member(factory.branch(), name="甲", password=None, phone="13912345678")


def cancel(session, member, n=1, now=AFTERNOON):
    for i in range(n):
        notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CANCELLED, key=f"c{i}", important=True,
                    message=notify.Message(f"会议取消：支部党员大会{i}", "原因：场地维修", "/meetings/4"),
                    event_at=now + timedelta(days=1), now=now)


def test_the_signature_matches_aliyuns_documented_example():
    """Does the adapter's RPC signature reproduce the example in Aliyun's SendSms documentation?"""
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert sms.sign(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_an_important_message_goes_by_text_once(ctx, session, member, provider):
    """Is a cancellation sent as one signed SendSms with the purpose's template, the title and the time?"""
    cancel(session, member)
    result = notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    assert result.sent == 1 and len(provider.sent) == 1 and provider.errors == []
    got = provider.sent[0]
    assert got["PhoneNumbers"] == "13912345678" and got["TemplateCode"] == "SMS_200" and got["SignName"] == "服务圈"
    assert got["variables"]["title"].startswith("会议取消") and got["variables"]["time"] == "03-11 14:00"
    row = deliveries(session, channel="sms")[0]
    assert row.status == "sent" and got["OutId"] == f"d{row.id}"
    assert notify.sweep(session, now=AFTERNOON, budget_seconds=10).claimed == 0 and len(provider.sent) == 1


def test_only_important_reminders_get_a_text(ctx, session, member, provider):
    """Does an unimportant reminder make no SMS delivery, while the important 1-hour one does?"""
    meeting = AFTERNOON + timedelta(hours=26)
    reminders = [notify.Reminder(member_id=member.id, purpose=notify.MEETING_REMINDER, due_at=meeting - timedelta(hours=h),
                                 message=notify.Message("会议提醒：支部党员大会"), event_at=meeting, important=h == 1)
                 for h in (24, 1)]
    notify.schedule(session, subject="meeting:5", reminders=reminders, now=AFTERNOON)
    rows = deliveries(session, channel="sms")
    assert len(rows) == 1 and rows[0].next_attempt_at == meeting - timedelta(hours=1)


def test_daily_limit_per_phone(app, ctx, session, member, provider):
    """Are texts beyond the per-phone daily limit skipped (the inbox still has them)?"""
    app.config["SMS_DAILY_LIMIT"] = 2
    cancel(session, member, n=3)
    notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    statuses = sorted(d.status for d in deliveries(session, channel="sms"))
    assert statuses == ["sent", "sent", "skipped"] and len(provider.sent) == 2
    assert [d.last_error for d in deliveries(session, channel="sms") if d.status == "skipped"] == ["daily limit"]
    cancel(session, member, n=1, now=AFTERNOON + timedelta(days=1))  # a new day, a new count
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CANCELLED, key="next-day", important=True,
                message=notify.Message("会议取消"), event_at=AFTERNOON + timedelta(days=2),
                now=AFTERNOON + timedelta(days=1))
    notify.sweep(session, now=AFTERNOON + timedelta(days=1), budget_seconds=10)
    assert len(provider.sent) == 3


def test_never_in_quiet_hours(ctx, session, member, provider):
    """Is a text whose retry falls in quiet hours held until 08:00 (or dropped when that is after the event)?"""
    evening = local(2026, 3, 10, 21, 0)
    cancel(session, member, now=evening)
    provider.answers.append("isp.SYSTEM_ERROR")
    notify.sweep(session, now=evening, budget_seconds=10)
    row = deliveries(session, channel="sms")[0]
    assert row.status == "pending" and row.attempts == 1
    late = local(2026, 3, 10, 22, 0)
    notify.sweep(session, now=late, budget_seconds=10)
    row = deliveries(session, channel="sms")[0]
    assert row.next_attempt_at == local(2026, 3, 11, 8, 0) and provider.sent == []
    notify.sweep(session, now=local(2026, 3, 11, 8, 0), budget_seconds=10)
    assert deliveries(session, channel="sms")[0].status == "sent" and len(provider.sent) == 1


@pytest.mark.parametrize("code,status", [("isv.BUSINESS_LIMIT_CONTROL", "pending"), ("isp.SYSTEM_ERROR", "pending"),
                                         ("isv.MOBILE_NUMBER_ILLEGAL", "failed"), ("isv.AMOUNT_NOT_ENOUGH", "failed")])
def test_provider_error_codes(ctx, session, member, provider, code, status):
    """Are throttling and system errors retried later, and final errors recorded as failed with the code?"""
    provider.answers.append(code)
    cancel(session, member)
    notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    row = deliveries(session, channel="sms")[0]
    assert row.status == status and row.last_error == code


def test_a_wrong_secret_is_refused_by_the_signature_check(app, ctx, session, member, provider):
    """Does the stand-in refuse a request signed with another secret, and the delivery fail with its code?"""
    app.config["SMS_ACCESS_KEY_SECRET"] = "wrong"
    cancel(session, member)
    notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    assert provider.errors == ["SignatureDoesNotMatch"] and provider.sent == []
    assert deliveries(session, channel="sms")[0].status == "failed"


def test_an_unreachable_provider_is_retried(app, ctx, session, member, provider):
    """Is a provider that does not answer retried with backoff, never a crash?"""
    app.config["SMS_ENDPOINT"] = "http://127.0.0.1:9/"
    cancel(session, member)
    result = notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    row = deliveries(session, channel="sms")[0]
    assert result.retried == 1 and row.status == "pending" and row.last_error == "network"
    assert row.next_attempt_at == AFTERNOON + timedelta(seconds=60)


def test_bad_phone_numbers_fail_without_a_retry(ctx, session, member, provider):
    """Is a number the provider calls illegal failed at once?"""
    with session.begin_nested():
        m = session.get(Member, member.id)
        m.phone = "12345"
    session.commit()
    cancel(session, member)
    notify.sweep(session, now=AFTERNOON, budget_seconds=10)
    assert deliveries(session, channel="sms")[0].last_error == "isv.MOBILE_NUMBER_ILLEGAL"
