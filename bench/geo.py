"""Benchmark of the 15-minute service circle; prints one JSON line.

    .venv/bin/python bench/geo.py [--quick]

- geo_us_2300 / geo_us_100000: the geo work of ranking the 20 nearest stations for one point
  (services.stations.index.StationIndex.nearest), in microseconds per query, best of several rounds over
  2,000 random points, with 2,300 and 100,000 synthetic stations spread over Shenzhen.
- endpoint_ratio: requests/s of the nearest-stations endpoint (POST /stations/api/nearest, a
  random point per request, 2,300 stations) over requests/s of GET /_bench/hello, both served by
  the same gunicorn (gunicorn.conf.py, 2 workers) in the same run, load from bench/harness.py's
  closed loop (8 processes, one keep-alive connection each): 8 alternating rounds of 2 s per endpoint, the median of
  the per-round ratios (each pair of rounds shares the machine's load at that moment). fragment_ratio: the same for the signed-in htmx list
  fragment (POST /stations/nearby), which also loads the member's session. On a shared,
  busy machine throughput swings with other processes, so the run also reports the workers' CPU
  time per request (cpu_us_per_req, from /proc) and endpoint_ratio_cpu = hello's CPU per
  request / the endpoint's: what the requests/s ratio becomes when the server has the CPUs.
- list_kb_gz / map_adds_kb_gz: what a phone transfers, compressed as a reverse proxy would
  (gzip level 6): the list page's HTML, CSS and JS on first load; what the map view adds
  (its HTML, Leaflet's JS and CSS, map.js and the markers of 2,300 stations), tiles excluded.
"""
import gzip
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BBOX = (22.45, 22.80, 113.80, 114.50)  # Shenzhen without 深汕


def synthetic(n: int, seed: int = 4):
    """n stations uniformly over the city's box."""
    rng = random.Random(seed)
    return [(k + 1, rng.uniform(BBOX[0], BBOX[1]), rng.uniform(BBOX[2], BBOX[3])) for k in range(n)]


def geo_us(n: int, queries: int = 2000, rounds: int = 7) -> float:
    """Best mean microseconds of one nearest-20 query over `rounds` rounds."""
    from services.stations.index import StationIndex

    pts = synthetic(n)
    index = StationIndex([p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts])
    rng = random.Random(9)
    qs = [(rng.uniform(BBOX[0], BBOX[1]), rng.uniform(BBOX[2], BBOX[3])) for _ in range(queries)]
    for la, lo in qs[:200]:
        index.nearest(la, lo, limit=20)  # warm up
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for la, lo in qs:
            index.nearest(la, lo, limit=20)
        best = min(best, (time.perf_counter() - start) / queries * 1e6)
    return round(best, 1)


def gz(data: bytes) -> int:
    """Bytes after gzip level 6 (a typical reverse-proxy setting)."""
    return len(gzip.compress(data, compresslevel=6))


