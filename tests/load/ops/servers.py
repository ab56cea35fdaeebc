"""Private PostgreSQL and Redis servers for the fault tests: started in a temporary folder on a free port,
so that stopping or restarting them disturbs no one else's database. Skipped where the binaries are missing."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bench.harness import free_port


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the postgres system user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root without runuser: cannot start a private PostgreSQL")
        return [runuser, "-u", "postgres", "--", *args]
    return args


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class PrivatePostgres:
    """`initdb` + `pg_ctl` in a temporary folder: trust auth on 127.0.0.1, one database `app`."""

    def __init__(self):
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sc-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/app"

    def _run(self, *args, check=True, timeout=60):
        return subprocess.run(_as_postgres([*args]), check=check, capture_output=True, timeout=timeout)

    def start(self) -> "PrivatePostgres":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=60 "
                  f"-c shared_buffers=16MB")
        wait_port(self.port)
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE app")
        return self

    def restart(self) -> None:
        """A fast restart: every connection is cut, the server is back a moment later."""
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-m", "fast", "restart",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=60 "
                        f"-c shared_buffers=16MB")

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-w", "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """`redis-server` on a free port, keeping nothing on disk."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def shared_postgres_url() -> str | None:
    """The PostgreSQL server the suite may use (TEST_DATABASE_URL's, else 127.0.0.1:5432), if it answers."""
    from tests.conftest import TEST_DATABASE_URL

    base = TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgres") else \
        os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        psycopg.connect(base, connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - not there: the test is skipped
        return None
    return base


def redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001
        return False
