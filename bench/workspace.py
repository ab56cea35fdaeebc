"""Benchmark: the secretary's workspace.

    python bench/workspace.py [--pg-url postgresql://.../throwaway] [--city-members 100000] [--city-checkins 3000000]

Prints one JSON line:
- queries, branch_ms: the dashboard of one branch of 500 members with a year of data (40 counted check-ins,
  10 completed study tasks each, 52 meetings with every member invited), SQL statements and the median wall
  time of the service call over 15 runs; branch_page_ms: the whole page request (signed in, in-process).
  Targets (issue 13): <= 25 queries, <= 150 ms.
- committee_ms, committee_queries: a committee over 40 branches of 50 members each with the same year of data.
  Target <= 300 ms.
- import_1000_s: importing a CSV of 1,000 new members into a branch (validation, one-time passwords, writes).
  Target <= 5 s.
- members_page_ms: the member list of the 500-member branch with the "behind on study" filter.
- city_committee_ms (with --pg-url; the database is EMPTIED first): a city on PostgreSQL (100,000 members in 2,500
  branches under 63 street committees, 3,000,000 check-ins, a year of meetings with every member invited, and
  1,000,000 study completions, loaded with COPY), the dashboard of one street committee (about 40 branches),
  median of 10 runs. Target <= 500 ms. city_load_s says how long the COPY took.
SQLite (a temporary file) for the first four unless --database-url names another database.
"""
import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import machine, make_app, reset_postgres, signed_in, temp_sqlite  # noqa: E402

YEAR = 2026
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
SH = timezone(timedelta(hours=8))
KINDS = ("committee", "theme_day", "group", "branch_assembly", "lecture")


def _defaults(table) -> dict:
    """Python-side defaults of a table's columns (bulk writes skip the ORM that would fill them)."""
    out = {}
    for col in table.columns:
        default = col.default
        if default is None or not getattr(default, "is_scalar", False) and not getattr(default, "is_callable", False):
            continue
        if default.is_scalar:
            out[col.name] = default.arg
        else:
            try:
                out[col.name] = default.arg(None)
            except TypeError:
                out[col.name] = default.arg()
    return out


