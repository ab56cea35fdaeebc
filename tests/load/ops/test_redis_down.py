"""Redis gone (REDIS_URL set): rate limits and the task queue degrade with a logged warning; pages, sign-in
and check-in go on; when Redis is back, limits are counted there again."""
import logging
import re
import time
import uuid

import pytest
import redis
from huey import RedisHuey
from sqlmodel import Session, SQLModel

from app import create_app
from config import TestConfig
from models.db import ALL_ORGS
from ops.queue import enqueue
from services.checkin import codes as qr
from tests.conftest import TEST_DATABASE_URL, Auth, Factory
from tests.load.ops.servers import PrivateRedis

pytestmark = pytest.mark.load


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.kill()


@pytest.fixture
def redis_app(private_redis, tmp_path, request):
    """The app with its limits in the private Redis (on the suite's database, or a SQLite file)."""
    url = TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgres") else f"sqlite:///{tmp_path / 'r.db'}"
    if url.startswith("postgres"):
        request.getfixturevalue("app")  # empties the suite's PostgreSQL database
    cfg = TestConfig(url)
    cfg.REDIS_URL = cfg.RATELIMIT_STORAGE_URI = private_redis.url
    cfg.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    cfg.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    application = create_app(cfg)
    from extensions import limiter

    @limiter.limit("3 per minute")
    def limited():
        return "ok"

    application.add_url_rule("/_test/limited", view_func=limited)  # a route limited through Redis
    if not url.startswith("postgres"):
        SQLModel.metadata.create_all(application.extensions["sc_engine"])
    yield application
    application.extensions["sc_engine"].dispose()


def _confirm_fields(html: str) -> dict:
    return dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))


def test_redis_down_degrades_and_recovers(redis_app, private_redis, caplog):
    """With Redis killed: do pages, sign-in and check-in still answer, are route limits counted in memory
    meanwhile (a warning logged), does a queued task run in place with a warning, and once Redis is back
    are limits counted there again?"""
    with Session(redis_app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        factory = Factory(redis_app, s)
        station, member = factory.station(), factory.member()
        other = factory.member()
    store = redis.Redis.from_url(private_redis.url)
    client = redis_app.test_client()
    auth = Auth(client)
    assert client.get("/_test/limited").status_code == 200
    assert store.keys("*"), "the limit was not counted in Redis"

    private_redis.kill()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        assert client.get("/login").status_code == 200
        assert auth.login(other.phone, "wrong password").status_code == 401
        assert auth.login(member.phone).status_code == 302  # sign-in works
        assert client.get("/").status_code == 200
        with redis_app.test_request_context():
            code = qr.rotating_token(station)
        fields = _confirm_fields(client.get(f"/c/{code}").get_data(as_text=True))
        fields["nonce"] = uuid.uuid4().hex
        assert client.post("/checkin/scan", data=fields).status_code == 303  # check-in works
        elapsed = time.monotonic() - started
        # the route's limit still holds, counted in this process's memory meanwhile
        statuses = [client.get("/_test/limited").status_code for _ in range(4)]
        assert statuses[0] == 200 and statuses[-1] == 429, statuses

        pool = redis.ConnectionPool.from_url(private_redis.url, socket_connect_timeout=0.5)
        huey = RedisHuey("sc-test", connection_pool=pool)
        ran = []

        @huey.task()
        def send_notice(member_id):
            ran.append(member_id)

        enqueue(send_notice, member.id)
        assert ran == [member.id]
    assert elapsed < 10, "a dead Redis stalled the requests"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("storage unreachable" in r.getMessage().lower() for r in warnings), [r.getMessage() for r in warnings]
    assert any(r.name == "ops.queue" for r in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "sc.request"]

    private_redis.start()  # same port
    time.sleep(0.2)
    store.flushdb()
    deadline = time.time() + 40  # Flask-Limiter re-checks the storage every few seconds
    while time.time() < deadline and not store.keys("*"):
        client.get("/_test/limited")
        time.sleep(0.5)
    assert store.keys("*"), "limits were not counted in Redis again after it came back"
