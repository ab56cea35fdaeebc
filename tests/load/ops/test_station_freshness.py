"""A station closed or a poster renewed by one process is honoured by every gunicorn worker within 1 s
(one box on SQLite; tests/load/ops/test_two_hosts.py does the same across hosts on PostgreSQL)."""
import http.client
import time

import pytest
from sqlmodel import Session

from bench.checkin import scan_requests, seed
from bench.harness import Gunicorn, make_app, temp_sqlite
from models import Station
from models.db import ALL_ORGS
from services.checkin import codes as qr

pytestmark = pytest.mark.load

WORKERS = 3


def probe(port: int, path: str, cookie: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        return conn.getresponse().status
    finally:
        conn.close()


def post(port: int, req) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(req.method, req.path, body=req.body, headers=req.headers)
        return conn.getresponse().status
    finally:
        conn.close()


def seen_everywhere(ask, refused, *, within: float = 1.0, probes: int = 12) -> float:
    """Seconds until the change shows; then, from `within` on, `probes` fresh connections (spread over the
    workers) all show it."""
    started = time.monotonic()
    while not refused(ask()):
        assert time.monotonic() - started < within + 2, "the change never showed"
        time.sleep(0.02)
    shown = time.monotonic() - started
    time.sleep(max(0.0, within - (time.monotonic() - started)))
    statuses = [ask() for _ in range(probes)]
    assert all(refused(s) for s in statuses), statuses
    return shown


def test_station_changes_reach_every_worker_within_a_second(tmp_path):
    """After another process renews a poster and then closes the station, is the old poster refused, and
    then the kiosk code, by every one of the workers within a second?"""
    url = temp_sqlite(tmp_path)
    app = make_app(url)
    station, people = seed(app, 40)
    _member_id, cookie, _csrf = people[0]
    checkins = iter(scan_requests(app, station, people[1:]))  # one member per check-in attempt
    with app.test_request_context():
        old_poster = qr.poster_token(station)
    with Gunicorn(url, workers=WORKERS, threads=2, INSTANCE_PATH=str(tmp_path / "instance")) as host:
        assert probe(host.port, f"/c/{old_poster}", cookie) == 200
        for _ in range(3 * WORKERS):  # every worker has its copy of the stations
            probe(host.port, f"/c/{old_poster}", cookie)
        with Session(app.extensions["sc_engine"]) as s:
            s.info["org_scope"] = ALL_ORGS
            row = s.get(Station, station.id)
            row.poster_version += 1
            s.commit()
        shown = seen_everywhere(lambda: probe(host.port, f"/c/{old_poster}", cookie), lambda status: status == 410)
        assert shown <= 1.0

        for _ in range(3):
            assert post(host.port, next(checkins)) == 303  # members check in with the kiosk code
        with Session(app.extensions["sc_engine"]) as s:
            s.info["org_scope"] = ALL_ORGS
            row = s.get(Station, station.id)
            row.is_active = False
            s.commit()
        shown = seen_everywhere(lambda: post(host.port, next(checkins)), lambda status: status != 303)
        assert shown <= 1.0
