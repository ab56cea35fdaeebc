"""Reminder settings and this device's push switch through the client; the tab bar's unread badge."""
import re

import pytest
from sqlmodel import select

from models import NotifyPreference
from services import notify
from tests.conftest import csrf_from
from tests.standins.push_service import PushService


@pytest.fixture
def push(app, tmp_path):
    app.config.update(PUSH_EXTRA_HOSTS="127.0.0.1", VAPID_KEY_FILE=str(tmp_path / "vapid.pem"))
    with PushService() as service:
        yield service


@pytest.fixture
def member(factory, auth):
    m = factory.member(factory.branch(), name="甲")
    auth.login(m.phone)
    return m


def prefs(session, member) -> dict:
    """The member's stored choices (the read ends its transaction: the app shares the test's connection)."""
    rows = {(r.purpose, r.channel): r.enabled for r in session.exec(select(NotifyPreference).where(
        NotifyPreference.member_id == member.id)).all()}
    session.rollback()
    return rows


def post_json(client, path, body, page="/me/"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def test_me_shows_the_push_switch_without_asking_on_load(client, member, push):
    """Does 我的 carry the VAPID key and a 开启推送 button, and the settings link, with nothing asked on load?"""
    html = client.get("/me/").get_data(as_text=True)
    assert 'id="push-box"' in html and 'data-key="' in html and "开启推送" in html
    assert "/inbox/settings" in html and "js/push.js" in html
    js = client.get("/static/js/push.js").get_data(as_text=True)
    # permission and subscription only inside the tap handler
    assert js.index("requestPermission") > js.index('on.addEventListener("click"')


def test_subscribe_test_and_turn_off(client, member, session, push):
    """Can a member turn push on with a real subscription, get the test notification, and turn it off?"""
    device = push.new_device()
    answer = post_json(client, "/push/subscribe", {"subscription": device.subscription()})
    assert answer.status_code == 200 and answer.json["ok"] and "已开启" in answer.json["message"]
    assert notify.device_count(session, member_id=member.id) == 1
    sent = post_json(client, "/push/test", {"endpoint": device.endpoint})
    assert sent.status_code == 200 and "测试通知已发送" in sent.json["message"]
    assert [r.payload["title"] for r in push.received] == ["测试通知"]
    assert push.received[0].payload["url"] == "/inbox/"
    off = post_json(client, "/push/unsubscribe", {"endpoint": device.endpoint})
    assert off.status_code == 200 and notify.device_count(session, member_id=member.id) == 0
    again = post_json(client, "/push/test", {"endpoint": device.endpoint})
    assert again.status_code == 400 and "请先开启" in again.json["message"]


@pytest.mark.parametrize("body", [
    {}, {"subscription": "x"}, {"subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/abc"}},
    {"subscription": {"endpoint": "https://192.168.1.1/push", "keys": {"p256dh": "x", "auth": "y"}}},
    [1, 2], {"subscription": {"endpoint": "https://fcm.googleapis.com/x" + "a" * 2000, "keys": {}}},
])
def test_malformed_or_foreign_subscriptions_get_a_message(client, member, session, body):
    """Are malformed and foreign subscriptions refused with a Chinese message, never a 500?"""
    answer = post_json(client, "/push/subscribe", body)
    assert answer.status_code == 400 and not answer.json["ok"]
    assert "推送" in answer.json["message"]
    assert notify.device_count(session, member_id=member.id) == 0


def test_a_subscription_the_push_service_refuses_is_dropped_with_a_message(client, member, session, push):
    """When the push service answers 410 to the test, is push turned off with a clear message (409)?"""
    device = push.new_device()
    post_json(client, "/push/subscribe", {"subscription": device.subscription()})
    push.answer(device, 410)
    answer = post_json(client, "/push/test", {"endpoint": device.endpoint})
    assert answer.status_code == 409 and answer.json["dropped"] and "重新开启" in answer.json["message"]
    assert notify.device_count(session, member_id=member.id) == 0


