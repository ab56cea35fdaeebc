"""The walking model, the spatial index against brute force, coordinates, and routing engines."""
import json
import logging
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.errors import DomainError
from services.stations import coords
from services.stations.index import (DETOUR_FACTOR, EARTH_RADIUS_M, REACH_M, WALK_KMH, StationIndex, brute_force,
                                     haversine_m, rank, walk_minutes)
from services.stations.routing import RoutingConfig, nearest_stations

# -- the model ---------------------------------------------------------------------------------


def test_reach_matches_documented_model():
    """Is the 15-minute reach 4.8 km/h x 0.25 h / 1.3 = 923 m straight-line, and 15 minutes to walk?"""
    assert DETOUR_FACTOR == 1.3 and WALK_KMH == 4.8
    assert REACH_M == pytest.approx(4800 * 0.25 / 1.3)
    assert round(REACH_M) == 923
    assert walk_minutes(REACH_M) == pytest.approx(15.0)
    assert walk_minutes(1000) == pytest.approx(1000 * 1.3 / 80)


def test_reach_boundary_through_the_index():
    """Is a station 900 m away within 15 minutes and one 950 m away not, when ranked by the index?"""
    lat0, lon0 = 22.55, 114.05
    per_m = 1 / (math.radians(1) * EARTH_RADIUS_M)  # degrees of latitude per metre
    index = StationIndex([1, 2], [lat0 + 900 * per_m, lat0 - 950 * per_m], [lon0, lon0])
    near, far = rank(index, lat0, lon0, limit=5)
    assert (near.station_id, far.station_id) == (1, 2)
    assert near.distance_m == pytest.approx(900, abs=0.01) and near.within_reach
    assert far.distance_m == pytest.approx(950, abs=0.01) and not far.within_reach
    assert near.minutes_shown == math.ceil(900 * 1.3 / 80)


@pytest.mark.parametrize("lat, lon", [("nan", 114), (float("nan"), 114), (22.5, float("inf")), (91, 114),
                                      (22.5, -181), ("abc", "114"), (None, 114), ("", "")])
def test_bad_positions_are_refused_clearly(lat, lon):
    """Is a NaN, infinite, out-of-range or unreadable position refused with bad_position (not a crash)?"""
    index = StationIndex([1], [22.5], [114.0])
    with pytest.raises(DomainError) as excinfo:
        rank(index, lat, lon)
    assert excinfo.value.code == "bad_position"


# -- the index against brute force (property-based) -------------------------------------------

def _assert_same_ranking(got, ref, k):
    """Same distances in the same order; ids agree except among exact ties."""
    ref = ref[:k]
    assert len(got) == len(ref)
    for (gid, gd), (rid, rd) in zip(got, ref):
        assert gd == pytest.approx(rd, rel=1e-9, abs=1e-6)
    if ref:
        cutoff = ref[-1][1]
        must = {sid for sid, d in ref if d < cutoff - 1e-6}
        assert must <= {sid for sid, _ in got}


points = st.tuples(st.floats(18.0, 45.0), st.floats(75.0, 130.0))
clustered = st.tuples(st.floats(22.45, 22.85), st.floats(113.75, 114.65))


@settings(max_examples=150, deadline=None)
@given(stations=st.lists(st.one_of(clustered, points), min_size=1, max_size=150),
       query=st.one_of(clustered, points), k=st.integers(1, 25))
def test_nearest_first_agrees_with_brute_force(stations, query, k):
    """For random stations and points, is the index's nearest-first list the brute-force haversine ranking?"""
    ids = list(range(1, len(stations) + 1))
    index = StationIndex(ids, [s[0] for s in stations], [s[1] for s in stations])
    got = index.nearest(query[0], query[1], limit=k)
    ref = brute_force([(i, la, lo) for i, (la, lo) in zip(ids, stations)], *query)
    _assert_same_ranking(got, ref, k)


@settings(max_examples=80, deadline=None)
@given(stations=st.lists(clustered, min_size=1, max_size=120), query=clustered, k=st.integers(1, 15),
       seed=st.integers(0, 2 ** 16))
def test_filtered_nearest_agrees_with_brute_force(stations, query, k, seed):
    """With a mask and a per-station test (as for 24-hour and open-now), is the ranking still the brute-force one?"""
    rng = np.random.default_rng(seed)
    ids = list(range(1, len(stations) + 1))
    flag = rng.random(len(ids)) < 0.5
    odd = {i for i in ids if i % 3}
    index = StationIndex(ids, [s[0] for s in stations], [s[1] for s in stations], flags={"f": flag})
    mask = index.mask_for(f=True)
    got = index.nearest(query[0], query[1], limit=k, mask=mask, accept=lambda pos: int(index.ids[pos]) in odd)
    keep = [(i, la, lo) for i, (la, lo), f in zip(ids, stations, flag) if f and i in odd]
    _assert_same_ranking(got, brute_force(keep, *query), k)


