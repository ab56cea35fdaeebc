"""Take the README's screenshots: the demo city served locally, a 390x844 phone in zh-CN.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL]   (default: a fresh seeded server)
Writes docs/screenshots/*.png.
"""
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-2026-sc"

# (file name, account, path, what to do before the shot)
SHOTS = [
    ("login", None, "/login", None),
    ("home-member", "13800000002", "/", None),
    ("me", "13800000002", "/me/", None),
    ("checkin", "13800000002", "/checkin/", None),
    ("service", "13800000002", "/checkin/service", None),
    ("map-list", "13800000002", "/stations/?district=futian", None),
    ("station", "13800000002", "/stations/1", None),
    ("kiosk", "13800000001", "/checkin/", None),
    ("study", "13800000002", "/study/", None),
    ("study-record", "13800000002", "/study/record", None),
    ("home-secretary", "13800000001", "/", None),
    ("workspace", "13800000001", "/workspace/", None),
    ("workspace-members", "13800000001", "/workspace/units/{branch}/members", None),
    ("workspace-rating", "13800000001", "/workspace/units/{branch}/rating", None),
    ("study-matrix", "13800000001", "/study/manage/units/{branch}/matrix", None),
    ("meetings", "13800000002", "/meetings/", None),
    ("meeting", "13800000002", "{meeting}", None),
    ("meetings-manage", "13800000001", "/meetings/units/{branch}", None),
    ("meetings-compliance", "13800000001", "/meetings/units/{branch}/compliance", None),
    ("inbox", "13800000002", "/inbox/", None),
    ("notify-settings", "13800000002", "/inbox/settings", None),
    ("privacy", "13800000002", "/me/privacy", None),
    ("audit-trail", "13800000001", "/audit/", None),
]


def _serve_demo() -> tuple[str, callable]:
    """A seeded demo server on a free port."""
    from werkzeug.serving import make_server

    from app import create_app
    from cli import upgrade_database
    from config import Config

    tmp = Path(tempfile.mkdtemp())
    cfg = Config()
    cfg.DATABASE_URL = f"sqlite:///{tmp / 'demo.db'}"
    cfg.SESSION_COOKIE_SECURE = False
    cfg.REMEMBER_COOKIE_SECURE = False
    cfg.DEMO_MODE = True
    app = create_app(cfg)
    upgrade_database(app)
    with app.app_context():
        from models.db import get_session
        from demo import seed_demo

        print(seed_demo(get_session()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", lambda: (server.shutdown(), shutil.rmtree(tmp))


def _demo_branch_id(page, base) -> int:
    """The demo secretary's branch id, read from the links of their workspace."""
    page.goto(base + "/workspace/")
    hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
    ids = [int(m.group(1)) for h in hrefs if h and (m := re.match(r"/workspace/units/(\d+)", h))]
    return ids[0] if ids else 1


def _first_meeting(page, base) -> str:
    """The first meeting the member's meetings list links to."""
    page.goto(base + "/meetings/")
    hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
    return next((h for h in hrefs if h and re.fullmatch(r"/meetings/\d+", h)), "/meetings/")


def main() -> None:
    """Sign in as each demo account and photograph its screens."""
    base, stop = (sys.argv[1], lambda: None) if len(sys.argv) > 1 else _serve_demo()
    OUT.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                    "--disable-background-networking"])
        signed_in = {}
        for name, account, path, action in SHOTS:
            if account not in signed_in:
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                          is_mobile=True, has_touch=True, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
                page = ctx.new_page()
                if account:
                    page.goto(base + "/login")
                    page.get_by_label("手机号").fill(account)
                    page.get_by_label("密码").fill(PASSWORD)
                    page.get_by_role("button", name="登录").click()
                    page.wait_for_load_state("networkidle")
                signed_in[account] = page
            page = signed_in[account]
            if "{branch}" in path:
                path = path.format(branch=_demo_branch_id(page, base))
            if path == "{meeting}":
                path = _first_meeting(page, base)
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            if action:
                action(page)
            page.screenshot(path=str(OUT / f"{name}.png"))
            print("wrote", OUT / f"{name}.png")
        browser.close()
    stop()


if __name__ == "__main__":
    main()