def test_push_routes_need_csrf_and_sign_in(client, factory, push):
    """Do the push routes refuse a post without CSRF, and without a signed-in member?"""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/push/subscribe", json={}, headers={"X-CSRFToken": token}).status_code in (302, 401)
    m = factory.member(factory.branch(), name="乙")
    from tests.conftest import Auth
    Auth(client).login(m.phone)
    assert client.post("/push/subscribe", json={"subscription": push.new_device().subscription()}).status_code == 400


def test_one_member_cannot_turn_off_anothers_device(app, client, factory, member, session, push):
    """Does unsubscribing someone else's endpoint leave it in place?"""
    other = factory.member(factory.branch(), name="乙", password=None)
    device = push.new_device()
    with app.app_context():
        notify.subscribe(session, member_id=other.id, data=device.subscription())
    post_json(client, "/push/unsubscribe", {"endpoint": device.endpoint})
    assert notify.device_count(session, member_id=other.id) == 1


def test_settings_save_choices_and_refuse_unknown_channels(client, member, session, auth):
    """Do the settings save per-channel choices, keep cancellations on, and refuse an unknown channel clearly?"""
    page = client.get("/inbox/settings").get_data(as_text=True)
    assert "提醒方式" in page and "会议取消" in page and "始终发送" in page
    assert 'value="meeting_cancelled:push" checked disabled' in page
    answer = auth.post("/inbox/settings", {"choice": ["meeting_reminder:push", "study_due:push"]}, page="/inbox/settings")
    assert answer.status_code == 302
    rows = prefs(session, member)
    assert rows[("meeting_reminder", "push")] and not rows[("leave_decision", "push")]
    assert ("meeting_cancelled", "push") not in rows
    bad = auth.post("/inbox/settings", {"choice": ["meeting_reminder:fax"]}, page="/inbox/settings")
    assert bad.status_code == 400 and "所选项不在可选的提醒方式之中" in bad.get_data(as_text=True)
    still = prefs(session, member)
    assert still == rows


def test_sms_column_only_when_configured_and_kept_when_hidden(app, client, member, session, auth):
    """Is the SMS column shown only when texts are configured, and are hidden SMS choices kept on save?"""
    page = client.get("/inbox/settings").get_data(as_text=True)
    assert '<th scope="col">短信</th>' not in page
    hidden = re.findall(r'<input type="hidden" name="choice" value="([^"]+)">', page)
    assert "meeting_reminder:sms" in hidden  # what the browser sends back untouched
    auth.post("/inbox/settings", {"choice": ["meeting_reminder:push", *hidden]}, page="/inbox/settings")
    rows = prefs(session, member)
    assert rows[("meeting_reminder", "push")] and rows[("meeting_reminder", "sms")]  # hidden, kept on
    app.config.update(SMS_PROVIDER="aliyun", SMS_ACCESS_KEY_ID="id", SMS_ACCESS_KEY_SECRET="s", SMS_SIGN_NAME="服务圈")
    assert '<th scope="col">短信</th>' in client.get("/inbox/settings").get_data(as_text=True)


def test_tab_badge_counts_unread_and_the_inbox_opens_the_thing(client, member, session, auth):
    """Does the 我的 tab show the unread count, and does opening a message mark it read and land on its page?"""
    notify.send(session, member_ids=[member.id], purpose=notify.MEETING_CHANGED, key="k",
                message=notify.Message("会议改期", "", "/meetings/42"))
    html = client.get("/").get_data(as_text=True)
    assert '<span class="tab-badge">1</span>' in html
    item = notify.for_member(session, member_id=member.id)[0]
    opened = auth.post(f"/inbox/{item.id}/open", page="/inbox/")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/meetings/42")
    assert 'class="tab-badge"' not in client.get("/").get_data(as_text=True)


def test_the_service_worker_shows_and_opens_notifications(client):
    """Does /sw.js carry the push and notificationclick handlers, with a tag and in-app paths only?"""
    js = client.get("/sw.js").get_data(as_text=True)
    assert 'addEventListener("push"' in js and 'addEventListener("notificationclick"' in js
    assert "options.tag" in js and "openWindow" in js and 'startsWith("//")' in js