def test_far_away_point_and_empty_index():
    """Does a point far from every station still get the nearest ones, and an empty index nothing?"""
    index = StationIndex([1, 2, 3], [22.5, 22.6, 22.7], [114.0, 114.1, 114.2])
    got = index.nearest(45.0, 80.0, limit=2)
    assert [g[0] for g in got] == [3, 2]
    assert StationIndex([], [], []).nearest(22.5, 114.0) == []


def test_index_reads_few_stations_for_a_query():
    """Does a query at city scale read only nearby grid cells, not the whole table?"""
    rng = np.random.default_rng(1)
    n = 20000
    index = StationIndex(np.arange(1, n + 1), rng.uniform(22.45, 22.85, n), rng.uniform(113.75, 114.65, n))
    seen = []
    original = np.concatenate

    def spy(parts, *a, **kw):
        out = original(parts, *a, **kw)
        seen.append(len(out))
        return out

    np.concatenate = spy
    try:
        index.nearest(22.6, 114.1, limit=20)
    finally:
        np.concatenate = original
    assert seen and max(seen) < n / 20


# -- coordinates ------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(lat=st.floats(18.2, 53.0), lon=st.floats(74.0, 134.5))
def test_gcj02_round_trip_within_5_m(lat, lon):
    """Does WGS-84 -> GCJ-02 -> WGS-84 come back within 5 m anywhere in China?"""
    g = coords.wgs84_to_gcj02(lat, lon)
    back = coords.gcj02_to_wgs84(*g)
    assert haversine_m(lat, lon, *back) < 5


def test_gcj02_offset_in_shenzhen_is_hundreds_of_metres():
    """Is the GCJ-02 shift in Shenzhen in the documented 100-700 m range (so a skipped conversion shows)?"""
    shift = haversine_m(22.5431, 114.0579, *coords.wgs84_to_gcj02(22.5431, 114.0579))
    assert 100 < shift < 700


# -- routing engines (a local stand-in speaking the engines' formats) -------------------------

