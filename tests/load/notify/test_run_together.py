"""`make run` starts the web server and the worker together (honcho, Procfile.dev); Ctrl-C stops both."""
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bench.harness import free_port

pytestmark = pytest.mark.load
ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def test_procfile_dev_runs_web_and_worker_and_ctrl_c_stops_both(tmp_path):
    """Do the web server answer and the worker start its sweep, and does one SIGINT stop every process?"""
    if not (BIN / "honcho").exists():
        pytest.skip("honcho is not installed")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": "run-test", "STATIC_COMPRESS_AT_START": "0", "WEB_CONCURRENCY": "1",
           "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT), "HOST": "127.0.0.1"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([str(BIN / "honcho"), "-f", "Procfile.dev", "start", "-p", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        deadline, healthy = time.time() + 60, False
        while time.time() < deadline and not (healthy and "send_due_notifications" in "".join(lines)):
            try:
                healthy = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                pass
            time.sleep(0.3)
        output = "".join(lines)
        assert healthy, output[-3000:]
        assert "send_due_notifications" in output and "close_forgotten_checkouts" in output, output[-3000:]
        os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process
        proc.wait(timeout=30)
        time.sleep(0.5)
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)  # nothing of the group is left
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
