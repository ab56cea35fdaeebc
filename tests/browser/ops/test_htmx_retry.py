"""htmx requests answered 503 (database busy or restarting) are sent once more after Retry-After; a second 503
shows the server's notice instead of failing silently."""
import time

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

BUSY = '<p class="flash flash-error" role="alert">服务繁忙，请稍后再试。</p>'
HEADERS = {"Retry-After": "1", "HX-Retarget": "#notice", "HX-Reswap": "innerHTML",
           "Content-Type": "text/html; charset=utf-8"}


def _list_page(page, live_server, live_factory):
    live_factory.station(code="R1", name="莲花北社区党群服务中心", hours="24/7")
    live_factory.station(code="R2", name="景田党群服务站", hours="Mo-Fr 09:00-10:00")
    member = live_factory.member(name="重试测试")
    sign_in(page, live_server.url, member.phone, PASSWORD)
    page.goto(live_server.url + "/stations/?district=futian")
    page.wait_for_selector("#station_results .station-row")


def test_htmx_retries_once_after_503(page, live_server, live_factory, shot):
    """Is a filter change that meets a 503 sent again after Retry-After (1 s here), and its results shown?"""
    _list_page(page, live_server, live_factory)
    calls = []

    def busy_once(route):
        calls.append(time.monotonic())
        if len(calls) == 1:
            route.fulfill(status=503, headers=HEADERS, body=BUSY)
        else:
            route.continue_()

    page.route("**/stations/?*all_day*", busy_once)
    page.locator("label.chip", has_text="24 小时").click()
    expect(page.locator("#station_results .station-row")).to_have_count(1, timeout=10000)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9
    assert page.locator("#notice").inner_text().strip() == ""
    shot(page, "after-retry")
    assert page.console_errors == [] or all("503" in e for e in page.console_errors)


def test_htmx_shows_the_notice_when_the_retry_fails_too(page, live_server, live_factory, shot):
    """When the retry meets a 503 as well, is the server's notice shown, and no third request sent?"""
    _list_page(page, live_server, live_factory)
    calls = []

    def always_busy(route):
        calls.append(time.monotonic())
        route.fulfill(status=503, headers=HEADERS, body=BUSY)

    page.route("**/stations/?*all_day*", always_busy)
    page.locator("label.chip", has_text="24 小时").click()
    expect(page.locator("#notice")).to_contain_text("服务繁忙", timeout=10000)
    page.wait_for_timeout(1500)
    assert len(calls) == 2
    shot(page, "busy-notice")
