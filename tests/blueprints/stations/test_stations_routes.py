"""The 地图 tab through the test client: consent, the list, station pages, tiles, import, privacy."""
import io
import logging

import pytest

import config
from services import stations
from tests.conftest import csrf_from

HTMX = {"HX-Request": "true"}


@pytest.fixture
def city(factory):
    factory.district("nanshan", "南山区")
    return {
        "near": factory.station(code="N1", name="莲花北社区党群服务中心", lat=22.5510, lon=114.0500,
                                hours="Mo-Su 00:00-24:00"),
        "mid": factory.station(code="N2", name="景田党群服务站", lat=22.5560, lon=114.0500, hours="Mo-Fr 09:00-18:00"),
        "far": factory.station(code="N3", name="南头古城党群服务站", lat=22.5400, lon=113.9300, hours="24/7",
                               district="nanshan"),
    }


@pytest.fixture
def member(factory, city):
    return factory.member(name="王五")


@pytest.fixture
def consented(session, member):
    stations.grant_consent(session, member_id=member.id)
    return member


def consent_of(session, member_id):
    """Read the consent and end the read (the in-memory test database has one shared connection)."""
    value = stations.consent_of(session, member_id=member_id)
    session.rollback()
    return value


def post(client, path, data, page="/stations/", headers=None):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data=data, headers={"X-CSRFToken": token, **(headers or {})})


@pytest.mark.parametrize("path", ["/stations/", "/stations/map", "/stations/markers.json", "/stations/1",
                                  "/stations/1/card", "/stations/consent", "/stations/import"])
def test_pages_need_sign_in(client, path):
    """Is every page of the tab behind sign-in?"""
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_without_consent_the_list_offers_consent_district_and_search(client, auth, member):
    """Without consent, does the tab offer the consent screen, a district picker and search, and no locating?"""
    auth.login(member.phone)
    page = client.get("/stations/").get_data(as_text=True)
    assert 'href="/stations/consent"' in page and 'name="district"' in page and 'name="q"' in page
    assert 'id="locate"' not in page
    assert "leaflet" not in page  # the map library loads only on the map view
    refused = post(client, "/stations/nearby", {"lat": "22.55", "lon": "114.05"}, headers=HTMX)
    assert refused.status_code == 403 and "请先授权使用位置" in refused.get_data(as_text=True)


