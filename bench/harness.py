"""A small benchmark harness: the app under gunicorn on a free port, and a multi-process load generator.

Used by bench/checkin.py and bench/geo.py. The whole API:

    url = temp_sqlite(tmpdir)                 # a fresh SQLite file, migrated with `flask db upgrade`
    migrate(url)                              # migrate any database (PostgreSQL: pass --database-url)
    reset_postgres(url)                       # empty a throwaway PostgreSQL database (DROP SCHEMA public)
    app = make_app(url)                       # the same app in-process, for seeding and signing cookies
    cookie, csrf = signed_in(app, member_id)  # a session cookie (and CSRF token) without a password round
    with Gunicorn(url) as server:             # gunicorn.conf.py, BENCH_HELLO=1, ACCESS_LOG="", free port
        server.cpu_seconds()                                               # CPU used so far, by process
        res = closed_loop(server.port, per_process_requests, duration=8)   # N processes, keep-alive
        res = paced(server.port, requests, seconds=10, processes=4)        # open loop at a fixed rate
    res.rps, res.p(50), res.p(99), res.errors, res.statuses              # figures
    percentile(values, 99)

A Request is (method, path, body bytes or None, headers dict). Every process keeps one HTTP/1.1
connection alive (http.client) and reconnects after an error. Only 127.0.0.1 is ever contacted, and
every run is bounded in time and count.
"""
import http.client
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_SECRET = "bench-" + secrets.token_hex(16)
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    """One HTTP request to send."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class Result:
    """What a load run measured: latencies (ms) of answered requests, statuses, errors, wall time."""

    latencies_ms: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # connection failures and timeouts
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)

    def merge(self, other: "Result") -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.statuses.update(other.statuses)
        self.errors += other.errors


def percentile(values, pct: float) -> float:
    """The pct-th percentile (nearest rank) of the values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(pct / 100.0 * len(ordered) + 0.5))))
    return float(ordered[rank - 1])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _env(database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": BENCH_SECRET, "BENCH_HELLO": "1", "ACCESS_LOG": "",
                "SESSION_COOKIE_SECURE": "0", "DEMO_MODE": "0"})
    env.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="sc-bench-instance-"))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def migrate(database_url: str) -> None:
    """Bring a database to the newest schema with `flask db upgrade`."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT,
                   env=_env(database_url), check=True, capture_output=True)


def temp_sqlite(tmpdir: str | Path) -> str:
    """A fresh SQLite file in tmpdir, migrated."""
    url = f"sqlite:///{Path(tmpdir) / 'bench.db'}"
    migrate(url)
    return url


def reset_postgres(database_url: str) -> None:
    """Empty a throwaway PostgreSQL database (DROP SCHEMA public CASCADE), then migrate it."""
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate(database_url)


def make_app(database_url: str):
    """The app in this process on the bench database, with the server's secret (to seed and sign cookies)."""
    os.environ.update({k: v for k, v in _env(database_url).items() if k in ("SECRET_KEY", "INSTANCE_PATH")})
    from app import create_app
    from config import Config

    config = Config()
    config.DATABASE_URL = database_url
    config.SECRET_KEY = BENCH_SECRET
    config.SESSION_COOKIE_SECURE = False
    return create_app(config)


def signed_in(app, member_id: int, *, session=None) -> tuple[str, str]:
    """A Cookie header signed in as the member, and a CSRF token; the server-side session row goes into
    `session`, or without one is committed in a session of its own."""
    import flask
    from flask_wtf.csrf import generate_csrf

    from models import UserSession, utcnow
    from services.accounts import token_hash

    if session is None:
        from sqlmodel import Session

        from models.db import ALL_ORGS

        with Session(app.extensions["sc_engine"]) as own:
            own.info["org_scope"] = ALL_ORGS
            signed = signed_in(app, member_id, session=own)
            own.commit()
        return signed
    token = secrets.token_urlsafe(32)
    now = utcnow()
    from datetime import timedelta

    session.add(UserSession(token_hash=token_hash(token), member_id=member_id, remember=False, created_at=now,
                            last_seen_at=now, expires_at=now + timedelta(hours=12)))
    with app.test_request_context():
        flask.g.pop("csrf_token", None)  # Flask-WTF caches the token per app context
        flask.session["_user_id"] = token
        flask.session["_fresh"] = True
        csrf = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(flask.session))
    return f"{app.config['SESSION_COOKIE_NAME']}={value}", csrf


