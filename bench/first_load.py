"""Benchmark: what a phone downloads for the signed-in pages, first visit (empty cache) and repeat visit.

    python bench/first_load.py [--details]

The demo city in a temporary SQLite database, the app under gunicorn (gunicorn.conf.py), and
headless Chromium (Debian's, through Playwright) at 390x844 signed in as the demo member. For each
of the home, stations, study and check-in pages: a new browser context (empty HTTP cache, no
service worker), one visit, wait until the network is quiet and the service worker has installed,
then a second visit in the same context. Bytes are counted twice:

- `*_kb`: every byte the server sent to the browser (headers and bodies, any target: page, service
  worker, manifest), counted by a TCP relay between Chromium and gunicorn;
- `page_kb`: the page's own requests as Chromium's DevTools protocol reports them
  (Network.loadingFinished encodedDataLength), with the list of what was fetched.

Prints one JSON line: first_load_kb and repeat_load_kb (the worst of the four pages), and per page.
Targets (issue 15): first load <= 50 KB, repeat <= 10 KB.
"""
import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, Gunicorn, free_port, machine  # noqa: E402

PAGES = {"home": "/", "stations": "/stations/", "study": "/study/", "checkin": "/checkin/"}
MEMBER, PASSWORD = "13800000002", "demo-2026-sc"


class CountingRelay:
    """A TCP relay on 127.0.0.1 that counts the bytes going from the server to the browser."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.down = 0
        self.connections = 0
        self.by_request: list = []  # [path, bytes] in order, for --details
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _pipe(self, reader, writer, count: bool, current: list):
        try:
            while data := await reader.read(65536):
                if count:
                    self.down += len(data)
                    if current:
                        current[-1][1] += len(data)
                else:
                    line = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                    if len(line) == 3 and line[2].startswith("HTTP/"):
                        entry = [line[0] + " " + line[1].split("?v=")[0], 0]
                        current.append(entry)
                        self.by_request.append(entry)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def _handle(self, client_reader, client_writer):
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        current: list = []
        await asyncio.gather(self._pipe(client_reader, server_writer, False, current),
                             self._pipe(server_reader, client_writer, True, current))

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)


def seed_demo(tmp: Path) -> str:
    """A temporary SQLite database with the demo city (flask db upgrade + flask demo seed)."""
    url = f"sqlite:///{tmp / 'demo.db'}"
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=str(tmp / "instance"), DEMO_MODE="1",
               SECRET_KEY="first-load-bench", LOG_LEVEL="WARNING")
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return url


def settle(page, quiet_ms: int = 1500, timeout_s: float = 20) -> None:
    """Wait for the load, a quiet network, and the service worker's install to end."""
    page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
    page.evaluate("""() => 'serviceWorker' in navigator ? Promise.race([
        navigator.serviceWorker.ready, new Promise(r => setTimeout(r, 5000))]) : null""")
    page.wait_for_timeout(quiet_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)


class PageNetwork:
    """The page's requests from the DevTools protocol: url, status, bytes (encodedDataLength)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.requests: dict[str, dict] = {}
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.requestServedFromCache", self._cached)

    def _response(self, event):
        r = event["response"]
        self.requests.setdefault(event["requestId"], {}).update(
            url=r["url"], status=r["status"], type=event.get("type"),
            from_cache=bool(r.get("fromDiskCache") or r.get("fromServiceWorker") or r.get("fromPrefetchCache")))

    def _cached(self, event):
        self.requests.setdefault(event["requestId"], {})["from_cache"] = True

    def _finished(self, event):
        self.requests.setdefault(event["requestId"], {})["bytes"] = event.get("encodedDataLength", 0)

    def take(self) -> list[dict]:
        done = [r for r in self.requests.values() if "url" in r]
        self.requests = {}
        return done


def _short(url: str, base: str) -> str:
    return url.replace(base, "").split("?v=")[0]


def measure(browser, base: str, relay: CountingRelay, storage_state: dict, path: str) -> dict:
    """First and repeat visit of one page in a fresh context."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  storage_state=storage_state)
    try:
        page = context.new_page()
        net = PageNetwork(context, page)
        relay.down, relay.by_request = 0, []
        page.goto(base + path)
        settle(page)
        first_wire, first, first_wire_list = relay.down, net.take(), relay.by_request
        page.close()
        page = context.new_page()
        net = PageNetwork(context, page)
        relay.down, relay.by_request = 0, []
        page.goto(base + path)
        settle(page)
        repeat_wire, repeat, repeat_wire_list = relay.down, net.take(), relay.by_request
    finally:
        context.close()
    fetched = [r for r in first if not r.get("from_cache")]
    refetched = [r for r in repeat if not r.get("from_cache") and r.get("bytes", 0) > 0]
    return {
        "first_kb": round(first_wire / 1024, 1),
        "repeat_kb": round(repeat_wire / 1024, 1),
        "page_kb": round(sum(r.get("bytes", 0) for r in fetched) / 1024, 1),
        "page_repeat_kb": round(sum(r.get("bytes", 0) for r in refetched) / 1024, 1),
        "fetched": {_short(r["url"], base): round(r.get("bytes", 0) / 1024, 2) for r in fetched},
        "refetched": {_short(r["url"], base): round(r.get("bytes", 0) / 1024, 2) for r in refetched},
        "wire": [(name, round(n / 1024, 2)) for name, n in first_wire_list],
        "repeat_wire": [(name, round(n / 1024, 2)) for name, n in repeat_wire_list],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--details", action="store_true", help="also list each page's requests")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print(json.dumps({"error": "Debian's chromium is not installed"}))
        return 1
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-first-load-"))
    url = seed_demo(tmp)
    results = {}
    with Gunicorn(url, DEMO_MODE="1", INSTANCE_PATH=str(tmp / "instance"), LOG_LEVEL="WARNING") as server, \
            CountingRelay(server.port) as relay, sync_playwright() as p:
        base = f"http://127.0.0.1:{relay.port}"
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        try:
            login = browser.new_context(locale="zh-CN")
            page = login.new_page()
            page.goto(base + "/login")
            page.fill("input[name=phone]", MEMBER)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            state = login.storage_state()
            login.close()
            for name, path in PAGES.items():
                results[name] = measure(browser, base, relay, state, path)
        finally:
            browser.close()
    figures = {
        "first_load_kb": max(r["first_kb"] for r in results.values()),
        "repeat_load_kb": max(r["repeat_kb"] for r in results.values()),
        "pages": {name: {k: v for k, v in r.items()
                         if args.details or k not in ("fetched", "refetched", "wire", "repeat_wire")}
                  for name, r in results.items()},
        "machine": machine(), "at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    print(json.dumps(figures, ensure_ascii=False))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
