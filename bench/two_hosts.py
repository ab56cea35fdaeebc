"""Benchmark: the same check-in load on one app host and on two, against one PostgreSQL and one Redis.

    python bench/two_hosts.py --database-url postgresql://postgres@127.0.0.1:5432/sc_two_hosts_bench
                              [--redis-url redis://127.0.0.1:6379/14] [--workers 2] [--rounds 3] [--seconds 3]

A host is a gunicorn instance (gunicorn.conf.py, `--workers` workers of 2 threads) with its own instance
folder; both share SECRET_KEY, DATABASE_URL and REDIS_URL (limits). The load: closed-loop check-in POSTs
(`bench/checkin.py`'s requests, one distinct member each) from `--processes` client processes; with two
hosts, every other client process talks to the second host. One-host and two-host phases alternate in
`--rounds` rounds so that a change in the shared machine's load falls on both; `ratio_vs_one_host` is
the median over rounds of two-host requests/s over one-host requests/s. Each two-host phase also sends
40 check-ins to both hosts at once with the same nonce. Afterwards the database is read: `lost` counts
303 answers without a record, `doubled` members with more than one record.

The database is EMPTIED first (DROP SCHEMA public): use a throwaway one. Prints one JSON line.
"""
import argparse
import json
import os
import statistics
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.checkin import scan_requests, seed  # noqa: E402
from bench.harness import Gunicorn, Result, _closed_worker, _run, machine, make_app, reset_postgres  # noqa: E402


def closed_loop_hosts(ports: list[int], per_process: list, duration: float) -> Result:
    """Closed loop, client process i talking to ports[i % len(ports)]."""
    import time

    deadline = time.time() + duration
    result = _run(_closed_worker, [(ports[i % len(ports)], reqs, deadline, 30.0) for i, reqs in enumerate(per_process)])
    result.elapsed = min(result.elapsed, duration) if result.elapsed else duration
    return result


def send_twice(ports: list[int], reqs) -> Counter:
    """Each request to both hosts at once (the same nonce): a phone retrying through another host."""
    import http.client

    def one(job):
        port, req = job
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(req.method, req.path, body=req.body, headers=req.headers)
            return conn.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, [(port, req) for req in reqs for port in ports]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a throwaway PostgreSQL database (it is emptied)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--processes", type=int, default=4, help="load-generator processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each phase")
    args = parser.parse_args()

    reset_postgres(args.database_url)
    app = make_app(args.database_url)
    per_phase = 2500
    station, people = seed(app, per_phase * 2 * args.rounds + 40 * args.rounds + 50)
    cursor = iter(range(len(people)))

    def take(n):
        return [people[next(cursor)] for _ in range(n)]

    def split(items, parts):
        return [items[i::parts] for i in range(parts)]

    prefix = f"bench-two-hosts-{uuid.uuid4().hex[:8]}"
    env = dict(REDIS_URL=args.redis_url, RATELIMIT_KEY_PREFIX=prefix, LOG_LEVEL="WARNING")
    one_rps, two_rps, ratios, ok, twice = [], [], [], 0, Counter()
    two_latencies, one_latencies = Result(), Result()
    with Gunicorn(args.database_url, workers=args.workers, threads=2,
                  INSTANCE_PATH=os.path.join("/tmp", prefix + "-a"), **env) as a, \
            Gunicorn(args.database_url, workers=args.workers, threads=2,
                     INSTANCE_PATH=os.path.join("/tmp", prefix + "-b"), **env) as b:
        warm = scan_requests(app, station, take(40))
        warmed = closed_loop_hosts([a.port, b.port], split(warm, args.processes), 5).statuses.get(303, 0)
        for _ in range(args.rounds):
            one = closed_loop_hosts([a.port], split(scan_requests(app, station, take(per_phase)), args.processes),
                                    args.seconds)
            two = closed_loop_hosts([a.port, b.port],
                                    split(scan_requests(app, station, take(per_phase)), args.processes), args.seconds)
            twice += send_twice([a.port, b.port], scan_requests(app, station, take(40)))
            one_rps.append(one.rps)
            two_rps.append(two.rps)
            ratios.append(two.rps / one.rps if one.rps else 0.0)
            ok += one.statuses.get(303, 0) + two.statuses.get(303, 0)
            one_latencies.merge(one)
            two_latencies.merge(two)
    from sqlalchemy import text

    with app.extensions["sc_engine"].connect() as conn:
        records = conn.execute(text("SELECT count(*) FROM checkin")).scalar_one()
        doubled = conn.execute(text(
            "SELECT count(*) FROM (SELECT member_id FROM checkin GROUP BY member_id HAVING count(*) > 1) d"
        )).scalar_one()
    sent_twice_ok = twice.get(303, 0) // 2  # each of those members answered on both hosts
    expected = warmed + ok + sent_twice_ok  # the warm-up's, the load's 303s, one record per member sent twice
    errors = sum(one_latencies.statuses.values()) + sum(two_latencies.statuses.values()) - ok
    figures = {
        "hosts": 2, "checkins": records, "lost": max(0, expected - records), "doubled": doubled,
        "p99_ms": round(two_latencies.p(99), 1), "p50_ms": round(two_latencies.p(50), 1),
        "p99_ms_one_host": round(one_latencies.p(99), 1),
        "ratio_vs_one_host": round(statistics.median(ratios), 3), "ratio_rounds": [round(r, 3) for r in ratios],
        "rps_one_host": round(statistics.median(one_rps), 1), "rps_two_hosts": round(statistics.median(two_rps), 1),
        "errors": errors + one_latencies.errors + two_latencies.errors,
        "sent_to_both": dict(sorted((str(k), v) for k, v in twice.items())),
        "workers_per_host": args.workers, "processes": args.processes, "database": "postgresql",
        "machine": machine(), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
