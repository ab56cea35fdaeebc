"""PostgreSQL restarted in the middle of a check-in burst: 503s while it is down, never a 500, back within
seconds, and every check-in, retried with its nonce until it is answered, recorded exactly once."""
import http.client
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import text

from bench.checkin import scan_requests, seed
from bench.harness import Gunicorn, make_app, migrate
from tests.load.ops.servers import PrivatePostgres

pytestmark = pytest.mark.load

MEMBERS = 160
THREADS = 8


@pytest.fixture
def private_pg():
    server = PrivatePostgres().start()
    yield server
    server.stop()


def _send_until_answered(port: int, req, log: list, deadline: float) -> int | None:
    """POST the same check-in (same nonce) until it is answered 303; every answer is logged."""
    while time.time() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(req.method, req.path, body=req.body, headers=req.headers)
            status = conn.getresponse().status
        except (OSError, http.client.HTTPException):
            status = None  # connection trouble: try again
        finally:
            conn.close()
        log.append((time.time(), status))
        if status == 303:
            return status
        if status not in (None, 503):
            return status  # a real answer that is not a success: the test fails on it
        time.sleep(0.2)
    return None


def test_checkins_survive_a_postgres_restart(private_pg, tmp_path):
    """During a burst split over 8 clients, PostgreSQL is restarted (every connection cut): are all check-ins
    answered 303 in the end, none with a 500, each nonce recorded once, and the app back within 5 s?"""
    migrate(private_pg.url)
    app = make_app(private_pg.url)
    station, people = seed(app, MEMBERS)
    requests = scan_requests(app, station, people)
    log: list = []
    outcomes: dict = {}
    restarted = {}

    with Gunicorn(private_pg.url, workers=2, threads=2, INSTANCE_PATH=str(tmp_path / "instance")) as host:
        queue = list(enumerate(requests))
        lock = threading.Lock()

        def client():
            while True:
                with lock:
                    if not queue:
                        return
                    i, req = queue.pop(0)
                outcomes[i] = _send_until_answered(host.port, req, log, time.time() + 90)
                time.sleep(0.02)

        threads = [threading.Thread(target=client) for _ in range(THREADS)]
        for t in threads:
            t.start()
        while len(outcomes) < MEMBERS // 3:
            time.sleep(0.05)
        restarted["at"] = time.time()
        private_pg.restart()
        restarted["back"] = time.time()
        for t in threads:
            t.join(120)
        # nothing left standing: the pages answer again
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()

    statuses = Counter(status for _at, status in log)
    assert Counter(outcomes.values()) == {303: MEMBERS}, statuses
    assert 500 not in statuses
    assert statuses[503] + statuses[None] > 0, "the restart was not felt: nothing was retried"
    first_success_after = min(at for at, status in log if status == 303 and at >= restarted["back"])
    assert first_success_after - restarted["back"] < 5.0
    engine = app.extensions["sc_engine"]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT member_id, nonce FROM checkin")).all()
    assert len(rows) == MEMBERS
    assert len({nonce for _m, nonce in rows}) == MEMBERS and len({m for m, _n in rows}) == MEMBERS
    engine.dispose()
