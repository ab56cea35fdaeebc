"""Failed sign-ins are counted in Redis when REDIS_URL is set, so every web host shares the count."""
import socket

import pytest

from app import create_app
from config import TestConfig
from tests.conftest import TEST_DATABASE_URL, Auth, Factory


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_login_limit_shared_through_redis(app, monkeypatch):
    """Do two app instances (two hosts) share one failed-sign-in count through Redis?"""
    import redis
    from sqlmodel import Session, SQLModel

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    monkeypatch.setenv("REDIS_URL", url)
    apps = []
    for _ in range(2):
        cfg = TestConfig(TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgres") else "sqlite://")
        cfg.RATELIMIT_STORAGE_URI = cfg.REDIS_URL
        apps.append(create_app(cfg))
    assert apps[0].config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    for a in apps:
        SQLModel.metadata.create_all(a.extensions["sc_engine"])
    with Session(apps[0].extensions["sc_engine"]) as s:
        s.info["org_scope"] = "all"
        Factory(apps[0], s).member(phone="13900000555")
    first, second = Auth(apps[0].test_client()), Auth(apps[1].test_client())
    for _ in range(3):
        first.login("13900000555", "wrong-password")
    for _ in range(2):
        second.login("13900000555", "wrong-password")
    assert second.login("13900000555", "wrong-password").status_code == 429
    redis.Redis.from_url(url).flushdb()
