"""Benchmark: the secretary's members × tasks matrix for a branch of 200 members and 50 tasks.

Builds a fresh database (a SQLite file in a temporary directory, or BENCH_DATABASE_URL), signs the
secretary in through the real form and requests the matrix page repeatedly through the WSGI app.
Prints one JSON line: SQL queries per request, median and p95 wall-clock milliseconds for the whole
request, its median CPU milliseconds in this process (steadier on a busy machine), and the median
milliseconds of the service call alone.

    .venv/bin/python bench/study.py [--members 200] [--tasks 50] [--runs 30]
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import models  # noqa: E402,F401
from app import create_app  # noqa: E402
from config import TestConfig  # noqa: E402
from models import Member, Membership, OrgKind, RoleName, StudyProgress, utcnow  # noqa: E402
from models.db import ALL_ORGS  # noqa: E402
from services import study  # noqa: E402
from services.accounts import Principal, orgs, passwords  # noqa: E402
from services.accounts.members import grant_role  # noqa: E402

PASSWORD = "bench-password-1"
STATUSES = ["completed", "completed", "completed", "in_progress", "submitted", "returned"]


def build(app, members: int, tasks: int) -> tuple[int, str, Principal]:
    """A committee, a branch with a secretary, members, tasks and progress; returns (unit id, phone, principal)."""
    rng = random.Random(5)
    engine = app.extensions["sc_engine"]
    with app.app_context(), Session(engine, expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        top = orgs.create_unit(s, name="福田区莲花街道党工委", kind=OrgKind.committee)
        branch = orgs.create_unit(s, name="莲花北社区第一党支部", kind=OrgKind.branch, parent=top)
        groups = [orgs.create_unit(s, name=f"第{i + 1}党小组", kind=OrgKind.group, parent=branch) for i in range(4)]
        sec = Member(name="李书记", phone="13800009999", org_unit_id=branch.id, must_change_password=False,
                     password_hash=passwords.hash_password(PASSWORD))
        s.add(sec)
        s.flush()
        grant_role(s, member_id=sec.id, role=RoleName.secretary, org_unit_id=branch.id)
        people = [Member(name=f"党员{i:03d}", phone=f"137{i:08d}", org_unit_id=branch.id,
                         group_id=groups[i % 4].id, must_change_password=False) for i in range(members - 1)]
        s.add_all(people)
        s.flush()
        s.add_all(Membership(member_id=m.id, org_unit_id=branch.id) for m in [sec, *people])
        s.commit()
        p = Principal(id=sec.id, name=sec.name, phone=sec.phone, branch_id=branch.id, group_id=None,
                      must_change_password=False, locale=None, session_token="bench",
                      led_org_ids=frozenset({branch.id}))
        year = study.local_today().year
        made = []
        for i in range(tasks):
            opens = date(year, 1, 1) + timedelta(days=i * 6)
            owner = top.id if i % 10 == 0 else groups[i % 4].id if i % 10 == 5 else branch.id
            completion = ["reading", "quiz", "report", "attendance"][i % 4]
            kind = {"reading": "article", "quiz": "article", "report": "report", "attendance": "lecture"}[completion]
            data = study.TaskData(title=f"学习任务{i + 1:02d}", kind=kind, completion=completion, opens_on=opens,
                                  due_on=opens + timedelta(days=30), hours_half=rng.choice([1, 2, 4]),
                                  min_seconds=600, body_md="学习内容")
            if owner == top.id:
                s.info["org_scope"] = ALL_ORGS
                top_p = Principal(id=sec.id, name="", phone="", branch_id=branch.id, group_id=None,
                                  must_change_password=False, locale=None, session_token="", is_admin=True)
                made.append(study.create_task(s, top_p, unit_id=top.id, data=data))
            else:
                made.append(study.create_task(s, p, unit_id=owner, data=data))
        s.info["org_scope"] = ALL_ORGS
        now = utcnow()
        rows = []
        for m in [sec, *people]:
            for t in made:
                if rng.random() < 0.6:
                    status = rng.choice(STATUSES)
                    done = status == "completed"
                    rows.append(StudyProgress(task_id=t.id, member_id=m.id, org_unit_id=branch.id, status=status,
                                              completed_at=now if done else None,
                                              credited_half=t.hours_half if done else 0,
                                              credit_year=year if done else None))
        s.add_all(rows)
        s.commit()
        return branch.id, sec.phone, p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp.name}/bench.db"
    cfg = TestConfig(url)
    cfg.RATELIMIT_ENABLED = False
    app = create_app(cfg)
    engine = app.extensions["sc_engine"]
    if url.startswith("postgres"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    SQLModel.metadata.create_all(engine)
    unit_id, phone, principal = build(app, args.members, args.tasks)

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token})
    path = f"/study/manage/units/{unit_id}/matrix"

    counted: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    for _ in range(3):  # warm-up: templates compiled, caches filled
        assert client.get(path).status_code == 200
    timings, cpu, queries = [], [], set()
    for _ in range(args.runs):
        counted.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
        queries.add(len(counted))
    body = response.get_data(as_text=True)
    cells = body.count("<td class=\"m-")

    service = []
    with app.test_request_context():
        for _ in range(args.runs):
            with Session(engine, expire_on_commit=False) as s:
                orgs.apply_scope(s, principal)
                start = time.perf_counter()
                mx = study.matrix(s, principal, unit_id=unit_id)
                service.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(json.dumps({
        "bench": "study_matrix", "db": engine.dialect.name, "members": len(mx.rows), "tasks": len(mx.tasks),
        "cells": cells, "queries": max(queries), "queries_stable": len(queries) == 1,
        "ms": round(statistics.median(timings), 1), "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "cpu_ms": round(statistics.median(cpu), 1), "service_ms": round(statistics.median(service), 1),
        "html_kb": round(len(body.encode()) / 1024, 1),
        "runs": args.runs,
    }))
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
