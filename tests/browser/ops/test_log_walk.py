"""A full walk through the app in Chromium, as a member, a secretary and an administrator, with every log line
captured: no phone number, name, coordinate, token or code may appear in any of them.

The walk follows every same-site link (breadth first, a bounded number of pages per person), so pages that
other features add are walked without changing this test; the check-in, a failed sign-in and the map are
done by hand on top. To walk a new flow that needs a form, add a step to `_by_hand`.
"""
import json
import logging
import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlmodel import select

from models import Member, Station
from ops.logs import JsonFormatter
from services.checkin import codes as qr
from tests.browser.conftest import phone_context, sign_in

HERE = {"latitude": 22.547213, "longitude": 114.085917}
PAGES_PER_PERSON = 45
SKIP = ("/logout", "/static/", "/sw.js", "/manifest", "/c/", "/favicon", "/healthz", "/offline")


class Captured(logging.Handler):
    """Every record of every logger, formatted as the app's JSON line."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured():
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def demo_city(live_server):
    """A small demo city (the demo accounts, stations, branches, study tasks, activities)."""
    from demo import seed_demo
    from models.db import get_session

    with live_server.app.app_context():
        seed_demo(get_session(), members=120, branches=6, stations=200)
    return live_server


def _walk(page, base: str, start: str, limit: int) -> list[str]:
    """Visit same-site links breadth first from `start`; returns the paths visited."""
    queue, seen, visited = [start], {start}, []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        try:
            response = page.goto(base + path)
        except Exception:  # noqa: BLE001 - a download or an aborted navigation: nothing to read
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            url = urlsplit(urljoin(base + path, href))
            if url.netloc != urlsplit(base).netloc or url.path.startswith(SKIP):
                continue
            if url.path.endswith((".csv", ".pdf", ".ics", ".xlsx")) or "export" in url.path:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return visited


def _by_hand(page, base: str, app, station) -> list[str]:
    """Flows behind forms: a check-in with the kiosk's code, the nearest stations by location."""
    secrets = []
    with app.test_request_context():
        code = qr.rotating_token(station)
        poster = qr.poster_token(station)
    secrets += [code, poster]
    page.goto(f"{base}/c/{code}")
    page.get_by_role("button", name=re.compile("签到|签退")).first.click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/c/{poster}")  # the poster asks for the position (the fake one above)
    page.wait_for_load_state("networkidle")
    page.goto(base + "/stations/consent")
    if page.get_by_role("checkbox").count():
        page.get_by_role("checkbox").first.check()
        page.get_by_role("button", name="同意并继续").click()
        page.wait_for_load_state("networkidle")
    page.goto(base + "/stations/map")
    page.wait_for_load_state("networkidle")
    secrets += [page.locator('meta[name="csrf-token"]').get_attribute("content") or ""]
    return secrets


def test_logs_of_a_full_walk_hold_no_personal_data(browser, demo_city, captured, shot):
    """After a member, a secretary and an administrator have walked every page they can reach, checked in,
    used their location and mistyped a password, do the captured log lines (one per request at least) hold
    no phone number, name, coordinate, session or CSRF token, or check-in code?"""
    from demo import ADMIN_PHONE, DEMO_PASSWORD, MEMBER_PHONE, SECRETARY_PHONE

    server = demo_city
    base, app = server.url, server.app
    with app.app_context():
        from models.db import get_session, unscoped

        session = get_session()
        with unscoped(session):
            people = session.exec(select(Member.name, Member.phone)).all()
            me = session.exec(select(Member).where(Member.phone == MEMBER_PHONE)).one()
            station = session.exec(select(Station).where(Station.is_active.is_(True)).order_by(Station.id)).first()
            coords = session.exec(select(Station.lat, Station.lon).limit(50)).all()
    secrets: list[str] = []
    visited: dict[str, list[str]] = {}
    for phone in (MEMBER_PHONE, SECRETARY_PHONE, ADMIN_PHONE):
        context = phone_context(browser, geolocation=HERE, permissions=["geolocation"])
        page = context.new_page()
        try:
            page.goto(base + "/login")
            page.get_by_label("手机号").fill(phone)
            page.get_by_label("密码").fill("not the password")
            page.get_by_role("button", name="登录").click()
            sign_in(page, base, phone, DEMO_PASSWORD)
            if phone == MEMBER_PHONE:
                secrets += _by_hand(page, base, app, station)
            visited[phone] = _walk(page, base, "/", PAGES_PER_PERSON)
            secrets += [c["value"] for c in context.cookies()]
            secrets.append(page.locator('meta[name="csrf-token"]').get_attribute("content") or "")
            shot(page, f"walk-{phone[-1]}")
        finally:
            context.close()

    lines = captured.lines
    assert sum(len(v) for v in visited.values()) >= 30, visited
    requests_logged = [json.loads(line) for line in lines if '"event": "request"' in line]
    assert len(requests_logged) >= sum(len(v) for v in visited.values())
    assert {"/", "/login", "/c/<code>"} <= {r["route"] for r in requests_logged}
    assert any(r["user_id"] == me.id for r in requests_logged)
    text = "\n".join(lines)
    for pattern, what in ((r"(?<![0-9a-f])1[3-9]\d{9}(?![0-9a-f])", "a phone number"),
                          (r"[\u3400-\u9fff]", "Chinese text (a name, an address)"),
                          (r"\b\d{2,3}\.\d{4,}", "a coordinate")):
        found = re.search(pattern, text)
        assert not found, f"{what} in the logs: {text[max(0, found.start() - 300):found.end() + 50]}"
    for name, phone in people:
        assert phone not in text and name not in text
    for lat, lon in coords:
        assert f"{lat:.4f}" not in text and f"{lon:.4f}" not in text
    for value in (f"{HERE['latitude']}", f"{HERE['longitude']}", DEMO_PASSWORD, "not the password", *secrets):
        assert not value or value not in text, f"a secret in the logs: {value[:12]}…"
