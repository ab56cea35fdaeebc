"""Real headless Chromium (Debian's package) driven by Playwright, against a live server.

Each test gets its own server on a free port with its own SQLite file, a phone-sized
zh-CN browser context, and a `shot(name)` helper that saves screenshots under
test-results/screens/ to look at.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from app import create_app
from config import TestConfig
from models.db import ALL_ORGS
from tests.conftest import Factory

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENS = Path(__file__).resolve().parent.parent.parent / "test-results" / "screens"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    """Mark every test here as a browser test, and skip them where Chromium or Playwright is missing."""
    try:
        import playwright  # noqa: F401
        missing = None if CHROMIUM else "Debian's chromium is not installed (make browser-deps)"
    except ImportError:
        missing = "playwright is not installed"
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=missing))


class LiveServer:
    """The app served from a thread on 127.0.0.1 with a file database."""

    def __init__(self, tmp_path: Path, **config):
        cfg = TestConfig(f"sqlite:///{tmp_path / 'live.db'}")
        for key, value in config.items():
            setattr(cfg, key, value)
        self.app = create_app(cfg)
        self.engine = self.app.extensions["sc_engine"]
        SQLModel.metadata.create_all(self.engine)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.engine.dispose()


@pytest.fixture
def live_server(tmp_path):
    """A running server for one test."""
    server = LiveServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def live_session(live_server):
    """A database session on the live server's database (reads every org unit)."""
    with Session(live_server.engine, expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        yield s


@pytest.fixture
def live_factory(live_server, live_session):
    """Factories writing into the live server's database."""
    return Factory(live_server.app, live_session)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def phone_context(browser, **kw):
    """A 390x844 touch phone in zh-CN, Asia/Shanghai."""
    options = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
                   locale="zh-CN", timezone_id="Asia/Shanghai")
    options.update(kw)
    return browser.new_context(**options)


@pytest.fixture
def context(browser):
    """A fresh phone context for one test."""
    ctx = phone_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page in the phone context; console errors fail the test."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.console_errors = errors
    yield pg


@pytest.fixture
def shot(request):
    """Save a screenshot under test-results/screens/<test>-<name>.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        path = SCREENS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page, base_url: str, phone: str, password: str) -> None:
    """Sign in through the real form."""
    page.goto(base_url + "/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
