"""Push and the inbox in real Chromium at 390x844, zh-CN: a member turns push on in 我的 after a tap and sees the
test notification (the service worker's push handler driven through the DevTools Protocol's
ServiceWorker.deliverPushMessage, with the payload the local push service decrypted); a meeting reminder counts on
the tab bar's badge, which stays on one line; opening it in 消息 lands on the meeting.

Headless Chromium has no push service of its own, so PushManager.subscribe answers with a subscription at the
local push service stand-in (the browser's side of the protocol: its keys and endpoint); everything after that
is real: the page's script, the server's VAPID signing and encryption, the service worker."""
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from models import utcnow
from models.db import ALL_ORGS
from services import notify
from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import PASSWORD, Factory
from tests.services.meetings.helpers import data, make_branch
from tests.services.study.helpers import as_, principal
from tests.standins.push_service import PushService

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

FAKE_PUSH = """
(() => {
  const sub = %s;
  const KEY = "sc-test-push";
  function make(raw) {
    return { endpoint: raw.endpoint, expirationTime: null, options: { userVisibleOnly: true },
             toJSON: () => raw, getKey: () => null,
             unsubscribe: () => { localStorage.removeItem(KEY); return Promise.resolve(true); } };
  }
  PushManager.prototype.subscribe = function (options) {
    const key = options && options.applicationServerKey;
    const bytes = key instanceof Uint8Array ? key : new Uint8Array(key || []);
    localStorage.setItem(KEY, btoa(String.fromCharCode.apply(null, bytes)));
    return Promise.resolve(make(sub));
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem(KEY) ? make(sub) : null);
  };
})();
"""


def _db(server) -> Session:
    s = Session(server.engine, expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


@pytest.fixture
def push():
    with PushService() as service:
        yield service


@pytest.fixture
def server(tmp_path, push):
    srv = LiveServer(tmp_path, PUSH_EXTRA_HOSTS="127.0.0.1", VAPID_KEY_FILE=str(tmp_path / "vapid.pem"))
    yield srv
    srv.stop()


def _sw_registration(cdp, page, origin: str) -> str:
    """The service worker's registration id, from the DevTools Protocol's ServiceWorker domain."""
    found: dict = {}
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: found.update({r["scopeURL"]: r["registrationId"] for r in e["registrations"]}))
    cdp.send("ServiceWorker.enable")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(50):
        if origin + "/" in found:
            return found[origin + "/"]
        page.wait_for_timeout(100)
    raise AssertionError(f"no service worker registration for {origin}: {found}")


def _until(probe, seconds: float = 10):
    """Poll `probe` until it returns something truthy (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def _notifications(page) -> list:
    return page.evaluate("""navigator.serviceWorker.ready.then(r => r.getNotifications())
        .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))""")


def test_push_on_test_notification_badge_and_inbox(browser, server, push):
    """Does a member turn push on by a tap, see the test notification and a reminder, and reach the meeting?"""
    with _db(server) as s, server.app.test_request_context():
        world = make_branch(Factory(server.app, s))
        member = world["members"][2]
        sec_p = principal(s, world["sec"])
        as_(s, sec_p)
        from services import meetings
        now = utcnow()
        start = now + timedelta(minutes=59)  # scheduled two minutes ago: its 1-hour reminder is due now
        meeting = meetings.create_meeting(s, sec_p, unit_id=world["unit"].id, now=now - timedelta(minutes=2),
                                          data=data(title="第四季度支部党员大会", starts_at=start,
                                                    ends_at=start + timedelta(hours=1)))
        s.commit()
        meeting_id, member_id, phone = meeting.id, member.id, member.phone
    device = push.new_device()
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.grant_permissions(["notifications"], origin=server.url)
    context.add_init_script(FAKE_PUSH % json.dumps(device.subscription()))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, server.url, phone, PASSWORD)
        page.goto(server.url + "/me/")
        state = page.locator("[data-push-state]")
        page.wait_for_selector("[data-push-on]:visible")
        assert state.inner_text() == "未开启"
        with _db(server) as s:
            assert notify.device_count(s, member_id=member_id) == 0  # nothing on page load
        page.get_by_role("button", name="开启推送").click()
        expect(state).to_have_text("已开启")
        assert "已开启推送" in page.locator("[data-push-msg]").inner_text()
        with server.app.app_context():
            key = notify.public_key()
        sent_key = page.evaluate("localStorage.getItem('sc-test-push')")
        import base64
        assert base64.urlsafe_b64encode(base64.b64decode(sent_key)).decode().rstrip("=") == key
        with _db(server) as s:
            assert notify.device_count(s, member_id=member_id) == 1

        page.get_by_role("button", name="发送测试通知").click()
        expect(page.locator("[data-push-msg]")).to_contain_text("测试通知已发送")
        assert [r.payload["title"] for r in push.received] == ["测试通知"]
        cdp = context.new_cdp_session(page)
        registration = _sw_registration(cdp, page, server.url)
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": server.url, "registrationId": registration,
                                                      "data": json.dumps(push.received[0].payload)})
        shown = _until(lambda: _notifications(page))
        assert shown[0]["title"] == "测试通知" and shown[0]["url"] == "/inbox/"
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "notify-push-on.png"))

        # the worker's sweep sends the meeting's reminder: a push with the meeting's tag, and the badge counts it
        with _db(server) as s, server.app.app_context():
            result = notify.sweep(s, budget_seconds=10)
        assert result.sent >= 1
        reminder = [r for r in push.received if r.payload["tag"] == f"meeting:{meeting_id}"]
        assert reminder and reminder[0].urgency == "high" and 0 < reminder[0].ttl <= 59 * 60
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": server.url, "registrationId": registration,
                                                      "data": json.dumps(reminder[0].payload)})
        by_tag = _until(lambda: {n["tag"]: n for n in _notifications(page) if n["tag"].startswith("meeting:")})
        assert by_tag[f"meeting:{meeting_id}"]["url"] == f"/meetings/{meeting_id}"
        page.goto(server.url + "/")
        badge = page.locator(".tab-badge")
        assert badge.inner_text() == "2"  # the test message and the meeting's reminder, both unread
        page.screenshot(path=str(DOCS / "notify-badge.png"))

        page.goto(server.url + "/inbox/")
        page.screenshot(path=str(DOCS / "notify-inbox.png"))
        page.locator(".notice-item", has_text="会议提醒：第四季度支部党员大会").click()
        page.wait_for_url(f"**/meetings/{meeting_id}")
        assert "第四季度支部党员大会" in page.inner_text("main")
        assert page.locator(".tab-badge").inner_text() == "1"  # the reminder is read now

        # many unread: "99+" stays on one line inside the 我的 tab at 390 px
        with _db(server) as s, server.app.app_context():
            for i in range(120):
                notify.send(s, member_ids=[member_id], purpose=notify.STUDY_DUE, key=f"k{i}",
                            message=notify.Message(f"学习任务 {i}"), commit=True)
        page.goto(server.url + "/inbox/settings")
        badge = page.locator(".tab-badge")
        assert badge.inner_text() == "99+"
        box, tab = badge.bounding_box(), page.locator(".tab").last.bounding_box()
        assert box["height"] < 24 and box["x"] + box["width"] <= tab["x"] + tab["width"]
        page.screenshot(path=str(DOCS / "notify-settings.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
