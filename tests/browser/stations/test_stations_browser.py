"""The 地图 tab in real Chromium at 390x844, zh-CN: consent, fake geolocation, the list, the map, station pages."""
import random
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from models import Station
from models.db import ALL_ORGS
from services import stations
from services.stations import coords
from tests.browser.conftest import phone_context, sign_in
from tests.conftest import PASSWORD

HERE = {"latitude": 22.5500, "longitude": 114.0500}


@pytest.fixture
def city(live_factory):
    live_factory.district("nanshan", "南山区")
    return {
        "near": live_factory.station(code="B1", name="莲花北社区党群服务中心", lat=22.5520, lon=114.0500, hours="24/7"),
        "next": live_factory.station(code="B2", name="景田党群服务站", lat=22.5580, lon=114.0490,
                                     hours="Mo-Su 08:00-22:00"),
        "far": live_factory.station(code="B3", name="南头古城党群服务站", lat=22.5400, lon=113.9300, hours="24/7",
                                    district="nanshan"),
    }


def located_page(browser, granted=True):
    """A phone page whose browser reports HERE (when granted) and fails the test on console errors."""
    kw = {"geolocation": HERE, "permissions": ["geolocation"]} if granted else {}
    ctx = phone_context(browser, **kw)
    page = ctx.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return ctx, page


def test_consent_then_nearest_station_first(live_server, live_factory, browser, city, shot):
    """After ticking consent, does the list show the nearest station first, with minutes and 24 小时?"""
    member = live_factory.member(name="赵六")
    ctx, page = located_page(browser)
    try:
        sign_in(page, live_server.url, member.phone, PASSWORD)
        page.get_by_role("link", name="地图").click()
        page.wait_for_load_state("networkidle")
        shot(page, "before-consent")
        page.get_by_role("link", name="使用我的位置").click()
        box = page.get_by_role("checkbox")
        assert not box.is_checked()
        shot(page, "consent")
        page.get_by_role("button", name="同意并继续").click()
        assert page.get_by_role("alert").filter(has_text="请勾选同意").is_visible()
        page.get_by_role("checkbox").check()
        page.get_by_role("button", name="同意并继续").click()
        page.wait_for_selector("#station_results .station-row")
        rows = page.locator("#station_results .station-name")
        assert rows.nth(0).inner_text() == "莲花北社区党群服务中心"
        assert rows.nth(1).inner_text() == "景田党群服务站"
        first = page.locator("#station_results .station-row").nth(0)
        assert "分钟" in first.inner_text() and "24 小时" in first.inner_text()
        assert "lat" not in page.url and "22.55" not in page.url
        shot(page, "nearest-list")
        # a filter re-ranks near the same position (POST), keeping only 24-hour stations
        page.get_by_text("24 小时", exact=True).first.click()
        expect(page.locator("#station_results")).not_to_contain_text("景田")
        assert rows.nth(0).inner_text() == "莲花北社区党群服务中心"
        # the only console error: the consent form's deliberate 400 without the tick
        assert [e for e in page.console_errors if "status of 400" not in e] == []
    finally:
        ctx.close()


def test_list_works_with_location_refused(live_server, live_factory, live_session, browser, city, shot):
    """With consent given but the browser refusing the position, does the page say so and the district list work?"""
    member = live_factory.member()
    stations.grant_consent(live_session, member_id=member.id)
    ctx, page = located_page(browser, granted=False)
    try:
        sign_in(page, live_server.url, member.phone, PASSWORD)
        page.goto(live_server.url + "/stations/")
        page.get_by_text("无法获取您的位置").wait_for()
        shot(page, "refused")
        page.get_by_label("所在区").select_option("nanshan")
        page.get_by_role("button", name="查看").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#station_results .station-name").all_inner_texts() == ["南头古城党群服务站"]
        page.get_by_label("站点名称或地址").fill("景田")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#station_results .station-name").all_inner_texts() == ["景田党群服务站"]
        shot(page, "search")
        assert page.console_errors == []
    finally:
        ctx.close()


def _many_stations(engine, n=2300):
    """n synthetic stations across the city (for the map's speed)."""
    rng = random.Random(7)
    with Session(engine) as s:
        s.info["org_scope"] = ALL_ORGS
        s.add_all([Station(code=f"S{k:05d}", name=f"合成站点{k}", district_code="futian", lat=rng.uniform(22.48, 22.75),
                           lon=rng.uniform(113.85, 114.35), opening_hours="24/7" if k % 5 == 0 else "Mo-Fr 09:00-18:00",
                           services=["volunteer"]) for k in range(n)])
        s.commit()


