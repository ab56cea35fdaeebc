"""Minimal benchmark helpers for bench/geo.py: start gunicorn, sign in, generate keep-alive load.

(The lead may fold these into a shared bench/harness.py.) Traffic goes to 127.0.0.1 only, each
load run is bounded in time, and gunicorn is stopped by its own process id.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
ERRORS = SimpleNamespace(value=0)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """The app under gunicorn (gunicorn.conf.py), with the hello-world baseline and no access log."""

    def __init__(self, *, database_url: str, instance: Path, workers: int = 2, threads: int = 2):
        self.port = free_port()
        self.base = ("127.0.0.1", self.port)
        self.env = {**os.environ, "DATABASE_URL": database_url, "BENCH_HELLO": "1", "ACCESS_LOG": "",
                    "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
                    "GUNICORN_THREADS": str(threads), "SECRET_KEY": "bench-secret", "INSTANCE_PATH": str(instance),
                    "DEMO_MODE": "1", "TILE_PROVIDER": "local"}
        self.env.pop("ROUTING_URL", None)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "--max-requests", "0",
                                      "app:create_app()"], cwd=ROOT,
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(*self.base, timeout=2)
                conn.request("GET", "/_bench/hello")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not start")

    def pids(self) -> list[int]:
        """The master and its worker processes."""
        master = self.proc.pid
        found = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) used so far by the master and each live worker, by pid."""
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return found

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def sign_in(base: tuple[str, int], phone: str, password: str) -> tuple[str, str]:
    """Sign in through the real form; returns (Cookie header, CSRF token of the signed-in session)."""
    jar: dict[str, str] = {}

    def call(method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> str:
        conn = http.client.HTTPConnection(*base, timeout=10)
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        for header in resp.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                jar[key] = morsel.value
        text = resp.read().decode("utf-8", "replace")
        conn.close()
        return text

    page = call("GET", "/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    call("POST", "/login", urlencode({"phone": phone, "password": password, "csrf_token": token}).encode(),
         {"Content-Type": "application/x-www-form-urlencoded"})
    page = call("GET", "/stations/")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return "; ".join(f"{k}={v}" for k, v in jar.items()), token


@dataclass
class Target:
    """One endpoint to load: method, path, request bodies (cycled) and headers."""

    method: str
    path: str
    bodies: list[bytes] = field(default_factory=lambda: [b""])
    headers: dict = field(default_factory=dict)


def _worker(base, target: Target, duration: float, conns: int, offset: int) -> tuple[int, int]:
    """One load process: `conns` keep-alive connections in threads until the deadline."""
    counts, errors = [0] * conns, [0] * conns
    deadline = time.monotonic() + duration

    def run(k: int) -> None:
        conn = http.client.HTTPConnection(*base, timeout=10)
        i = offset + k * 997
        while time.monotonic() < deadline:
            body = target.bodies[i % len(target.bodies)]
            i += 1
            try:
                conn.request(target.method, target.path, body=body or None, headers=target.headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    counts[k] += 1
                else:
                    errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn.close()
                conn = http.client.HTTPConnection(*base, timeout=10)
        conn.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), sum(errors)


def load(base: tuple[str, int], target: Target, *, duration: float = 5.0, procs: int = 2, conns: int = 4,
         server: "Gunicorn | None" = None) -> tuple[float, float]:
    """(successful requests per second, server CPU microseconds per request) for one endpoint."""
    cpu0 = server.cpu_seconds() if server else {}
    with ProcessPoolExecutor(max_workers=procs) as pool:
        futures = [pool.submit(_worker, base, target, duration, conns, p * 7919) for p in range(procs)]
        results = [f.result() for f in futures]
    cpu1 = server.cpu_seconds() if server else {}
    cpu = sum(cpu1[pid] - cpu0.get(pid, 0.0) for pid in cpu1)  # workers are not recycled (--max-requests 0)
    ERRORS.value += sum(e for _, e in results)
    done = sum(c for c, _ in results)
    return done / duration, (cpu / done * 1e6 if done else float("inf"))
