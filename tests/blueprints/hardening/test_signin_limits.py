"""Failed sign-ins: counted per account and address in a store all workers share, with growing delays,
so that a stranger's wrong passwords cannot lock the owner out."""
import pytest
from sqlmodel import select

from models import LoginAttempt
from services.accounts import throttle
from tests.conftest import PASSWORD, csrf_from


def attempt(app, phone, password, address, client=None):
    """One sign-in POST from an address (a fresh browser unless a client is given)."""
    client = client or app.test_client()
    token = csrf_from(client.get("/login", environ_overrides={"REMOTE_ADDR": address}).get_data(as_text=True))
    return client.post("/login", data={"phone": phone, "password": password, "csrf_token": token},
                       environ_overrides={"REMOTE_ADDR": address})


def test_attacker_cannot_lock_the_owner_out(app, factory):
    """After an address hits the limit for an account, is that address refused while the owner, from their
    own address, still signs in?"""
    member = factory.member(phone="13900000701")
    answers = [attempt(app, member.phone, "wrong password", "203.0.113.9").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    blocked = attempt(app, member.phone, PASSWORD, "203.0.113.9")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert attempt(app, member.phone, PASSWORD, "198.51.100.7").status_code == 302


def test_many_addresses_slow_new_devices_but_not_the_owners_phone(app, factory):
    """When many addresses guess one account, are new devices slowed, while the owner's phone (with its
    device cookie from an earlier sign-in) still gets in?"""
    member = factory.member(phone="13900000702")
    phone_of_owner = app.test_client()
    assert attempt(app, member.phone, PASSWORD, "198.51.100.7", phone_of_owner).status_code == 302
    phone_of_owner.post("/logout", data={"csrf_token": csrf_from(phone_of_owner.get("/me/").get_data(as_text=True))})
    limit = throttle.Rule.parse(app.config["LOGIN_LIMIT_ACCOUNT_ANY"]).failures
    for i in range(limit):
        assert attempt(app, member.phone, "wrong password", f"203.0.113.{i + 1}").status_code == 401
    assert attempt(app, member.phone, PASSWORD, "192.0.2.200").status_code == 429  # a new device waits
    assert attempt(app, member.phone, PASSWORD, "192.0.2.201", phone_of_owner).status_code == 302


def test_address_trying_many_numbers_is_stopped(app, factory):
    """Is one address trying many numbers (credential stuffing) stopped after LOGIN_LIMIT_ADDRESS failures?"""
    limit = throttle.Rule.parse(app.config["LOGIN_LIMIT_ADDRESS"]).failures
    for i in range(limit):
        attempt(app, f"1390000{i:04d}", "wrong password", "203.0.113.50")
    assert attempt(app, "13900009999", "wrong password", "203.0.113.50").status_code == 429
    assert attempt(app, "13900009999", "wrong password", "203.0.113.51").status_code == 401


def test_success_clears_the_pair_but_not_the_address(app, factory):
    """Does a right password forget the pair's failures (the owner's typos), while the address's count stays?"""
    member = factory.member(phone="13900000703")
    for _ in range(4):
        attempt(app, member.phone, "wrong password", "198.51.100.8")
    assert attempt(app, member.phone, PASSWORD, "198.51.100.8").status_code == 302
    for _ in range(4):
        assert attempt(app, member.phone, "wrong password", "198.51.100.8").status_code == 401


def test_counts_are_stored_as_hmacs(app, factory, session):
    """Are the counts kept in the database under keys that hold no phone number or address?"""
    app.config["REDIS_URL"] = None  # the embedded default (CI's PostgreSQL run sets a Redis)
    attempt(app, "13900000704", "wrong password", "203.0.113.77")
    rows = session.exec(select(LoginAttempt)).all()
    session.commit()
    assert len(rows) == 3
    assert not any("13900000704" in r.key or "203.0.113" in r.key for r in rows)


def test_delays_grow_and_counts_are_forgotten_after_a_quiet_window(app, session):
    """At the limit, does the wait double with each further failure up to the window, and is the count
    forgotten after a whole window without failures?"""
    store = throttle.SqlStore(session)
    limits = throttle.Limits(throttle.Rule(5, 900), throttle.Rule(20, 900), throttle.Rule(30, 3600))
    keys = [throttle.Key("pair", "p:test")]
    t = 1_000_000_000_000
    waits = []
    for i in range(9):
        assert throttle.record_failure(store, keys, limits, now_ms=t) == 0
        waits.append(throttle.wait_seconds(store, keys, now_ms=t))
        t += waits[-1] * 1000  # the attacker waits out each delay
    assert waits == [0, 0, 0, 0, 60, 120, 240, 480, 900]
    assert throttle.record_failure(store, keys, limits, now_ms=t - 1000) > 0  # still waiting: refused, not counted
    later = t + 901_000
    assert throttle.wait_seconds(store, keys, now_ms=later) == 0
    throttle.record_failure(store, keys, limits, now_ms=later)
    assert throttle.wait_seconds(store, keys, now_ms=later) == 0  # a fresh count


def test_two_apps_on_one_database_share_the_count(tmp_path, factory):
    """Do two app instances (two workers or hosts) on one SQLite file count the same failures?"""
    from sqlmodel import Session, SQLModel

    from app import create_app
    from config import TestConfig
    from models.db import ALL_ORGS
    from tests.conftest import Factory

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    apps = [create_app(TestConfig(url)) for _ in range(2)]
    SQLModel.metadata.create_all(apps[0].extensions["sc_engine"])
    with Session(apps[0].extensions["sc_engine"]) as s:
        s.info["org_scope"] = ALL_ORGS
        Factory(apps[0], s).member(phone="13900000705")
    answers = [attempt(apps[i % 2], "13900000705", "wrong password", "203.0.113.5").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]
    for a in apps:
        a.extensions["sc_engine"].dispose()


@pytest.fixture
def redis_url():
    """A Redis db of this test run (TEST_REDIS_URL, or db 4 on the local Redis), emptied before and after."""
    import os
    import socket

    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/4"
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("signin:*"):
        client.delete(key)
    yield url
    for key in client.scan_iter("signin:*"):
        client.delete(key)


def test_redis_store_counts_and_falls_back(app, session, redis_url):
    """With REDIS_URL, are failures counted in Redis (the database untouched), with the same growing waits,
    and counted in the database while Redis does not answer?"""
    import redis

    store = throttle.RedisStore(redis.Redis.from_url(redis_url), throttle.SqlStore(session))
    limits = throttle.Limits(throttle.Rule(2, 900), throttle.Rule(20, 900), throttle.Rule(30, 3600))
    keys = [throttle.Key("pair", "p:redis-test")]
    throttle.record_failure(store, keys, limits)
    assert throttle.wait_seconds(store, keys) == 0
    throttle.record_failure(store, keys, limits)
    assert 55 <= throttle.wait_seconds(store, keys) <= 60
    assert session.exec(select(LoginAttempt)).all() == []
    session.commit()
    dead = throttle.RedisStore(redis.Redis(port=1, socket_connect_timeout=0.2), throttle.SqlStore(session))
    throttle.record_failure(dead, keys, limits)
    throttle.record_failure(dead, keys, limits)
    assert throttle.wait_seconds(dead, keys) > 0
    throttle.succeeded(store, keys, {}, limits)
    assert throttle.wait_seconds(store, keys) == 0


def test_a_burst_gets_no_more_tries_than_the_limit(session):
    """When attempts start together (several workers at once), are only the first `limit` let through to the
    password check, each later one refused at once?"""
    store = throttle.SqlStore(session)
    limits = throttle.Limits(throttle.Rule(5, 900), throttle.Rule(20, 900), throttle.Rule(30, 3600))
    keys = [throttle.Key("pair", "p:burst")]
    started = [throttle.begin(store, keys, limits, now_ms=1_000_000) for _ in range(12)]  # none finished yet
    assert [wait == 0 for wait, _ in started] == [True] * 5 + [False] * 7
