"""Benchmark: a burst of attendance scans of one meeting under gunicorn, and the committee's compliance view.

    python bench/meetings.py [--database-url postgresql://...] [--burst 200] [--burst-seconds 10] [--branches 40]

Prints one JSON line:
- burst: N distinct members POST the meeting's sign-in (/meetings/scan, the form a scanned code opens: CSRF
  token, the code on the screen, the server-signed scan pass, a nonce), spread evenly over `burst_seconds`
  (open loop, 4 processes); burst_errors = connection errors + answers other than 303; burst_lost = 303 answers
  whose member is not marked present afterwards; burst_p50_ms / burst_p99_ms. Targets (issue 11): 0 errors,
  0 lost, p99 <= 300 ms.
- compliance: a committee over `branches` branches, each with a year of meetings (monthly 支委会, 主题党日 and
  党小组会, quarterly 党员大会 and 党课, yearly ones; every third branch behind): compliance_queries = SQL
  statements of the service call, compliance_ms = its median wall time over 20 runs, compliance_page_ms and
  compliance_page_queries = the same for the whole page request (signed in, in-process). Targets: <= 20 queries
  whatever the number of branches, <= 300 ms. compliance_queries_5 is the count with 5 branches, to show it is fixed.
With --database-url the PostgreSQL database is EMPTIED first (use a throwaway one).
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Gunicorn, Request, machine, make_app, paced, reset_postgres, signed_in, temp_sqlite  # noqa: E402


WARM = 60  # members whose scans warm the server up before the burst (not counted)


def _session(app):
    from sqlmodel import Session

    from models.db import ALL_ORGS

    s = Session(app.extensions["sc_engine"], expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


def seed_burst(app, n: int):
    """A branch, n members signed in, and a meeting starting in ten minutes with all of them invited."""
    from models import InviteRole, Meeting, MeetingInvite, Member, OrgKind, utcnow
    from services.accounts import orgs

    with app.app_context(), _session(app) as s:
        top = orgs.create_unit(s, name="基准测试党委", kind=OrgKind.committee)
        branch = orgs.create_unit(s, name="基准测试支部", kind=OrgKind.branch, parent=top)
        members = [Member(name=f"党员{i:04d}", phone=f"134{i:08d}", org_unit_id=branch.id, must_change_password=False)
                   for i in range(n)]
        s.add_all(members)
        s.flush()
        start = utcnow() + timedelta(minutes=10)
        meeting = Meeting(org_unit_id=branch.id, uid=uuid.uuid4().hex, kind="branch_assembly", title="基准党员大会",
                          starts_at=start, ends_at=start + timedelta(hours=1), qr_key=secrets.token_hex(16))
        s.add(meeting)
        s.flush()
        s.add_all(MeetingInvite(meeting_id=meeting.id, member_id=m.id, org_unit_id=branch.id,
                                role=InviteRole.attendee, has_vote=True) for m in members)
        people = [(m.id, *signed_in(app, m.id, session=s)) for m in members]
        s.commit()
        return meeting, people


def scan_requests(app, meeting, people) -> list[Request]:
    """One sign-in POST per member with the code the screen shows now and a scan pass made now."""
    from models import utcnow
    from services.checkin import codes as qr

    with app.app_context():
        code = qr.meeting_token(meeting)
        scan_pass = qr.sign_scan(code, utcnow())
    out = []
    for _mid, cookie, csrf in people:
        body = urlencode({"csrf_token": csrf, "code": code, "scan_pass": scan_pass, "nonce": uuid.uuid4().hex}).encode()
        out.append(Request("POST", "/meetings/scan", body, {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1",
            "Origin": "http://127.0.0.1", "Referer": "http://127.0.0.1/meetings/c/" + code}))
    return out


def count_present(app, meeting) -> int:
    from sqlmodel import func, select

    from models import MeetingInvite

    with _session(app) as s:
        return s.exec(select(func.count(MeetingInvite.id)).where(
            MeetingInvite.meeting_id == meeting.id, MeetingInvite.attendance == "present")).one()


def seed_compliance(app, n_branches: int, name: str):
    """A committee over n branches (two groups each) with a year of held meetings, minutes locked."""
    from models import Meeting, MeetingMinutes, OrgKind
    from services.accounts import orgs

    year = datetime.now(timezone.utc).year - 1
    with app.app_context(), _session(app) as s:
        top = orgs.create_unit(s, name=name, kind=OrgKind.committee)
        meetings_rows = []
        for i in range(n_branches):
            branch = orgs.create_unit(s, name=f"{name}第{i + 1}支部", kind=OrgKind.branch, parent=top)
            groups = [orgs.create_unit(s, name=f"第{g + 1}党小组", kind=OrgKind.group, parent=branch) for g in range(2)]
            for month in range(1, 13):
                if i % 3 == 0 and month > 9:
                    continue  # behind since October
                kinds = [("committee", None), ("theme_day", None)] + [("group", g.id) for g in groups]
                if month in (2, 5, 8, 11):
                    kinds += [("branch_assembly", None), ("lecture", None)]
                if month == 1:
                    kinds += [("life_meeting", None), ("review", None)]
                for k, (kind, group_id) in enumerate(kinds):
                    start = datetime(year, month, 3 + k, 11, 0, tzinfo=timezone.utc)
                    meetings_rows.append(Meeting(org_unit_id=branch.id, uid=uuid.uuid4().hex, kind=kind, title=kind,
                                                 starts_at=start, ends_at=start + timedelta(hours=1), qr_key="k",
                                                 group_id=group_id))
        s.add_all(meetings_rows)
        s.flush()
        s.add_all(MeetingMinutes(meeting_id=m.id, org_unit_id=m.org_unit_id, topics="议题",
                                 locked_at=m.ends_at + timedelta(days=1)) for m in meetings_rows)
        s.commit()
        return top.id, year, len(meetings_rows)


def measure_compliance(app, unit_id: int, year: int, runs: int = 20) -> tuple[int, float]:
    """Statements and median milliseconds of the service call."""
    from sqlalchemy import event

    from services import meetings

    engine = app.extensions["sc_engine"]
    times, counts = [], []
    with app.test_request_context():
        for _ in range(runs):
            statements = []
            listener = lambda *a, **k: statements.append(1)  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            with _session(app) as s:
                t0 = time.perf_counter()
                result = meetings.compliance(s, unit_ids=[unit_id], year=year, quarter=4)
                times.append((time.perf_counter() - t0) * 1000)
            event.remove(engine, "before_cursor_execute", listener)
            counts.append(len(statements))
            assert result
    return max(counts), statistics.median(times)


def measure_page(app, unit_id: int, year: int, runs: int = 20) -> tuple[int, float]:
    """Statements and median milliseconds of the whole compliance page for the committee's secretary."""
    from sqlalchemy import event

    from models import Member, RoleName
    from services.accounts.members import grant_role

    with app.app_context(), _session(app) as s:
        boss = Member(name="党委书记", phone="13399999999", org_unit_id=unit_id, must_change_password=False)
        s.add(boss)
        s.flush()
        grant_role(s, member_id=boss.id, role=RoleName.secretary, org_unit_id=unit_id)
        cookie, _csrf = signed_in(app, boss.id, session=s)
        s.commit()
    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    engine = app.extensions["sc_engine"]
    path = f"/meetings/units/{unit_id}/compliance?year={year}&quarter=4"
    times, counts = [], []
    for _ in range(runs):
        statements = []
        listener = lambda *a, **k: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
        counts.append(len(statements))
    return max(counts), statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (it is emptied)")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--branches", type=int, default=40)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="sc-bench-meetings-")
    if args.database_url:
        reset_postgres(args.database_url)
        url = args.database_url
    else:
        url = temp_sqlite(tmp)
    app = make_app(url)
    meeting, people = seed_burst(app, args.burst + WARM)
    warm, burst_people = people[:WARM], people[WARM:]

    with Gunicorn(url) as server:
        # warm every worker and thread (each opens its database connection and compiles its statements once)
        paced(server.port, scan_requests(app, meeting, warm), seconds=3, processes=args.processes)
        requests = scan_requests(app, meeting, burst_people)
        burst = paced(server.port, requests, seconds=args.burst_seconds, processes=args.processes)
    ok = burst.statuses.get(303, 0)
    present = count_present(app, meeting) - sum(1 for _ in warm)

    five_id, year, _n5 = seed_compliance(app, 5, "五支部党委")
    q5, _ms5 = measure_compliance(app, five_id, year, runs=3)
    unit_id, year, n_meetings = seed_compliance(app, args.branches, "基准党委")
    queries, ms = measure_compliance(app, unit_id, year)
    page_queries, page_ms = measure_page(app, unit_id, year)
    figures = {
        "burst": len(requests), "burst_seconds": args.burst_seconds,
        "burst_errors": burst.errors + (sum(burst.statuses.values()) - ok),
        "burst_lost": max(0, ok - present), "burst_present": present,
        "burst_p50_ms": round(burst.p(50), 1), "burst_p99_ms": round(burst.p(99), 1),
        "compliance_branches": args.branches, "compliance_meetings": n_meetings,
        "compliance_queries": queries, "compliance_queries_5": q5, "compliance_ms": round(ms, 1),
        "compliance_page_queries": page_queries, "compliance_page_ms": round(page_ms, 1),
        "database": "postgresql" if args.database_url else "sqlite", "processes": args.processes,
        "machine": machine(), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
