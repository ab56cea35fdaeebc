"""A locked SQLite database answers 503 with Retry-After; every response carries a request id, which the
500 page shows; one JSON log line per request, with the route template and no path."""
import json
import logging
import re
import sqlite3
import uuid

import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, SQLModel, select

from app import create_app
from config import TestConfig
from models import CheckIn
from models.db import ALL_ORGS
from ops.faults import is_transient
from ops.logs import JsonFormatter
from services.checkin import codes as qr
from tests.conftest import TEST_DATABASE_URL, Auth, Factory

sqlite_only = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="SQLite's lock")


@pytest.fixture
def file_app(tmp_path):
    """The app on a SQLite file whose writers wait only 200 ms for the lock."""
    cfg = TestConfig(f"sqlite:///{tmp_path / 'locked.db'}")
    cfg.SQLITE_BUSY_TIMEOUT_MS = 200
    application = create_app(cfg)
    SQLModel.metadata.create_all(application.extensions["sc_engine"])
    yield application
    application.extensions["sc_engine"].dispose()


def _confirm_fields(html: str) -> dict:
    return dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))


@sqlite_only
def test_locked_database_answers_503_then_recovers(file_app, tmp_path):
    """With another writer holding SQLite's lock past the busy timeout, is a check-in a 503 with
    Retry-After (page and htmx notice alike), nothing written, and the same POST fine once the lock is gone?"""
    with Session(file_app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        factory = Factory(file_app, s)
        station, member = factory.station(), factory.member()
    client = file_app.test_client()
    Auth(client).login(member.phone)
    with file_app.test_request_context():
        code = qr.rotating_token(station)
    fields = _confirm_fields(client.get(f"/c/{code}").get_data(as_text=True))
    fields["nonce"] = uuid.uuid4().hex
    holder = sqlite3.connect(tmp_path / "locked.db", timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding the write lock
    try:
        busy = client.post("/checkin/scan", data=fields)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        assert "服务繁忙" in busy.get_data(as_text=True)
        htmx = client.post("/checkin/scan", data=fields, headers={"HX-Request": "true"})
        assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#notice"
        assert htmx.headers["Retry-After"] == "2"
    finally:
        holder.rollback()
        holder.close()
    again = client.post("/checkin/scan", data=fields)
    assert again.status_code == 303
    with Session(file_app.extensions["sc_engine"]) as s:
        s.info["org_scope"] = ALL_ORGS
        assert len(s.exec(select(CheckIn.id)).all()) == 1


def test_transient_and_real_database_errors_are_told_apart():
    """Are a lock, a refused or dropped connection and a server shutdown "try again", and a missing table a bug?"""
    assert is_transient(sqlite3.OperationalError("database is locked"))
    assert is_transient(sa_exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")))
    assert not is_transient(sa_exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    assert is_transient(sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused")))
    assert is_transient(sa_exc.OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating")))
    assert is_transient(sa_exc.OperationalError("x", {}, psycopg.errors.CannotConnectNow("starting up")))
    assert not is_transient(sa_exc.ProgrammingError("x", {}, psycopg.errors.UndefinedTable("no table")))
    assert is_transient(sa_exc.TimeoutError("QueuePool limit reached"))


def test_request_id_echoed_or_made(client):
    """Does every response (pages and static files) carry X-Request-ID: the proxy's when it looks like one,
    a fresh one otherwise?"""
    made = client.get("/login")
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["X-Request-ID"])
    given = client.get("/login", headers={"X-Request-ID": "edge-4f2a9c1b7d"})
    assert given.headers["X-Request-ID"] == "edge-4f2a9c1b7d"
    hostile = client.get("/login", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{16}", hostile.headers["X-Request-ID"])
    assert client.get("/static/css/app.css").headers["X-Request-ID"]


def test_500_page_shows_the_request_id(app, caplog):
    """Does an unexpected error give the 500 page with the request id, logged under the same id?"""
    def boom():
        raise RuntimeError("a bug, with a phone 13912345678 in its message")

    app.add_url_rule("/_test/boom", view_func=boom)
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        response = client.get("/_test/boom")
        response.close()
    request_id = response.headers["X-Request-ID"]
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and f"错误编号：{request_id}" in html
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    error = next(line for line in lines if line.get("error") == "RuntimeError")
    assert error["request_id"] == request_id and "13912345678" not in json.dumps(error)
    request_line = next(line for line in lines if line.get("event") == "request")
    assert request_line["status"] == 500 and request_line["request_id"] == request_id


def test_one_json_line_per_request_with_route_not_path(app, client, auth, factory, caplog):
    """Is each request one line with method, route template, status, duration and the member's id, and
    never the path (which carries the check-in code)?"""
    station, member = factory.station(), factory.member()
    auth.login(member.phone)
    with app.test_request_context():
        code = qr.rotating_token(station)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sc.request"):
        client.get(f"/c/{code}").close()
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "sc.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["route"] == "/c/<code>" and line["method"] == "GET" and line["status"] == 200
    assert line["user_id"] == member.id and line["duration_ms"] > 0 and line["level"] == "info"
    assert code not in json.dumps(line) and member.phone not in json.dumps(line)


@pytest.mark.parametrize("hops, seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_address_believed_only_behind_a_trusted_proxy(hops, seen):
    """Is X-Forwarded-For taken as the client's address only when TRUSTED_PROXIES says a proxy is in front?"""
    from flask import request

    cfg = TestConfig()
    cfg.TRUSTED_PROXIES = hops
    application = create_app(cfg)
    application.add_url_rule("/_test/addr", view_func=lambda: f"{request.remote_addr} {request.scheme}")
    client = application.test_client()
    answer = client.get("/_test/addr", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
                        environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert answer == f"{seen} {'https' if hops else 'http'}"
