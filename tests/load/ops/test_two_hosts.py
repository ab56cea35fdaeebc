"""Two app hosts (two gunicorn instances, each with its own instance folder, the same SECRET_KEY) in front of
one PostgreSQL and one Redis, as a city would scale out: a check-in burst split over both loses and doubles
nothing; failed sign-ins are counted across both; a session started on one works on the other, and signing
out on one ends it on both; a station closed or a poster renewed on one is honoured by the other within 1 s;
with one worker per host sweeping the same due reminders, each reminder is sent once.

Needs PostgreSQL (TEST_DATABASE_URL's server, else 127.0.0.1:5432) and Redis (TEST_REDIS_URL, else
redis://127.0.0.1:6379/14); a database of its own is created for the run and dropped after it, and its
Redis keys carry a prefix of their own."""
import http.client
import os
import re
import threading
import uuid
from datetime import timedelta
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.checkin import scan_requests, seed
from bench.harness import Gunicorn, make_app, migrate, signed_in
from models import District, Member, RoleName, Station
from models.db import ALL_ORGS, make_engine
from services.accounts import members as member_service
from services.accounts import passwords
from services.checkin import codes as qr
from tests.load.ops.servers import redis_up, shared_postgres_url
from tests.load.notify.test_sweep_workers import summary, worker
from tests.load.ops.test_station_freshness import probe, seen_everywhere
from tests.standins.push_service import PushService

pytestmark = pytest.mark.load

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "two hosts 4 ever"
BURST = 200
DOUBLE = 40  # check-ins sent to both hosts at once with the same nonce
REMINDED = 300  # members with a reminder due, swept by one worker per host


def _admin_url(base: str, database: str) -> tuple[str, str]:
    url = make_url(base)
    return (url.set(database="postgres").render_as_string(hide_password=False),
            url.set(database=database).render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    base = shared_postgres_url()
    if base is None:
        pytest.skip("no PostgreSQL server answers")
    if not redis_up(REDIS_URL):
        pytest.skip(f"no Redis at {REDIS_URL}")
    database = f"{make_url(base).database}_two_hosts_{os.getpid()}"
    admin_url, url = _admin_url(base, database)
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    prefix = f"sc-two-hosts-{uuid.uuid4().hex[:8]}"
    tmp = tmp_path_factory.mktemp("two-hosts")
    try:
        migrate(url)
        app = make_app(url)
        station, people = seed(app, BURST + DOUBLE + 40)
        world = _more_people(app)
        world["instances"] = {"a": tmp / "host-a", "b": tmp / "host-b"}
        env = dict(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
        with Gunicorn(url, workers=2, threads=2, INSTANCE_PATH=str(tmp / "host-a"), **env) as a, \
                Gunicorn(url, workers=2, threads=2, INSTANCE_PATH=str(tmp / "host-b"), **env) as b:
            yield {"app": app, "a": a, "b": b, "station": station, "people": people, **world}
        app.extensions["sc_engine"].dispose()
    finally:
        import redis

        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        admin.dispose()


def _more_people(app) -> dict:
    """Members with passwords (for the sign-in tests), an administrator, and a second station."""
    from models import OrgUnit

    with app.app_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        branch_id = s.exec(text("SELECT id FROM org_unit WHERE kind = 'branch'")).scalar()
        digest = passwords.hash_password(PASSWORD)
        made = []
        for i, name in enumerate(("限次测试", "会话测试", "管理员")):
            m = Member(name=name, phone=f"1370000{i:04d}", org_unit_id=branch_id, password_hash=digest,
                       must_change_password=False)
            s.add(m)
            made.append(m)
        second = Station(code="two-hosts-2", name="第二站", district_code=s.get(District, "futian").code,
                         lat=22.55, lon=114.05, opening_hours="24/7")
        s.add(second)
        s.flush()
        member_service.grant_role(s, member_id=made[2].id, role=RoleName.admin)
        s.commit()
        assert s.get(OrgUnit, branch_id) is not None
        return {"limited": made[0], "traveller": made[1], "admin": made[2], "second": second,
                "admin_cookie": signed_in(app, made[2].id)}


def _send(port: int, req) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(req.method, req.path, body=req.body, headers=req.headers)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def test_checkin_burst_split_over_two_hosts(hosts):
    """Is a burst sent alternately to the two hosts, plus check-ins sent to both at once with the same nonce,
    answered 303 throughout, with exactly one record per member: 0 lost, 0 doubled?"""
    app, a, b = hosts["app"], hosts["a"], hosts["b"]
    people = hosts["people"][:BURST + DOUBLE]
    reqs = scan_requests(app, hosts["station"], people)
    jobs = [((a if i % 2 else b).port, req) for i, req in enumerate(reqs[:BURST])]
    for req in reqs[BURST:]:
        jobs += [(a.port, req), (b.port, req)]  # the same POST (same nonce) to both hosts
    barrier = threading.Barrier(8)

    def run(job):
        return _send(*job)

    def start(_):
        barrier.wait(10)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(start, range(8)))
        statuses = Counter(pool.map(run, jobs))
    assert statuses == {303: BURST + 2 * DOUBLE}, statuses
    with app.extensions["sc_engine"].connect() as conn:
        rows = conn.execute(text("SELECT member_id, nonce FROM checkin")).all()
    ids = {person[0] for person in people}
    mine = [(m, n) for m, n in rows if m in ids]
    assert len(mine) == BURST + DOUBLE, "lost or doubled check-ins"
    assert len({m for m, _ in mine}) == len({n for _, n in mine}) == BURST + DOUBLE


def _login(port: int, phone: str, password: str, session: requests.Session | None = None):
    session = session or requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"http://127.0.0.1:{port}/login", allow_redirects=False, timeout=30,
                          data={"phone": phone, "password": password, "csrf_token": token, "next": ""})
    return session, answer