class Engine:
    """A stand-in OSRM / Valhalla server in a thread; `mode` picks its behaviour."""

    def __init__(self):
        self.mode = "ok"
        self.requests = []
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _behave(self):
                if engine.mode == "slow":
                    time.sleep(1.0)
                if engine.mode == "garbage":
                    self._send(200, b"<html>gateway</html>", "text/html")
                    return True
                if engine.mode == "500":
                    self._send(500, {"message": "boom"})
                    return True
                return False

            def do_GET(self):  # OSRM table service
                url = urlsplit(self.path)
                engine.requests.append(("GET", self.path, None))
                if self._behave():
                    return
                parts = url.path.split("/")
                assert parts[1:4] == ["table", "v1", "foot"], parts
                pts = [tuple(map(float, p.split(","))) for p in parts[4].split(";")]  # lon,lat
                q = parse_qs(url.query)
                assert q["sources"] == ["0"] and q["annotations"] == ["duration,distance"]
                if engine.mode == "nocode":
                    self._send(400, {"code": "InvalidQuery", "message": "bad"})
                    return
                if engine.mode == "shape":
                    self._send(200, {"code": "Ok", "durations": [[0, 1]]})
                    return
                # walking time: 10 s per 0.0001 degree of longitude difference, reversed order
                durations = [[0.0] + [round(600 - 10 * abs(p[0] - pts[0][0]) * 1e4, 1) for p in pts[1:]]]
                durations[0][-1] = None  # the last target is unreachable
                distances = [[0.0] + [100.0 * k for k in range(1, len(pts))]]
                self._send(200, {"code": "Ok", "durations": durations, "distances": distances,
                                 "sources": [{"location": list(pts[0])}]})

            def do_POST(self):  # Valhalla matrix
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                engine.requests.append(("POST", self.path, body))
                if self._behave():
                    return
                assert self.path == "/sources_to_targets"
                if engine.mode == "nocode":
                    self._send(400, {"error_code": 171, "error": "No suitable edges near location", "status_code": 400})
                    return
                if engine.mode == "shape":
                    self._send(200, {"sources_to_targets": [[{"time": "soon", "distance": None}]]})
                    return
                assert body["costing"] == "pedestrian" and len(body["sources"]) == 1
                rows = [{"from_index": 0, "to_index": j, "time": 900 - 60 * j, "distance": 0.5 + j / 10}
                        for j in range(len(body["targets"]))]
                self._send(200, {"sources_to_targets": [rows], "units": "kilometers",
                                 "sources": [body["sources"]], "targets": [body["targets"]]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def engine():
    server = Engine()
    yield server
    server.stop()


@pytest.fixture
def line_index():
    """Five stations on a line east of the point, 100 m apart."""
    per_deg = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(22.55))
    lons = [114.05 + 100 * k / per_deg for k in range(1, 6)]
    return StationIndex([1, 2, 3, 4, 5], [22.55] * 5, lons)


def test_osrm_table_reranks_by_walking_time(engine, line_index):
    """With OSRM, are stations ordered by the engine's durations, in its request and response format?"""
    cfg = RoutingConfig(url=engine.url, engine="osrm", timeout=2)
    result = nearest_stations(line_index, 22.55, 114.05, limit=5, routing=cfg)
    # the stand-in makes farther stations quicker; the unreachable one keeps its model time
    reachable = [n for n in result if n.source == "osrm"]
    assert [n.station_id for n in reachable] == [4, 3, 2, 1]
    assert reachable[0].minutes == pytest.approx((600 - 10 * (line_index.lons[3] - 114.05) * 1e4) / 60, abs=0.01)
    method, path, _ = engine.requests[0]
    assert method == "GET" and path.startswith("/table/v1/foot/114.050000,22.550000;")


def test_valhalla_matrix_reranks_by_walking_time(engine, line_index):
    """With Valhalla, are stations ordered by /sources_to_targets times, distances read in km?"""
    cfg = RoutingConfig(url=engine.url, engine="valhalla", timeout=2)
    result = nearest_stations(line_index, 22.55, 114.05, limit=5, routing=cfg)
    assert [n.station_id for n in result] == [5, 4, 3, 2, 1]
    assert result[0].source == "valhalla" and result[0].minutes == pytest.approx((900 - 240) / 60)
    assert result[0].distance_m == pytest.approx(900)
    body = engine.requests[0][2]
    assert body["sources"] == [{"lat": 22.55, "lon": 114.05}] and len(body["targets"]) == 5


@pytest.mark.parametrize("mode", ["slow", "garbage", "500", "nocode", "shape"])
@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
def test_engine_failure_falls_back_to_the_model(engine, line_index, mode, kind, caplog):
    """When the engine times out, errs or answers garbage, is the model used, and no coordinate logged?"""
    engine.mode = mode
    cfg = RoutingConfig(url=engine.url, engine=kind, timeout=0.3)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        result = nearest_stations(line_index, 22.55, 114.05, limit=5, routing=cfg)
    assert time.monotonic() - started < 0.9
    assert [n.station_id for n in result] == [1, 2, 3, 4, 5]
    assert all(n.source == "model" for n in result)
    assert "22.55" not in caplog.text and "114.05" not in caplog.text


def test_engine_unreachable_falls_back(line_index):
    """Does a routing URL where nothing listens fall back to the model at once?"""
    cfg = RoutingConfig(url="http://127.0.0.1:9", engine="osrm", timeout=0.5)
    result = nearest_stations(line_index, 22.55, 114.05, limit=3, routing=cfg)
    assert [n.station_id for n in result] == [1, 2, 3] and result[0].source == "model"


def test_cell_candidate_fast_path_matches_the_general_search():
    """Does the per-cell fast path (unfiltered, up to 20 results) give exactly the general search's ranking?"""
    rng = np.random.default_rng(3)
    n = 3000
    lats, lons = rng.uniform(22.45, 22.80, n), rng.uniform(113.8, 114.5, n)
    # a dense cluster and an empty band make the candidate lists uneven
    lats[:500], lons[:500] = rng.normal(22.54, 0.004, 500), rng.normal(114.06, 0.004, 500)
    index = StationIndex(np.arange(1, n + 1), lats, lons)
    for la, lo in zip(rng.uniform(22.44, 22.81, 400), rng.uniform(113.79, 114.51, 400)):
        for k in (1, 7, 20):
            fast, general = index.nearest(la, lo, limit=k), index._search(la, lo, limit=k)
            assert [i for i, _ in fast] == [i for i, _ in general]
            assert [d for _, d in fast] == pytest.approx([d for _, d in general], abs=1e-6)
    assert index._cells  # the fast path was used