def test_consent_screen_is_unticked_and_required(client, auth, member, session):
    """Does the consent screen start unticked, refuse a submit without the tick, and record consent with it?"""
    auth.login(member.phone)
    page = client.get("/stations/consent").get_data(as_text=True)
    assert 'type="checkbox"' in page and "checked" not in page
    token = csrf_from(page)
    refused = client.post("/stations/consent", data={"csrf_token": token})
    assert refused.status_code == 400 and "请勾选同意" in refused.get_data(as_text=True)
    assert consent_of(session, member.id) is None
    ok = client.post("/stations/consent", data={"csrf_token": token, "agree": "y"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/stations/")
    assert consent_of(session, member.id) is not None
    assert 'id="locate"' in client.get("/stations/").get_data(as_text=True)


def test_consent_withdrawn_in_me(client, auth, consented, session):
    """Does 我的 show the consent as on, and can the member withdraw it there?"""
    auth.login(consented.phone)
    me = client.get("/me/").get_data(as_text=True)
    assert "位置授权" in me and "已开启" in me
    response = post(client, "/stations/consent/withdraw", {"csrf_token": csrf_from(me), "next": "/me/"}, page="/me/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/")
    assert consent_of(session, consented.id) is None
    assert "未开启" in client.get("/me/").get_data(as_text=True)


def test_nearby_lists_nearest_first_and_never_echoes_or_logs_the_position(client, auth, consented, city, caplog):
    """Is the nearest station first, within-15-minutes split from the rest, and the position nowhere in page or log?"""
    auth.login(consented.phone)
    with caplog.at_level(logging.DEBUG):
        response = post(client, "/stations/nearby", {"lat": "22.550123", "lon": "114.050456"}, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.index("莲花北社区党群服务中心") < body.index("景田党群服务站") < body.index("南头古城党群服务站")
    assert body.index("步行 15 分钟内") < body.index("景田党群服务站") < body.index("稍远一些")
    assert "22.550123" not in body and "114.050456" not in body
    assert "22.550123" not in caplog.text and "114.050456" not in caplog.text
    assert response.headers["Cache-Control"] == "no-store"


def test_nearby_filters_post_with_the_position(client, auth, consented, city):
    """Do the filters apply to the position-ranked list (24-hour only)?"""
    auth.login(consented.phone)
    body = post(client, "/stations/nearby", {"lat": "22.55", "lon": "114.05", "all_day": "y"},
                headers=HTMX).get_data(as_text=True)
    assert "莲花北社区党群服务中心" in body and "南头古城党群服务站" in body and "景田党群服务站" not in body


@pytest.mark.parametrize("lat, lon", [("nan", "114.05"), ("22.55", "inf"), ("999", "114"), ("", ""), ("北", "南")])
def test_bad_positions_get_a_clear_message(client, auth, consented, city, lat, lon):
    """Is a NaN, infinite, out-of-range or missing position answered with a 400 and a message, never a 500?"""
    auth.login(consented.phone)
    response = post(client, "/stations/nearby", {"lat": lat, "lon": lon}, headers=HTMX)
    assert response.status_code == 400
    assert "位置" in response.get_data(as_text=True)


def test_district_search_and_their_errors(client, auth, member, city):
    """Do district and search lists work, and do an empty search and an unknown district get clear messages?"""
    auth.login(member.phone)
    district = client.get("/stations/?district=nanshan").get_data(as_text=True)
    assert "南山区的站点" in district and "南头古城党群服务站" in district and "景田党群服务站" not in district
    found = client.get("/stations/?q=景田").get_data(as_text=True)
    assert "景田党群服务站" in found and "南头古城党群服务站" not in found
    empty = client.get("/stations/?q=")
    assert empty.status_code == 400 and "请输入站点名称" in empty.get_data(as_text=True)
    unknown = client.get("/stations/?district=atlantis")
    assert unknown.status_code == 400


def test_filter_fragment_for_htmx(client, auth, member, city):
    """Does an htmx filter request get only the result block, with Vary: HX-Request?"""
    auth.login(member.phone)
    response = client.get("/stations/?district=futian&all_day=y", headers=HTMX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="station_results"')
    assert "莲花北社区党群服务中心" in body and "景田党群服务站" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_station_page(client, auth, member, city, session):
    """Does the station page show hours for the week, services, a tel: link and navigation links?"""
    st = city["mid"]
    st.phone = "0755-8320 1234"
    session.add(st)
    session.commit()
    auth.login(member.phone)
    page = client.get(f"/stations/{st.id}").get_data(as_text=True)
    assert "景田党群服务站" in page and "开放时间" in page and "今天" in page
    assert "志愿服务" in page
    assert 'data-nav="amap"' in page and "coordinate=gaode" in page and "coord_type=bd09ll" in page
    assert "maps.apple.com" in page and 'href="geo:22.556000,114.050000' in page
    assert 'href="tel:075583201234"' in page
    assert client.get("/stations/99999").status_code == 404


def test_station_card_fragment(client, auth, member, city):
    """Does a tapped marker's card come back as a fragment?"""
    auth.login(member.phone)
    body = client.get(f"/stations/{city['near'].id}/card", headers=HTMX).get_data(as_text=True)
    assert "<html" not in body and "莲花北社区党群服务中心" in body


def test_map_view_config_and_markers(client, auth, consented, city):
    """Does the map view load Leaflet and its config (local tiles, reach), and the markers every station?"""
    auth.login(consented.phone)
    page = client.get("/stations/map").get_data(as_text=True)
    assert "vendor/leaflet/leaflet.js" in page and 'id="map-config"' in page
    assert "/stations/tiles/{z}/{x}/{y}.png" in page and "923.1" in page
    data = client.get("/stations/markers.json").get_json()
    assert data["n"] == 3


def test_local_tiles(client):
    """Are stand-in tiles PNGs served without sign-in, and impossible tiles 404?"""
    ok = client.get("/stations/tiles/12/3300/1780.png")
    assert ok.status_code == 200 and ok.data.startswith(b"\x89PNG") and ok.mimetype == "image/png"
    assert "public" in ok.headers["Cache-Control"]
    assert client.get("/stations/tiles/3/8/0.png").status_code == 404
    assert client.get("/stations/tiles/25/0/0.png").status_code == 404


def test_tile_provider_from_config_sets_csp(_pg_schema):
    """With OSM or AMap configured, are their hosts in the CSP's img-src and the stand-in tiles off?"""
    from app import create_app

    for provider, host in [("osm", "https://tile.openstreetmap.org"), ("amap", "https://*.is.autonavi.com")]:
        cfg = config.TestConfig()
        cfg.TILE_PROVIDER = provider
        cfg.CSP_IMG_HOSTS = config.tile_hosts(provider)
        client = create_app(cfg).test_client()
        response = client.get("/stations/tiles/1/0/0.png")
        assert response.status_code == 404
        assert host in response.headers["Content-Security-Policy"]


def test_api_nearest_json(client, city):
    """Does the JSON endpoint rank by a POSTed position, and refuse NaN or garbage with a 400?"""
    data = client.post("/stations/api/nearest", json={"lat": 22.55, "lon": 114.05, "limit": 2}).get_json()
    assert [s["code"] for s in data["stations"]] == ["N1", "N2"] and data["reach_m"] == 923.1
    assert data["stations"][0]["within_reach"] and data["stations"][0]["open"] == "always"
    bad = client.post("/stations/api/nearest", json={"lat": "NaN", "lon": 114.05})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_position"
    garbage = client.post("/stations/api/nearest", data=b"\xff\x00", content_type="application/json")
    assert garbage.status_code == 400
    assert client.post("/stations/api/nearest", json={"lat": 1, "lon": 1, "limit": "x"}).status_code == 400


def test_admin_import_upload(client, auth, factory, city, member):
    """Can an administrator upload a station file (and see line numbers when it is bad), and not a member?"""
    auth.login(member.phone)
    assert client.get("/stations/import").status_code == 403
    auth.logout()
    admin = factory.member(name="管理员", roles=["admin"])
    auth.login(admin.phone)
    token = csrf_from(client.get("/stations/import").get_data(as_text=True))
    good = "code,name,district,lat,lon,opening_hours\nU1,上传站,futian,22.56,114.06,24/7\n".encode()
    ok = client.post("/stations/import", data={"csrf_token": token, "crs": "wgs84",
                                               "file": (io.BytesIO(good), "s.csv")})
    assert ok.status_code == 302
    bad = client.post("/stations/import", data={"csrf_token": token, "crs": "wgs84",
                                                "file": (io.BytesIO(good + b"U2,x,futian,nan,1,24/7\n"), "s.csv")})
    assert bad.status_code == 400 and "第 3 行" in bad.get_data(as_text=True)
    export = client.get("/stations/export.csv")
    assert export.status_code == 200 and "U1" in export.get_data(as_text=True)


def test_home_card_links_to_the_tab(client, auth, member):
    """Does the home page carry the nearby-stations card and the tab bar the 地图 tab?"""
    auth.login(member.phone)
    page = client.get("/").get_data(as_text=True)
    assert "附近的党群服务站点" in page and 'href="/stations/"' in page and ">地图<" in page


def test_dead_routing_engine_falls_back(app, city):
    """With ROUTING_URL pointing where nothing listens, does the endpoint still answer from the model?"""
    app.config.update(ROUTING_URL="http://127.0.0.1:9", ROUTING_TIMEOUT=0.3)
    data = app.test_client().post("/stations/api/nearest", json={"lat": 22.55, "lon": 114.05}).get_json()
    assert data["stations"][0]["code"] == "N1" and data["stations"][0]["source"] == "model"
