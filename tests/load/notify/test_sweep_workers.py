"""Worker processes sweeping 1,000 due push messages against the local push service: exactly one each,
with two workers at once, and after a worker dies mid-batch and another takes over its stale claims.
On a file SQLite database, and on PostgreSQL with TEST_DATABASE_URL."""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Delivery, Member, PushSubscription, utcnow
from services import notify
from tests.conftest import Factory
from tests.load.helpers import new_session
from tests.standins.push_service import PushService

pytestmark = pytest.mark.load
ROOT = Path(__file__).resolve().parents[3]
N = 1000


@pytest.fixture
def due(load_app):
    """1,000 members with one device each at the stand-in, and a message for each of them due now."""
    service = PushService().__enter__()
    with load_app.app_context(), new_session(load_app) as s:
        branch = Factory(load_app, s).branch()
        s.add_all([Member(name=f"党员{i:04d}", phone=f"136{i:08d}", org_unit_id=branch.id) for i in range(N)])
        s.commit()
        ids = list(s.execute(select(Member.id).where(Member.org_unit_id == branch.id).order_by(Member.id)).scalars())
        devices = {}
        for member_id in ids:
            device = service.new_device()
            devices[device.id] = member_id
            keys = device.keys
            s.add(PushSubscription(member_id=member_id, endpoint=device.endpoint, endpoint_hash=device.id,
                                   p256dh=keys["p256dh"], auth=keys["auth"]))
        s.commit()
        now = utcnow()
        notify.send(s, member_ids=ids, purpose=notify.MEETING_CHANGED, key="m1:moved",
                    message=notify.Message("会议改期：支部党员大会", "改至周五 15:00", "/meetings/1"),
                    event_at=now + timedelta(minutes=90), now=now)
    yield load_app, service, devices
    service.__exit__(None, None, None)


def worker(app, tmp_path, **env):
    """One `flask notify sweep` process (what the worker's periodic task runs) on the test's database."""
    full = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "load", "PUSH_EXTRA_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
            "STATIC_COMPRESS_AT_START": "0", "PYTHONPATH": str(ROOT)}
    full.pop("REDIS_URL", None)
    full.update({k: str(v) for k, v in env.items()})
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "notify", "sweep", "--budget", "90",
                             "--batch", "50"], cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def summary(proc) -> dict:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def counts(app) -> dict:
    with new_session(app) as s:
        return dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())


def test_two_workers_send_each_of_1000_exactly_once(due, tmp_path):
    """Do two worker processes over 1,000 due messages make exactly 1,000 deliveries, none twice?"""
    app, service, devices = due
    procs = [worker(app, tmp_path), worker(app, tmp_path)]
    results = [summary(p) for p in procs]
    assert sum(r["claimed"] for r in results) == N and all(r["claimed"] > 0 for r in results), results
    assert len(service.received) == N and set(service.hits) == set(devices)
    assert max(service.hits.values()) == 1 and service.refused == []
    assert counts(app) == {"sent": N}


def test_a_worker_dying_mid_batch_loses_and_doubles_nothing(due, tmp_path):
    """Does a worker that dies mid-batch leave claims that a restarted worker sends, none lost, none twice?"""
    app, service, devices = due
    first = worker(app, tmp_path, NOTIFY_CRASH_AFTER=275)
    first.communicate(timeout=120)
    # it dies right after recording the chunk that reached 275 messages (chunks of PUSH_CONCURRENCY = 8)
    assert first.returncode == 137 and 275 <= len(service.received) < 275 + 8
    with new_session(app) as s:
        held = s.execute(select(func.count()).select_from(Delivery).where(
            Delivery.status == "pending", Delivery.claimed_at.is_not(None))).scalar_one()
    assert 0 < held < 50  # the rest of its batch of 50: claimed, never sent
    sent_before = len(service.received)
    time.sleep(1.2)
    result = summary(worker(app, tmp_path, NOTIFY_CLAIM_STALE_SECONDS=1))
    assert result["released"] == held and result["sent"] == N - sent_before
    assert len(service.received) == N and set(service.hits) == set(devices) and max(service.hits.values()) == 1
    assert counts(app) == {"sent": N}


def test_a_worker_killed_from_outside_loses_nothing(due, tmp_path):
    """Killed with SIGKILL mid-run and restarted: is every message delivered, at most the chunk in flight twice?"""
    app, service, devices = due
    first = worker(app, tmp_path)
    deadline = time.time() + 60
    while len(service.received) < 300 and time.time() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert 300 <= len(service.received) < N
    time.sleep(1.2)
    summary(worker(app, tmp_path, NOTIFY_CLAIM_STALE_SECONDS=1))
    assert set(service.hits) == set(devices)  # none lost
    doubled = sum(1 for n in service.hits.values() if n > 1)
    # only messages sent but not yet recorded when the process died can go twice: at most one chunk
    # (PUSH_CONCURRENCY = 8), each with the same Topic and tag, so the phone shows it once
    assert doubled <= 8
    assert counts(app) == {"sent": N}
