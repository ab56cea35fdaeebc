"""Benchmark: the check-in POST under gunicorn against the app's bare hello-world, in the same run.

    python bench/checkin.py [--database-url postgresql://...] [--duration 12] [--rounds 6] [--processes 4]

Prints one JSON line: ratio (check-in requests/s over hello requests/s: hello and check-in alternate
in short rounds and the ratio is the median of the rounds'; ratio_cpu is the same from the server's
CPU time per request, which a busy shared machine disturbs less), p50_ms and p99_ms of the check-in POST,
the hello figures, and a burst of 500 distinct members spread over 10 seconds:
burst_errors (connection errors and non-303 answers), burst_lost (answered but no record in the
database) and burst_p99_ms. Targets (issue 3): ratio >= 0.35 on SQLite; burst 0 errors, 0 lost,
p99 <= 300 ms. With --database-url the PostgreSQL database is EMPTIED first (use a throwaway one).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    Gunicorn,
    Request,
    Result,
    closed_loop,
    machine,
    make_app,
    paced,
    reset_postgres,
    signed_in,
    temp_sqlite,
)


def seed(app, n_members: int):
    """A branch, a 24-hour station and n members, each with a signed-in cookie and a CSRF token."""
    from sqlmodel import Session

    from models import Member, OrgKind, Station
    from models.base import utcnow
    from models.db import ALL_ORGS
    from services.accounts import orgs

    engine = app.extensions["sc_engine"]
    with app.app_context(), Session(engine, expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        from models import District

        s.add(District(code="futian", name="福田区", name_en="Futian"))
        committee = orgs.create_unit(s, name="基准测试党委", kind=OrgKind.committee)
        branch = orgs.create_unit(s, name="基准测试支部", kind=OrgKind.branch, parent=committee)
        station = Station(code="bench-1", name="基准测试党群服务中心", district_code="futian", lat=22.55, lon=114.05,
                          opening_hours="24/7")
        s.add(station)
        s.flush()
        members = [Member(name=f"党员{i:05d}", phone=f"136{i:08d}", org_unit_id=branch.id, must_change_password=False,
                          created_at=utcnow()) for i in range(n_members)]
        s.add_all(members)
        s.flush()
        people = [(m.id, *signed_in(app, m.id, session=s)) for m in members]
        s.commit()
        return station, people


def scan_requests(app, station, people) -> list[Request]:
    """One check-in POST per member, with a code and a scan pass made now (valid for the next 15-30 s)."""
    from models.base import utcnow
    from services.checkin import codes as qr

    with app.app_context():
        code = qr.rotating_token(station)
        scan_pass = qr.sign_scan(code, utcnow())
    out = []
    for _member_id, cookie, csrf in people:
        body = urlencode({"csrf_token": csrf, "code": code, "scan_pass": scan_pass,
                          "nonce": uuid.uuid4().hex}).encode()
        out.append(Request("POST", "/checkin/scan", body, {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1",
            "Origin": "http://127.0.0.1", "Referer": "http://127.0.0.1/c/" + code}))
    return out


def measured(server, run):
    """Run a load phase; its result and the server's CPU time per answered request (µs, from /proc)."""
    before = server.cpu_seconds()
    result = run()
    after = server.cpu_seconds()
    cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)  # workers are not recycled (--max-requests 0)
    return result, (cpu / result.count * 1e6 if result.count else 0.0)


def split(items, parts):
    return [items[i::parts] for i in range(parts)]


def count_records(app, member_ids) -> int:
    from sqlmodel import Session, func, select

    from models import CheckIn
    from models.db import ALL_ORGS

    with Session(app.extensions["sc_engine"]) as s:
        s.info["org_scope"] = ALL_ORGS
        return s.exec(select(func.count(CheckIn.id)).where(CheckIn.member_id.in_(member_ids))).one()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (it is emptied)")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of each endpoint, over all rounds")
    parser.add_argument("--processes", type=int, default=4, help="load-generator processes")
    parser.add_argument("--rounds", type=int, default=6, help="alternating hello / check-in rounds")
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    args = parser.parse_args()
    duration = min(args.duration, 10.0 * args.rounds)  # a round's code stays valid 15-30 s after it is made

    tmp = tempfile.mkdtemp(prefix="sc-bench-checkin-")
    if args.database_url:
        reset_postgres(args.database_url)
        url = args.database_url
    else:
        url = temp_sqlite(tmp)
    app = make_app(url)
    throughput_members = 6000
    station, people = seed(app, throughput_members + args.burst + 100)
    warm, rest = people[:100], people[100:]
    loop_people, burst_people = rest[:throughput_members], rest[throughput_members:]

    with Gunicorn(url, workers=args.workers) as server:
        hello = [Request("GET", "/_bench/hello", None, {"Host": "127.0.0.1"})] * 10_000_000
        closed_loop(server.port, [hello[:200]] * args.processes, duration=2)  # warm up every worker
        closed_loop(server.port, split(scan_requests(app, station, warm), args.processes), duration=5)
        # Hello and check-in alternate in short rounds, so that a change in the machine's load
        # (a shared 2-CPU VM) falls on both alike; the ratio is the median of the rounds' ratios.
        base, scans, ratios, cpu_ratios, cpu_us = Result(), Result(), [], [], {"hello": [], "checkin": []}
        step = duration / args.rounds
        for i in range(args.rounds):
            members = loop_people[i * len(loop_people) // args.rounds:(i + 1) * len(loop_people) // args.rounds]
            h, h_cpu = measured(server, lambda: closed_loop(server.port, [hello] * args.processes, duration=step))
            c, c_cpu = measured(server, lambda: closed_loop(
                server.port, split(scan_requests(app, station, members), args.processes), duration=step))
            ratios.append(c.rps / h.rps if h.rps else 0.0)
            cpu_ratios.append(h_cpu / c_cpu if c_cpu else 0.0)
            cpu_us["hello"].append(h_cpu)
            cpu_us["checkin"].append(c_cpu)
            for total, part in ((base, h), (scans, c)):
                total.merge(part)
                total.elapsed += part.elapsed
        burst_reqs = scan_requests(app, station, burst_people)
        burst = paced(server.port, burst_reqs, seconds=args.burst_seconds, processes=args.processes)

    ok = burst.statuses.get(303, 0)
    recorded = count_records(app, [m for m, _c, _t in burst_people])
    figures = {
        "ratio": round(statistics.median(ratios), 3), "ratio_rounds": [round(r, 3) for r in ratios],
        "ratio_cpu": round(statistics.median(cpu_ratios), 3),
        "cpu_us_per_req": {k: round(statistics.median(v)) for k, v in cpu_us.items()},
        "p50_ms": round(scans.p(50), 1), "p99_ms": round(scans.p(99), 1),
        "checkin_rps": round(scans.rps, 1), "hello_rps": round(base.rps, 1),
        "hello_p50_ms": round(base.p(50), 1), "hello_p99_ms": round(base.p(99), 1),
        "checkin_statuses": {str(k): v for k, v in sorted(scans.statuses.items())},
        "burst": len(burst_reqs), "burst_seconds": args.burst_seconds,
        "burst_errors": burst.errors + (sum(burst.statuses.values()) - ok),
        "burst_lost": ok - recorded if ok >= recorded else 0,
        "burst_recorded": recorded, "burst_p50_ms": round(burst.p(50), 1), "burst_p99_ms": round(burst.p(99), 1),
        "database": "postgresql" if args.database_url else "sqlite", "processes": args.processes,
        "machine": machine(), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