class Writer:
    """Bulk rows into tables: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def write(self, table, rows, columns: list[str]):
        from sqlmodel import SQLModel

        t = SQLModel.metadata.tables[table]
        defaults = {k: v for k, v in _defaults(t).items() if k not in columns}
        cols = columns + list(defaults)
        extra = [defaults[k] for k in defaults]
        with self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            if self.pg:
                with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(list(row) + extra)
            else:
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                batch = []
                for row in rows:
                    batch.append([_sqlite(v) for v in list(row) + extra])
                    if len(batch) >= 20000:
                        raw.executemany(sql, batch)
                        batch = []
                if batch:
                    raw.executemany(sql, batch)

    def fix_sequences(self, tables):
        if not self.pg:
            return
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for table in tables:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def _sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


class Ids:
    """Explicit ids for bulk rows."""

    def __init__(self, start=1):
        self.next = {}
        self.start = start

    def take(self, table: str) -> int:
        value = self.next.get(table, self.start)
        self.next[table] = value + 1
        return value


def seed(engine, *, committees: int, branches_per: int, members_per: int, checkins_per: int, study_per: int,
         meetings_per: int, seed_value: int = 7, ids: Ids | None = None) -> dict:
    """A city slice: committees > branches (each with two groups, a secretary) > members with a year of data."""
    rnd = random.Random(seed_value)
    ids = ids or Ids()
    w = Writer(engine)
    units, members, roles, meetings, minutes, tasks = ([] for _ in range(6))
    layout = []  # (branch id, its member ids, its meeting ids): the big tables are streamed from it
    station = ids.take("station")
    city = ids.take("org_unit")
    units.append((city, "市委", "committee", None, f"/{city}/", NOW))
    tops, top_secretaries = [], []
    phone = 15000000000 + ids.next.get("phone", 0)
    for c in range(committees):
        top = ids.take("org_unit")
        units.append((top, f"街道党工委{top}", "committee", city, f"/{city}/{top}/", NOW))
        tops.append(top)
        for b in range(branches_per):
            bid = ids.take("org_unit")
            units.append((bid, f"社区第{bid}党支部", "branch", top, f"/{city}/{top}/{bid}/", NOW))
            groups = []
            for g in range(2):
                gid = ids.take("org_unit")
                units.append((gid, f"第{g + 1}党小组", "group", bid, f"/{city}/{top}/{bid}/{gid}/", NOW))
                groups.append(gid)
            branch_members = []
            for i in range(members_per):
                mid = ids.take("member")
                phone += 1
                members.append((mid, f"党员{mid}", str(phone), bid, groups[i % 2], "full",
                                date(2000 + i % 25, 1 + i % 12, 1 + i % 28), False, True, NOW))
                branch_members.append(mid)
            roles.append((ids.take("role"), branch_members[0], "secretary", bid, None))
            branch_meetings = []
            for k in range(meetings_per):
                meeting_id = ids.take("meeting")
                day = date(YEAR, 1, 3) + timedelta(days=k * 320 // max(1, meetings_per))
                start = datetime(day.year, day.month, day.day, 19, tzinfo=SH)
                kind = KINDS[k % len(KINDS)]
                meetings.append((meeting_id, bid, f"m{meeting_id}", kind, f"{kind} {day}", start,
                                 start + timedelta(hours=1), "k", groups[0] if kind == "group" else None, NOW, NOW))
                minutes.append((ids.take("meeting_minutes"), meeting_id, bid, start + timedelta(hours=2), NOW))
                branch_meetings.append(meeting_id)
            layout.append((bid, branch_members, branch_meetings))
        roles.append((ids.take("role"), members[-1][0], "secretary", top, None))  # the committee's secretary
        top_secretaries.append(members[-1][0])
    base = {t: ids.next.get(t, ids.start) for t in ("checkin", "study_progress", "meeting_invite")}
    counts = {"checkin": len(members) * checkins_per, "study_progress": len(members) * study_per,
              "meeting_invite": sum(len(m) * len(ms) for _b, m, ms in layout)}
    for table, n in counts.items():
        ids.next[table] = base[table] + n

    def checkin_rows():
        n = base["checkin"]
        for bid, mids, _ms in layout:
            for mid in mids:
                for k in range(checkins_per):
                    day = date(YEAR, 1, 1) + timedelta(days=rnd.randrange(0, 320))
                    start = datetime(day.year, day.month, day.day, 9, tzinfo=SH)
                    length = rnd.choice((60, 90, 120, 180, 240))
                    yield (n, mid, station, bid, "scan", "rotating", "counted" if k % 50 else "pending", start,
                           start + timedelta(minutes=length), day, length, length, NOW)
                    n += 1

    def invite_rows():
        n = base["meeting_invite"]
        for bid, mids, ms in layout:
            for k, meeting_id in enumerate(ms):
                for j, mid in enumerate(mids):
                    yield (n, meeting_id, mid, bid, "attendee", True, "present" if (j + k) % 5 else None)
                    n += 1

    # city-wide study tasks (their ids are the k of each progress row, offset below)
    task_base = ids.take("study_task")
    for k in range(study_per):
        tasks.append((task_base + k, city, f"学习任务{k}", "article", "reading", "unit", date(YEAR, 1, 1),
                      date(YEAR, 12, 31), 4, NOW, NOW))
    ids.next["study_task"] = task_base + study_per

    def progress_rows():
        n = base["study_progress"]
        for bid, mids, _ms in layout:
            for mid in mids:
                for k in range(study_per):
                    yield (n, task_base + k, mid, bid, "completed", 4 if k % 3 else 2, YEAR, NOW, NOW)
                    n += 1
    ids.next["phone"] = phone - 15000000000
    from sqlalchemy import text

    with engine.begin() as conn:
        has_district = conn.execute(text("SELECT 1 FROM district WHERE code='futian'")).first()
    if not has_district:
        w.write("district", [("futian", "福田区", "Futian", 0)], ["code", "name", "name_en", "sort"])
    w.write("station", [(station, f"st-{station}", "服务站", "futian", "福田", 22.55, 114.05, "24/7", 100)],
            ["id", "code", "name", "district_code", "address", "lat", "lon", "opening_hours", "geofence_radius_m"])
    w.write("org_unit", units, ["id", "name", "kind", "parent_id", "path", "created_at"])
    w.write("member", members, ["id", "name", "phone", "org_unit_id", "group_id", "status", "joined_on",
                                "must_change_password", "is_active", "created_at"])
    w.write("role", roles, ["id", "member_id", "role", "org_unit_id", "station_id"])
    w.write("checkin", checkin_rows(), ["id", "member_id", "station_id", "org_unit_id", "source", "method", "status",
                                  "checked_in_at", "checked_out_at", "service_day", "minutes", "credited_minutes",
                                  "created_at"])
    w.write("study_task", tasks, ["id", "org_unit_id", "title", "kind", "completion", "audience", "opens_on", "due_on",
                                  "hours_half", "created_at", "updated_at"])
    w.write("study_progress", progress_rows(), ["id", "task_id", "member_id", "org_unit_id", "status", "credited_half",
                                         "credit_year", "started_at", "updated_at"])
    w.write("meeting", meetings, ["id", "org_unit_id", "uid", "kind", "title", "starts_at", "ends_at", "qr_key",
                                  "group_id", "created_at", "updated_at"])
    w.write("meeting_minutes", minutes, ["id", "meeting_id", "org_unit_id", "locked_at", "updated_at"])
    w.write("meeting_invite", invite_rows(), ["id", "meeting_id", "member_id", "org_unit_id", "role", "has_vote",
                                        "attendance"])
    w.fix_sequences(["org_unit", "member", "role", "checkin", "study_task", "study_progress", "meeting",
                     "meeting_minutes", "meeting_invite", "station"])
    if w.pg:  # what autovacuum does after a bulk load: statistics, and the visibility map for index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return {"tops": tops, "first_branch": units[2][0], "top_secretary": top_secretaries[0],
            "branch_secretary": roles[0][1], "members": len(members), "checkins": counts["checkin"]}


def _timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), result


def _count(app, fn) -> int:
    from sqlalchemy import event

    statements = []
    engine = app.extensions["sc_engine"]
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def _as(session, member_id):
    from sqlmodel import select

    from models import Member, Role, RoleName
    from services.accounts import Principal, orgs

    session.info["org_scope"] = "all"
    m = session.get(Member, member_id)
    roles = session.exec(select(Role).where(Role.member_id == member_id)).all()
    p = Principal(id=m.id, name=m.name, phone=m.phone, branch_id=m.org_unit_id, group_id=m.group_id,
                  must_change_password=False, locale=None, session_token="bench",
                  is_admin=any(r.role == RoleName.admin for r in roles),
                  led_org_ids=frozenset(r.org_unit_id for r in roles
                                        if r.role in (RoleName.secretary, RoleName.committee) and r.org_unit_id))
    orgs.apply_scope(session, p)
    return p


def dashboard_figures(app, member_id: int, unit_id: int, runs: int) -> tuple[float, int]:
    from sqlmodel import Session

    from services import workspace

    with app.test_request_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        p = _as(s, member_id)
        call = lambda: workspace.dashboard(s, p, unit_id=unit_id, now=NOW)  # noqa: E731
        call()
        queries = _count(app, call)
        ms, _ = _timed(call, runs)
    return ms, queries


def page_ms(app, member_id: int, path: str, runs: int = 10) -> float:
    cookie, _csrf = signed_in(app, member_id)
    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    client.get(path)
    ms, response = _timed(lambda: client.get(path), runs)
    assert response.status_code == 200, (path, response.status_code, response.headers.get("Location"))
    return ms


def import_seconds(app, member_id: int, unit_id: int) -> float:
    from sqlmodel import Session

    from services import workspace

    text = "姓名,手机号,党小组,党员类别,入党日期\n" + "".join(
        f"导入党员{i},186{i:08d},,正式党员,2010-07-01\n" for i in range(1000))
    with app.test_request_context(), Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        p = _as(s, member_id)
        start = time.perf_counter()
        result = workspace.import_members(s, p, unit_id=unit_id, data=text.encode())
        seconds = time.perf_counter() - start
    assert len(result.created) == 1000
    return round(seconds, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="for the branch and committee figures (default: a temporary SQLite)")
    parser.add_argument("--pg-url", help="a throwaway PostgreSQL database for the city scale (it is emptied)")
    parser.add_argument("--city-members", type=int, default=100_000)
    parser.add_argument("--city-checkins", type=int, default=3_000_000)
    args = parser.parse_args()
    out = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if url:
            reset_postgres(url)
        else:
            url = temp_sqlite(tmp)
        app = make_app(url)
        engine = app.extensions["sc_engine"]
        ids = Ids()
        branch = seed(engine, committees=1, branches_per=1, members_per=500, checkins_per=40, study_per=10,
                      meetings_per=52, ids=ids)
        out["branch_ms"], out["queries"] = dashboard_figures(app, branch["branch_secretary"], branch["first_branch"],
                                                             15)
        out["branch_page_ms"] = page_ms(app, branch["branch_secretary"], f"/workspace/units/{branch['first_branch']}")
        out["members_page_ms"] = page_ms(app, branch["branch_secretary"],
                                         f"/workspace/units/{branch['first_branch']}/members?behind=1")
        committee = seed(engine, committees=1, branches_per=40, members_per=50, checkins_per=40, study_per=10,
                         meetings_per=52, ids=ids, seed_value=8)
        out["committee_ms"], out["committee_queries"] = dashboard_figures(app, committee["top_secretary"],
                                                                          committee["tops"][0], 10)
        out["import_1000_s"] = import_seconds(app, branch["branch_secretary"], branch["first_branch"])
        out["database"] = engine.dialect.name
        engine.dispose()
    if args.pg_url:
        reset_postgres(args.pg_url)
        app = make_app(args.pg_url)
        engine = app.extensions["sc_engine"]
        committees, per = 63, 40  # 2,520 branches under 63 street committees
        members_per = max(1, -(-args.city_members // (committees * per)))
        start = time.perf_counter()
        city = seed(engine, committees=committees, branches_per=per, members_per=members_per,
                    checkins_per=max(1, -(-args.city_checkins // (committees * per * members_per))), study_per=10,
                    meetings_per=40)
        out["city_load_s"] = round(time.perf_counter() - start, 1)
        out["city_members"], out["city_checkins"] = city["members"], city["checkins"]
        out["city_committee_ms"], out["city_queries"] = dashboard_figures(app, city["top_secretary"],
                                                                          city["tops"][0], 10)
        out["city_branches"] = per
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