def test_map_renders_markers_and_reach(live_server, live_factory, live_session, browser, city, shot):
    """Does the map view draw every station (2,300+), the member and the 15-minute reach, and a tapped marker's card?"""
    _many_stations(live_server.engine)
    member = live_factory.member()
    stations.grant_consent(live_session, member_id=member.id)
    ctx, page = located_page(browser)
    try:
        sign_in(page, live_server.url, member.phone, PASSWORD)
        page.goto(live_server.url + "/stations/map")
        expect(page.locator("#map")).to_have_attribute("data-markers", "2303", timeout=15000)
        expect(page.locator("#map")).to_have_attribute("data-located", "1", timeout=15000)
        assert int(page.get_attribute("#map", "data-markers")) == 2303
        assert page.get_attribute("#map", "data-reach") == "923.1"
        page.wait_for_load_state("networkidle")
        shot(page, "map")
        # tap the nearest station's marker
        point = page.evaluate("() => { const p = window.scMap.latLngToContainerPoint([22.5520, 114.0500]);"
                              " return [p.x, p.y]; }")
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        page.locator("#map-card").get_by_text("莲花北社区党群服务中心").wait_for()
        shot(page, "map-card")
        # markers on AMap tiles are shifted by the same GCJ-02 formula as the server's
        for la, lo in [(22.5520, 114.0500), (22.7, 113.9), (39.9087, 116.3975)]:
            js = page.evaluate(f"window.scWgsToGcj({la}, {lo})")
            assert js == pytest.approx(list(coords.wgs84_to_gcj02(la, lo)), abs=1e-9)
        assert page.console_errors == []
    finally:
        ctx.close()


def test_station_page_navigation_links(live_server, live_factory, page, city, shot):
    """Do the station page's AMap, Baidu, Apple and geo: links carry the station in each one's coordinates?"""
    member = live_factory.member()
    sign_in(page, live_server.url, member.phone, PASSWORD)
    st = city["next"]
    page.goto(f"{live_server.url}/stations/{st.id}")
    shot(page, "station", full_page=True)
    g_lat, g_lon = coords.wgs84_to_gcj02(st.lat, st.lon)
    b_lat, b_lon = coords.wgs84_to_bd09(st.lat, st.lon)

    def query(nav):
        return parse_qs(urlsplit(page.get_attribute(f'a[data-nav="{nav}"]', "href")).query)

    assert query("amap")["position"] == [f"{g_lon:.6f},{g_lat:.6f}"]
    assert query("baidu")["location"] == [f"{b_lat:.6f},{b_lon:.6f}"]
    assert query("apple")["ll"] == [f"{g_lat:.6f},{g_lon:.6f}"]
    assert page.get_attribute('a[data-nav="geo"]', "href").startswith(f"geo:{st.lat:.6f},{st.lon:.6f}")
    assert page.get_by_role("link", name="高德地图").is_visible()
    assert page.console_errors == []


_SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, summary')]
    .filter(el => el.offsetParent !== null && !el.closest('.skip-link, .leaflet-control-attribution'))
    .filter(el => !(el.tagName === 'A' && el.parentElement.tagName === 'P'))  /* links inside a sentence */
    .filter(el => { const r = el.getBoundingClientRect(); return r.height < 44 && el.type !== 'checkbox'; })
    .map(el => el.outerHTML.slice(0, 80))"""


def test_tab_pages_have_44px_targets_and_fit_at_200_percent_text(live_server, live_factory, live_session, browser,
                                                                  city):
    """On the list, a district list, the consent screen, a station page and the map: targets >= 44 px, no sideways scroll at 200 % text?"""
    member = live_factory.member()
    stations.grant_consent(live_session, member_id=member.id)
    ctx, page = located_page(browser)
    try:
        sign_in(page, live_server.url, member.phone, PASSWORD)
        for path in ("/stations/", "/stations/?district=futian", "/stations/consent",
                     f"/stations/{city['near'].id}", "/stations/map"):
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            small = page.evaluate(_SMALL_TARGETS)
            assert small == [], (path, small)
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert page.console_errors == []
    finally:
        ctx.close()
