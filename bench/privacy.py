"""Benchmark: the audit trail and a member's download.

On a fresh database (a SQLite file in a temporary directory, or BENCH_DATABASE_URL for PostgreSQL,
emptied first), measures: appends to the hash chain from one writer and from 8 threads at once
(every append locks the chain's end, so they queue), `audit verify` over the whole trail, and the
build of one member's download (data.json + CSVs in a ZIP) with `--rows` check-ins and notifications.
Prints one JSON line.

    .venv/bin/python bench/privacy.py [--entries 2000] [--threads 8] [--rows 5000]
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import models  # noqa: E402,F401
from app import create_app  # noqa: E402
from config import TestConfig  # noqa: E402
from models import CheckIn, Member, Membership, Notification, OrgKind, Station, District, utcnow  # noqa: E402
from models.db import ALL_ORGS  # noqa: E402
from services import audit, privacy  # noqa: E402
from services.accounts import orgs  # noqa: E402


def fresh_app(tmp: str):
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    cfg = TestConfig(url)
    cfg.PRIVACY_EXPORT_DIR = f"{tmp}/exports"
    app = create_app(cfg)
    engine = app.extensions["sc_engine"]
    if url.startswith("postgres"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    SQLModel.metadata.create_all(engine)
    return app, engine, url.split(":")[0]


def session_of(engine) -> Session:
    s = Session(engine, expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


def appends(engine, n: int, threads: int) -> float:
    """Entries per second with `threads` writers, each committing every entry."""
    per = n // threads

    def work():
        with session_of(engine) as s:
            for i in range(per):
                audit.record(s, actor=1, action="hours.approve", member=2, unit=3, target=f"checkin:{i}",
                             before={"status": "pending"}, after={"status": "approved", "credited_minutes": 120})
                s.commit()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per * threads / (time.perf_counter() - started)


def member_with_rows(app, engine, rows: int) -> int:
    with app.test_request_context(), session_of(engine) as s:
        top = orgs.create_unit(s, name="基准党委", kind=OrgKind.committee)
        branch = orgs.create_unit(s, name="基准支部", kind=OrgKind.branch, parent=top)
        s.add(District(code="futian", name="福田区", name_en="Futian"))
        s.commit()
        station = Station(code="bench", name="基准站", district_code="futian", lat=22.55, lon=114.05)
        member = Member(name="基准党员", phone="13900000001", org_unit_id=branch.id)
        s.add_all([station, member])
        s.flush()
        s.add(Membership(member_id=member.id, org_unit_id=branch.id))
        now = utcnow()
        half = rows // 2
        s.execute(CheckIn.__table__.insert(), [
            {"member_id": member.id, "org_unit_id": branch.id, "station_id": station.id, "source": "scan",
             "method": "rotating", "status": "counted", "checked_in_at": now - timedelta(days=i),
             "service_day": date.today() - timedelta(days=i), "minutes": 60, "credited_minutes": 60,
             "offline": False, "auto_closed": False, "note": "", "created_at": now,
             "nonce": uuid.uuid4().hex} for i in range(half)])
        s.execute(Notification.__table__.insert(), [
            {"member_id": member.id, "purpose": "test", "key": f"k{i}", "scheduled": False, "title": "消息",
             "body": "", "url": "", "important": False, "due_at": now, "created_at": now} for i in range(rows - half)])
        s.commit()
        return member.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, engine, backend = fresh_app(tmp)
        with app.app_context():
            one = appends(engine, args.entries // 4, 1)
            many = appends(engine, args.entries, args.threads)
            with session_of(engine) as s:
                started = time.perf_counter()
                verdict = audit.verify(s)
                verify_s = time.perf_counter() - started
            member_id = member_with_rows(app, engine, args.rows)
            with app.test_request_context(), session_of(engine) as s:
                export = privacy.request_export(s, member_id=member_id)
                started = time.perf_counter()
                built = privacy.build(s, export_id=export.id)
                export_s = time.perf_counter() - started
        engine.dispose()
    print(json.dumps({"backend": backend, "appends_per_s_1_writer": round(one, 1),
                      f"appends_per_s_{args.threads}_writers": round(many, 1),
                      "verify_entries": verdict.checked, "verify_ok": verdict.ok,
                      "verify_entries_per_s": round(verdict.checked / verify_s),
                      "export_rows": built.row_count, "export_bytes": built.size,
                      "export_build_s": round(export_s, 3)}))


if __name__ == "__main__":
    main()