def page_weights(app, phone: str, password: str) -> dict:
    """Compressed bytes of the list page's first load and of what the map view adds."""
    import re

    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', login).group(1)
    client.post("/login", data={"phone": phone, "password": password, "csrf_token": token})

    def assets(html: str) -> list[str]:
        return re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css)[^"]*)"', html)

    def fetch(url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        data = response.get_data()
        response.close()
        return data

    list_html = fetch("/stations/")
    list_assets = assets(list_html.decode())
    list_total = gz(list_html) + sum(gz(fetch(a)) for a in list_assets)
    map_html = fetch("/stations/map")
    extra = [a for a in assets(map_html.decode()) if a not in list_assets]
    map_total = gz(map_html) + sum(gz(fetch(a)) for a in extra) + gz(fetch("/stations/markers.json"))
    return {"list_kb_gz": round(list_total / 1024, 1), "map_adds_kb_gz": round(map_total / 1024, 1),
            "map_assets": [a.split("?")[0] for a in extra] + ["/stations/markers.json"]}


def build_database(path: Path, n: int = 2300) -> tuple[str, int, dict]:
    """A migrated SQLite database with n stations and a member who consented; returns (url, member id, page weights)."""
    from sqlmodel import Session

    from app import create_app
    from cli import upgrade_database
    from config import TestConfig
    from models import District, Member, OrgKind, Station
    from models.db import ALL_ORGS
    from services import stations
    from services.accounts import orgs, passwords

    url = f"sqlite:///{path}"
    app = create_app(TestConfig(url))
    upgrade_database(app)
    password = "bench-password-42"
    with app.app_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        s.add(District(code="futian", name="福田区", name_en="Futian"))
        committee = orgs.create_unit(s, name="基准党委", kind=OrgKind.committee)
        branch = orgs.create_unit(s, name="基准支部", kind=OrgKind.branch, parent=committee)
        member = Member(name="基准", phone="13900000099", org_unit_id=branch.id, must_change_password=False,
                        password_hash=passwords.hash_password(password))
        s.add(member)
        s.flush()
        rng = random.Random(5)
        services = ["volunteer", "study", "legal", "health", "elderly", "reading", "rest"]
        s.add_all([Station(code=f"B{k:05d}", name=f"基准站点{k}", district_code="futian", address=f"深圳市福田区{k}号",
                           lat=la, lon=lo, opening_hours="24/7" if k % 4 == 0 else "Mo-Fr 09:00-18:00; Sa 09:00-12:00",
                           services=rng.sample(services, 3)) for k, la, lo in synthetic(n)])
        s.commit()
        stations.grant_consent(s, member_id=member.id)
        weights = page_weights(app, member.phone, password)
    app.extensions["sc_engine"].dispose()
    return url, member.id, weights


def measure(server, requests: list, seconds: float, processes: int = 8) -> tuple[float, float, int]:
    """One round on one endpoint: (200 answers per second, server CPU µs per 200 answer, failed requests)."""
    from bench.harness import closed_loop

    per_process = []
    for p in range(processes):  # each process starts at its own place in the list and cycles through it
        start = p * 7919 % len(requests)
        turn = requests[start:] + requests[:start]
        per_process.append(turn * (int(seconds * 4000) // len(turn) + 1))
    cpu0 = server.cpu_seconds()
    result = closed_loop(server.port, per_process, duration=seconds)
    cpu1 = server.cpu_seconds()
    cpu = sum(cpu1[pid] - cpu0.get(pid, 0.0) for pid in cpu1)  # workers are not recycled (--max-requests 0)
    done = result.statuses.get(200, 0)
    return done / seconds, (cpu / done * 1e6 if done else float("inf")), result.errors + result.count - done


def main() -> None:
    quick = "--quick" in sys.argv
    from bench.harness import Gunicorn, Request, make_app, signed_in

    result = {"geo_us_2300": geo_us(2300), "geo_us_100000": geo_us(100_000)}
    errors = 0
    with tempfile.TemporaryDirectory() as tmp:
        url, member_id, weights = build_database(Path(tmp) / "bench.db")
        result.update(weights)
        duration = 1.0 if quick else 2.0
        with Gunicorn(url, workers=2, threads=2, INSTANCE_PATH=tmp, DEMO_MODE=1, TILE_PROVIDER="local",
                      ROUTING_URL="") as server:
            rng = random.Random(11)
            points = [{"lat": round(rng.uniform(BBOX[0], BBOX[1]), 6), "lon": round(rng.uniform(BBOX[2], BBOX[3]), 6)}
                      for _ in range(500)]
            cookie, token = signed_in(make_app(url), member_id)
            fragment_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                                "X-CSRFToken": token, "HX-Request": "true"}
            targets = {
                "hello": [Request("GET", "/_bench/hello")],
                "nearest": [Request("POST", "/stations/api/nearest", json.dumps(p).encode(),
                                    {"Content-Type": "application/json"}) for p in points],
                "fragment": [Request("POST", "/stations/nearby", f"lat={p['lat']}&lon={p['lon']}".encode(),
                                     fragment_headers) for p in points],
            }
            rps = {"hello": [], "nearest": [], "fragment": []}
            cpu = {"hello": [], "nearest": [], "fragment": []}
            for _ in range(3 if quick else 8):  # short alternating rounds: each pair shares the machine's load
                for name, requests in targets.items():
                    r, c, failed = measure(server, requests, duration)
                    rps[name].append(r)
                    cpu[name].append(c)
                    errors += failed

        def median(values):
            values = sorted(values)
            mid = len(values) // 2
            return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

        pairs = {name: [v / h for v, h in zip(rps[name], rps["hello"])] for name in ("nearest", "fragment")}
        cpu_pairs = [h / v for v, h in zip(cpu["nearest"], cpu["hello"])]
        result.update({
            "hello_rps": round(median(rps["hello"])), "nearest_rps": round(median(rps["nearest"])),
            "fragment_rps": round(median(rps["fragment"])),
            "endpoint_ratio": round(median(pairs["nearest"]), 3),
            "endpoint_ratio_rounds": [round(x, 2) for x in pairs["nearest"]],
            "fragment_ratio": round(median(pairs["fragment"]), 3),
            "cpu_us_per_req": {k: round(median(v)) for k, v in cpu.items()},
            "endpoint_ratio_cpu": round(median(cpu_pairs), 3),
            "errors": errors,
            "load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        })
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