def _limit(app) -> int:
    return int(app.config["LOGIN_LIMIT_ACCOUNT"].split()[0])


def test_failed_sign_ins_counted_across_hosts(hosts):
    """With the account's limit split between the hosts (wrong passwords on A, then on B), is the next try
    refused (429) on both, even with the right password?"""
    app, a, b = hosts["app"], hosts["a"], hosts["b"]
    phone, limit = hosts["limited"].phone, _limit(app)
    answers = [_login((a if i % 2 == 0 else b).port, phone, "wrong password")[1].status_code for i in range(limit)]
    assert answers == [401] * limit
    for host in (a, b):
        assert _login(host.port, phone, "wrong password")[1].status_code == 429
        assert _login(host.port, phone, PASSWORD)[1].status_code == 429


def test_session_from_one_host_valid_on_the_other(hosts):
    """Does a sign-in on A work on B (same cookie), and does signing out on B end the session on A too?"""
    a, b = hosts["a"], hosts["b"]
    member = hosts["traveller"]
    browser, answer = _login(a.port, member.phone, PASSWORD)
    assert answer.status_code == 302
    on_b = browser.get(f"http://127.0.0.1:{b.port}/me/", allow_redirects=False, timeout=30)
    assert on_b.status_code == 200 and member.name in on_b.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', on_b.text).group(1)
    out = browser.post(f"http://127.0.0.1:{b.port}/logout", data={"csrf_token": token}, allow_redirects=False,
                       timeout=30)
    assert out.status_code in (302, 303)
    again = requests.get(f"http://127.0.0.1:{a.port}/me/", allow_redirects=False, timeout=30,
                         cookies={k: v for k, v in browser.cookies.items()})
    assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_station_change_on_one_host_reaches_the_other_within_a_second(hosts):
    """When the administrator renews a poster and then closes a station on host A, does every worker of host
    B refuse the old poster, and then check-ins there, within a second?"""
    app, a, b = hosts["app"], hosts["a"], hosts["b"]
    station = hosts["second"]
    member_cookie = hosts["people"][-1][1]
    admin_cookie, admin_csrf = hosts["admin_cookie"]
    with app.test_request_context():
        old_poster = qr.poster_token(station)
    for _ in range(6):  # every worker of B has its copy
        assert probe(b.port, f"/c/{old_poster}", member_cookie) == 200
    headers = {"Cookie": admin_cookie, "Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1"}
    renewed = requests.post(f"http://127.0.0.1:{a.port}/checkin/stations/{station.id}/poster/renew",
                            data={"csrf_token": admin_csrf, "nonce": uuid.uuid4().hex}, headers=headers,
                            allow_redirects=False, timeout=30)
    assert renewed.status_code == 303
    assert seen_everywhere(lambda: probe(b.port, f"/c/{old_poster}", member_cookie), lambda s: s == 410) <= 1.0

    others = iter(scan_requests(app, station, hosts["people"][BURST + DOUBLE:]))
    assert _send(b.port, next(others)) == 303
    closed = requests.post(f"http://127.0.0.1:{a.port}/stations/{station.id}/manage", headers=headers,
                           data={"csrf_token": admin_csrf, "checkin_mode": "kiosk", "geofence_radius_m": "100"},
                           allow_redirects=False, timeout=30)
    assert closed.status_code == 303
    assert seen_everywhere(lambda: _send(b.port, next(others)), lambda s: s != 303) <= 1.0


