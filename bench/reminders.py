"""Benchmark: reminders for many members sent by worker processes to the local push service.

    python bench/reminders.py [--members 20000] [--workers 2] [--batch 200] [--database-url postgresql://...]
                              [--profile 2000]

Each member has one device at the local push service stand-in (tests/standins/push_service.py), which checks
every message's VAPID JWT (ES256 signature, aud with the port, exp) and decrypts its aes128gcm body. A meeting's
reminder is due now for every member; `workers` processes run `flask notify sweep` (what the worker's periodic
task runs) at once. Prints one JSON line: members, deliveries (messages the push service accepted), duplicates
(messages beyond the first per device), lost (devices that got none), seconds (from starting the workers until
the last one exits, start-up included), per_second, workers, and the workers' own counts. Targets (issue 12):
20,000 members, 2 workers, <= 60 s, 0 duplicates, 0 lost.

--profile N: instead, one sweep over N members in this process under cProfile; prints where the time goes per
message (cumulative seconds of the main parts, divided by N) as the JSON line.
With --database-url the PostgreSQL database is EMPTIED first (use a throwaway one).
"""
import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import _env, machine, make_app, reset_postgres, temp_sqlite  # noqa: E402


def seed(app, service, members: int) -> dict:
    """Members, one device each at the stand-in, and one reminder each due now (device id -> member id)."""
    from sqlalchemy import insert, select

    from models import Member, OrgUnit, PushSubscription, utcnow
    from models.db import ALL_ORGS
    from services import notify
    from sqlmodel import Session

    with app.app_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        unit = OrgUnit(name="压测党支部", kind="branch", path="/")
        s.add(unit)
        s.flush()
        unit.path = f"/{unit.id}/"
        s.commit()
        for start in range(0, members, 5000):
            s.execute(insert(Member), [{"name": f"党员{i:05d}", "phone": f"137{i:08d}", "org_unit_id": unit.id,
                                        "must_change_password": False, "status": "full", "is_active": True,
                                        "created_at": utcnow()} for i in range(start, min(members, start + 5000))])
        s.commit()
        ids = list(s.execute(select(Member.id).where(Member.org_unit_id == unit.id).order_by(Member.id)).scalars())
        devices, rows = {}, []
        for member_id in ids:
            device = service.new_device()
            devices[device.id] = member_id
            keys = device.keys
            rows.append({"member_id": member_id, "endpoint": device.endpoint, "endpoint_hash": device.id,
                         "p256dh": keys["p256dh"], "auth": keys["auth"], "device": "", "created_at": utcnow(),
                         "key_id": "", "last_error": ""})
        for start in range(0, len(rows), 5000):
            s.execute(insert(PushSubscription), rows[start:start + 5000])
        s.commit()
        now = utcnow()
        meeting = now + timedelta(minutes=90)
        message = notify.Message("会议提醒：第四季度支部党员大会", "今天 15:00 · 社区党群服务中心二楼", "/meetings/1")
        notify.schedule(s, subject="meeting:1", now=now - timedelta(seconds=5), reminders=[notify.Reminder(
            member_id=i, purpose=notify.MEETING_REMINDER, due_at=now - timedelta(seconds=1), message=message,
            event_at=meeting) for i in ids])
    return devices


def result_of(service, devices: dict) -> dict:
    hits = service.hits
    return {"deliveries": sum(hits.values()), "duplicates": sum(max(0, n - 1) for n in hits.values()),
            "lost": sum(1 for d in devices if hits.get(d, 0) == 0), "refused": len(service.refused)}


def run_workers(url: str, workers: int, batch: int, instance: str) -> tuple[float, list]:
    env = _env(url, PUSH_EXTRA_HOSTS="127.0.0.1", LOG_LEVEL="WARNING", STATIC_COMPRESS_AT_START="0",
               INSTANCE_PATH=instance)
    env.pop("REDIS_URL", None)
    started = time.perf_counter()
    prof = os.environ.get("BENCH_PROFILE_WORKERS")  # a folder: each worker writes a cProfile file there
    procs = [subprocess.Popen([sys.executable, *(["-m", "cProfile", "-o", f"{prof}/worker{i}.prof"] if prof else []),
                               "-m", "flask", "--app", "app", "notify", "sweep", "--budget", "300",
                               "--batch", str(batch)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(workers)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        if p.returncode != 0:
            raise SystemExit(err[-3000:])
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return time.perf_counter() - started, outs


PARTS = {  # what each part of a message's cost is, by the function that does it
    "encrypt_aes128gcm": ("pywebpush/__init__.py", "encode"),
    "vapid_sign": ("py_vapid/__init__.py", "sign"),
    "http_post": ("requests/sessions.py", "post"),
    "db_claim": ("services/notify/sweeper.py", "claim"),
    "db_load": ("services/notify/sweeper.py", "dispatch"),
    "db_record": ("services/notify/sweeper.py", "_record"),
    "send_total": ("services/notify/webpush.py", "send"),
}


def profile(app, n: int, batch: int) -> dict:
    from sqlmodel import Session

    from models.db import ALL_ORGS
    from services import notify

    profiler = cProfile.Profile()
    with app.app_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        started = time.perf_counter()
        profiler.enable()
        result = notify.sweep(s, batch=batch, budget_seconds=600)
        profiler.disable()
        seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats
    per = {}
    for name, (path, func) in PARTS.items():
        total = sum(v[3] for (file, _line, fn), v in stats.items() if file.endswith(path) and fn == func)
        per[name] = round(total / max(1, result.sent) * 1000, 3)
    per["db_record"] = round(per["db_record"], 3)
    return {"profiled_messages": result.sent, "seconds": round(seconds, 2),
            "ms_per_message": round(seconds / max(1, result.sent) * 1000, 3), "ms_per_message_by_part": per}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()

    from tests.standins.push_service import PushService

    with tempfile.TemporaryDirectory(prefix="sc-bench-reminders-") as tmp:
        instance = str(Path(tmp) / "instance")
        os.makedirs(instance)
        os.environ["INSTANCE_PATH"] = instance
        if args.database_url:
            reset_postgres(args.database_url)
            url = args.database_url
        else:
            url = temp_sqlite(tmp)
        app = make_app(url)
        app.config["PUSH_EXTRA_HOSTS"] = "127.0.0.1"
        with PushService() as service:
            members = args.profile or args.members
            t0 = time.perf_counter()
            devices = seed(app, service, members)
            seeded = time.perf_counter() - t0
            if args.profile:
                out = {"bench": "reminders_profile", "members": members, **profile(app, members, args.batch),
                       **result_of(service, devices)}
            else:
                import resource
                before = resource.getrusage(resource.RUSAGE_SELF)
                seconds, workers = run_workers(url, args.workers, args.batch, instance)
                after = resource.getrusage(resource.RUSAGE_SELF)
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                res = result_of(service, devices)
                out = {"bench": "reminders", "members": members, **res, "seconds": round(seconds, 2),
                       "per_second": round(res["deliveries"] / seconds, 1), "workers": args.workers,
                       "claimed_by_worker": [w["claimed"] for w in workers], "seed_seconds": round(seeded, 1),
                       "cpu_ms_per_message": {
                           "workers": round((children.ru_utime + children.ru_stime) * 1000 / max(1, res["deliveries"]), 2),
                           "push_service": round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                                                 * 1000 / max(1, res["deliveries"]), 2)},
                       "database": "postgresql" if args.database_url else "sqlite", "machine": machine()}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
