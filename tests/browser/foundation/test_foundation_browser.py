"""The foundation in real Chromium at 390x844, zh-CN: sign in, home, language, the PWA offline."""
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_member_signs_in_and_sees_home(live_server, live_factory, page, shot):
    """Does the member sign in and see their home page in Chinese, with the tab bar?"""
    m = live_factory.member(name="陈小明")
    sign_in(page, live_server.url, m.phone, PASSWORD)
    assert page.url == live_server.url + "/"
    assert page.get_by_text("陈小明，您好").is_visible()
    assert page.get_by_role("navigation", name="主导航").is_visible()
    shot(page, "home")
    assert page.console_errors == []


def test_wrong_password_message(live_server, live_factory, page, shot):
    """Does a wrong password show a clear Chinese message on the form?"""
    m = live_factory.member()
    sign_in(page, live_server.url, m.phone, "wrong-password")
    assert page.get_by_role("alert").filter(has_text="手机号或密码错误").is_visible()
    shot(page, "wrong-password")


def test_switch_to_english_and_back(live_server, live_factory, page, shot):
    """Can the member switch the interface to English and back to Chinese?"""
    m = live_factory.member()
    sign_in(page, live_server.url, m.phone, PASSWORD)
    page.get_by_role("link", name="我的").click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "me-english")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_service_worker_controls_page_and_offline_page(live_server, live_factory, page, context, shot):
    """Does the service worker take control, and with the network cut does the offline page load with the shell?"""
    m = live_factory.member()
    sign_in(page, live_server.url, m.phone, PASSWORD)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
    context.set_offline(True)
    page.goto(live_server.url + "/me/")
    assert page.get_by_role("heading", name="您已离线").is_visible()
    # the shell's stylesheet came from the cache: the top bar keeps its colour
    colour = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert colour == "rgb(179, 18, 29)"
    shot(page, "offline")
    context.set_offline(False)


def test_personal_pages_are_not_cached(live_server, live_factory, page, context):
    """Is a page with personal data absent from every cache the service worker keeps?"""
    m = live_factory.member(name="隐私测试")
    sign_in(page, live_server.url, m.phone, PASSWORD)
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.goto(live_server.url + "/me/")
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const key of await caches.keys()) {
            const cache = await caches.open(key);
            for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
        }
        return urls;
    }""")
    assert "/offline" in cached
    assert not any(u in ("/", "/me/") for u in cached)


def test_text_zoom_200_percent_keeps_pages_usable(live_server, live_factory, page, shot):
    """With text at 200 %, do the sign-in and home pages fit the phone's width (no sideways scrolling)?"""
    m = live_factory.member(name="放大测试")
    page.goto(live_server.url + "/login")
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "login-zoom200", full_page=True)
    sign_in(page, live_server.url, m.phone, PASSWORD)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_tap_targets_are_at_least_44px(live_server, live_factory, page):
    """Are the buttons, links and inputs of the sign-in, home and me pages at least 44 px tall?"""
    m = live_factory.member()
    page.goto(live_server.url + "/login")
    small = page.evaluate(_SMALL_TARGETS)
    assert small == [], small
    sign_in(page, live_server.url, m.phone, PASSWORD)
    for path in ("/", "/me/"):
        page.goto(live_server.url + path)
        small = page.evaluate(_SMALL_TARGETS)
        assert small == [], (path, small)


_SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, summary')]
    .filter(el => el.offsetParent !== null && !el.classList.contains('skip-link'))
    .filter(el => !(el.tagName === 'A' && el.closest('p, li.prose, td')))  /* WCAG 2.5.8: links inside a sentence are exempt */
    .filter(el => { const r = el.getBoundingClientRect(); return r.height < 44 && !(el.type === 'checkbox'); })
    .map(el => el.outerHTML.slice(0, 80))"""


def test_demo_member_signs_in(live_server, page, shot):
    """With a (small) demo city loaded, does the demo member sign in with the documented password and see home?"""
    from demo import DEMO_PASSWORD, MEMBER_PHONE, seed_demo
    from models.db import get_session

    with live_server.app.app_context():
        seed_demo(get_session(), members=40, branches=2, stations=60)
    sign_in(page, live_server.url, MEMBER_PHONE, DEMO_PASSWORD)
    assert page.get_by_text("陈小明，您好").is_visible()
    shot(page, "demo-home")