def test_reminders_sent_once_with_one_worker_per_host(hosts):
    """With a worker on each host (its own instance folder, the shared PostgreSQL and Redis) sweeping the same
    due reminders at once, does each member's device get its reminder exactly once?"""
    from models import Member, PushSubscription, utcnow
    from services import notify

    app = hosts["app"]
    with PushService() as service:
        with app.app_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
            s.info["org_scope"] = ALL_ORGS
            branch_id = s.exec(text("SELECT id FROM org_unit WHERE kind = 'branch'")).scalar()
            members = [Member(name=f"提醒{i:03d}", phone=f"1350000{i:04d}", org_unit_id=branch_id)
                       for i in range(REMINDED)]
            s.add_all(members)
            s.flush()
            for member in members:
                device = service.new_device()
                s.add(PushSubscription(member_id=member.id, endpoint=device.endpoint, endpoint_hash=device.id,
                                       p256dh=device.keys["p256dh"], auth=device.keys["auth"]))
            s.commit()
            now = utcnow()
            notify.send(s, member_ids=[m.id for m in members], purpose=notify.MEETING_CHANGED, key="two-hosts:moved",
                        message=notify.Message("会议改期：支部党员大会", "改至周五 15:00", "/meetings/1"),
                        event_at=now + timedelta(minutes=90), now=now)
        procs = [worker(app, hosts["instances"][name], REDIS_URL=REDIS_URL) for name in ("a", "b")]
        results = [summary(proc) for proc in procs]
        assert sum(r["claimed"] for r in results) == REMINDED, results
        # a push that timed out on a busy machine is retried later, by design: make those due and sweep again
        with app.extensions["sc_engine"].begin() as conn:
            waiting = conn.execute(text("UPDATE delivery SET next_attempt_at = now() WHERE status = 'pending' "
                                        "RETURNING last_error")).scalars().all()
        if waiting:
            summary(worker(app, hosts["instances"]["a"], REDIS_URL=REDIS_URL))
        with app.extensions["sc_engine"].connect() as conn:
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM delivery GROUP BY status")).all())
        assert statuses == {"sent": REMINDED}, (statuses, waiting)
        assert len(service.hits) == REMINDED, waiting  # none lost
        # none twice, except a push whose answer timed out after the service took it (same Topic: it replaces)
        assert sum(service.hits.values()) - REMINDED <= len(waiting), waiting