class Gunicorn:
    """The app under gunicorn (gunicorn.conf.py) on a free port of 127.0.0.1; a context manager."""

    def __init__(self, database_url: str, *, workers: int | None = None, threads: int | None = None,
                 recycle: bool = False, **env):
        self.port = free_port()
        # gunicorn.conf.py recycles a worker every ~2000 requests; a restart costs a second of CPU on a small
        # machine, so by default it is off for a run (both endpoints are measured the same way either way)
        self.args = [] if recycle else ["--max-requests", "0"]
        extra = {"HOST": HOST, "PORT": self.port, **env}
        if workers:
            extra["WEB_CONCURRENCY"] = workers
        if threads:
            extra["GUNICORN_THREADS"] = threads
        self.env = _env(database_url, **extra)
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="sc-bench-gunicorn-", suffix=".log", delete=False)

    def __enter__(self) -> "Gunicorn":
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *self.args,
                                      "app:create_app()"],
                                     cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 180  # a busy shared machine can take a minute to boot the workers
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer; see {self.log.name}")

    def pids(self) -> list[int]:
        """The master and its worker processes."""
        found = [self.proc.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) used so far by the master and each live worker, by pid (from /proc)."""
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
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _send(conn_box: list, port: int, req: Request, timeout: float):
    """Send one request on the kept-alive connection; returns (status, ms) or None on a connection error."""
    if conn_box[0] is None:
        conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=timeout)
    conn = conn_box[0]
    start = time.perf_counter()
    try:
        conn.request(req.method, req.path, body=req.body, headers=req.headers)
        response = conn.getresponse()
        response.read()
        status = response.status
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn_box[0] = None
    except (OSError, http.client.HTTPException):
        conn.close()
        conn_box[0] = None
        return None
    return status, (time.perf_counter() - start) * 1000.0


def _record(result: Result, answer) -> None:
    """Count one answer from _send (None: a connection error)."""
    if answer is None:
        result.errors += 1
    else:
        result.statuses[answer[0]] += 1
        result.latencies_ms.append(answer[1])


def _closed_worker(port, requests, deadline, timeout, queue):
    result = Result()
    box = [None]
    for req in requests:
        if time.time() >= deadline:
            break
        _record(result, _send(box, port, req, timeout))
    queue.put((result.latencies_ms, dict(result.statuses), result.errors))


def _paced_worker(port, schedule, start_at, timeout, queue):
    result = Result()
    box = [None]
    for offset, req in schedule:
        delay = start_at + offset - time.time()
        if delay > 0:
            time.sleep(delay)
        _record(result, _send(box, port, req, timeout))
    queue.put((result.latencies_ms, dict(result.statuses), result.errors))


def _run(target, args_per_process) -> Result:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, queue)) for args in args_per_process]
    started = time.perf_counter()
    for p in procs:
        p.start()
    total = Result()
    for _ in procs:
        latencies, statuses, errors = queue.get(timeout=600)
        total.merge(Result(latencies, Counter(statuses), errors))
    total.elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=30)
    return total


def closed_loop(port: int, per_process: list[list[Request]], *, duration: float = 8.0,
                timeout: float = 30.0) -> Result:
    """Each process sends its requests back to back (one keep-alive connection) until done or `duration` ends."""
    deadline = time.time() + duration
    result = _run(_closed_worker, [(port, reqs, deadline, timeout) for reqs in per_process])
    result.elapsed = min(result.elapsed, duration) if result.elapsed else duration
    return result


def paced(port: int, requests: list[Request], *, seconds: float = 10.0, processes: int = 4,
          timeout: float = 30.0) -> Result:
    """An open-loop burst: the requests spread evenly over `seconds`, sent by `processes` processes."""
    step = seconds / max(1, len(requests))
    schedules = [[] for _ in range(processes)]
    for i, req in enumerate(requests):
        schedules[i % processes].append((i * step, req))
    start_at = time.time() + 0.5
    return _run(_paced_worker, [(port, sched, start_at, timeout) for sched in schedules])


def machine() -> str:
    """A one-line description of this machine (CPU count and model)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU {model}".strip()
