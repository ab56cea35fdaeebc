"""Branch reminders through the outbox, exports (CSV, XLSX, defused, scoped), member filters and transfers."""
import csv as _csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import Attendance, Member, Notification
from services import notify, workspace
from services.errors import DomainError, NotFound
from tests.services.workspace.helpers import NOW, held, invite, principal, service, study_hours


def test_term_warnings_go_6_and_1_months_before_once_each(ctx, session, factory):
    """Are the branch committee and the committee above warned 6 months and 1 month before the term ends, once?"""
    top = factory.committee()
    branch = factory.branch(parent=top)
    sec = factory.secretary(branch)
    boss = factory.member(branch, name="党委书记", roles=[("secretary", top)])
    factory.member(branch, name="普通党员")
    workspace.set_term(session, principal(session, sec), unit_id=branch.id, elected_on=date(2023, 12, 1))
    assert workspace.term_of(session, unit_id=branch.id).ends_on == date(2026, 12, 1)
    at = lambda y, m, d: datetime(y, m, d, 2, tzinfo=timezone.utc)  # noqa: E731
    assert workspace.send_term_warnings(session, now=at(2026, 5, 31)) == 0
    assert workspace.send_term_warnings(session, now=at(2026, 6, 1)) == 2  # the secretary and the committee above
    assert workspace.send_term_warnings(session, now=at(2026, 6, 2)) == 0  # told once
    assert workspace.send_term_warnings(session, now=at(2026, 11, 1)) == 2  # one month before
    assert workspace.send_term_warnings(session, now=at(2026, 12, 2)) == 0  # over
    rows = session.exec(select(Notification).where(Notification.purpose == notify.TERM_ENDING)).all()
    assert {r.member_id for r in rows} == {sec.id, boss.id} and len(rows) == 4


def test_political_birthday_is_greeted_on_the_day_once(ctx, session, factory):
    """Is a member greeted on the anniversary of joining, once, and nobody else?"""
    branch = factory.branch()
    today = factory.member(branch, name="今天")
    other = factory.member(branch, name="明天")
    today.joined_on, other.joined_on = date(2001, 5, 20), date(2001, 5, 21)
    session.add_all([today, other])
    session.commit()
    assert workspace.send_political_birthdays(session, now=NOW) == 1
    assert workspace.send_political_birthdays(session, now=NOW) == 0
    [row] = session.exec(select(Notification).where(Notification.purpose == notify.POLITICAL_BIRTHDAY)).all()
    assert row.member_id == today.id and "25" in row.body


def test_set_term_refuses_bad_dates_and_other_branches(ctx, session, factory):
    """Is a future date refused, and another branch NotFound?"""
    mine, theirs = factory.branch(), factory.branch()
    p = principal(session, factory.secretary(mine))
    with pytest.raises(DomainError):
        workspace.set_term(session, p, unit_id=mine.id, elected_on=date.today() + timedelta(days=3))
    with pytest.raises(NotFound):
        workspace.set_term(session, p, unit_id=theirs.id, elected_on=date(2024, 1, 1))


@pytest.fixture
def two(factory, session):
    a, b = factory.branch("甲支部"), factory.branch("乙支部")
    sec = factory.secretary(a)
    ma = factory.member(a, name="=cmd|'/c calc'!A1")
    mb = factory.member(b, name="乙成员")
    station = factory.station()
    for m in (sec, ma, mb):
        service(session, m, station, date(2026, 4, 1), 90)
        study_hours(session, m, 8)
    for unit, person in ((a, ma), (b, mb)):
        invite(session, held(session, unit, "committee", date(2026, 4, 5)), person, Attendance.present)
    session.commit()
    return {"a": a, "b": b, "p": principal(session, sec), "ma": ma, "mb": mb}


@pytest.mark.parametrize("kind", ["attendance", "service", "study", "rating"])
def test_exports_hold_only_the_branch_and_defuse_formulas(ctx, session, two, kind):
    """Does every export (CSV and XLSX) hold the branch's rows only, with formula-like text defused?"""
    name, body, mime = workspace.export(session, two["p"], unit_id=two["a"].id, kind=kind, fmt="csv", now=NOW)
    rows = list(_csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and all("乙" not in cell for row in rows for cell in row)
    _n, xbody, xmime = workspace.export(session, two["p"], unit_id=two["a"].id, kind=kind, fmt="xlsx", now=NOW)
    sheet = load_workbook(io.BytesIO(xbody), read_only=True).worksheets[0]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert len(list(load_workbook(io.BytesIO(xbody)).worksheets[0].iter_rows())) == len(rows)
    assert all("乙" not in c for c in cells)
    assert not any(c.startswith("=") for c in cells)
    if kind in ("service", "study"):
        assert "'=cmd|'/c calc'!A1" in cells and any(row[1] == "'=cmd|'/c calc'!A1" for row in rows)
    with pytest.raises(NotFound):
        workspace.export(session, two["p"], unit_id=two["b"].id, kind=kind, fmt="csv", now=NOW)


def test_unknown_export_is_not_found(ctx, session, two):
    """Is an unknown kind or format NotFound?"""
    for kind, fmt in (("secret", "csv"), ("service", "pdf")):
        with pytest.raises(NotFound):
            workspace.export(session, two["p"], unit_id=two["a"].id, kind=kind, fmt=fmt, now=NOW)


def test_member_filters(ctx, session, factory):
    """Do the filters find members behind on study, idle for 90 days, absent twice running, by status and group?"""
    branch = factory.branch()
    group = factory.group(branch, name="一组")
    sec = factory.secretary(branch)
    busy = factory.member(branch, name="勤快", group=group)
    idle = factory.member(branch, name="懒散")
    station = factory.station()
    service(session, busy, station, date(2026, 5, 1), 120)
    service(session, sec, station, date(2026, 5, 1), 120)
    study_hours(session, busy, 60)
    study_hours(session, sec, 60)
    for day in (date(2026, 4, 1), date(2026, 5, 1)):
        m = held(session, branch, "committee", day)
        invite(session, m, busy, Attendance.present)
        invite(session, m, idle)  # never marked: absent
    session.commit()
    p = principal(session, sec)

    def names(**args):
        flt = workspace.MemberFilter.parse({k: str(v) for k, v in args.items()})
        return {r.name for r in workspace.member_list(session, p, unit_id=branch.id, flt=flt, now=NOW).rows}

    assert names() == {"李书记", "勤快", "懒散"}
    assert names(behind=1) == {"懒散"}
    assert names(idle=1) == {"懒散"}
    assert names(absent=1) == {"懒散"}
    assert names(group=group.id) == {"勤快"}
    assert names(q="勤") == {"勤快"}
    assert names(status="probationary") == set()
    assert names(status="nonsense", page="x", group="-4", hours="99") == {"李书记", "勤快", "懒散"}
    workspace.set_active(session, p, member_id=idle.id, active=False)
    assert names() == {"李书记", "勤快"} and names(status="inactive") == {"懒散"}
    page = workspace.member_list(session, p, unit_id=branch.id, flt=workspace.MemberFilter(page=99), per_page=1,
                                 now=NOW)
    assert page.pages == 2 and page.page == 2 and len(page.rows) == 1


def test_transfer_keeps_history_and_both_secretaries_see_it(ctx, session, factory):
    """After a transfer, does the old branch list the move out and the new branch the move in?"""
    a, b = factory.branch("甲支部"), factory.branch("乙支部")
    sec_a, sec_b = factory.secretary(a), factory.secretary(b, name="乙书记")
    mover = factory.member(a, name="转接人")
    workspace.transfer(session, principal(session, sec_a), member_id=mover.id, to_branch_id=b.id, note="工作调动")
    out = workspace.transfers(session, principal(session, sec_a), unit_id=a.id)
    into = workspace.transfers(session, principal(session, sec_b), unit_id=b.id)
    assert [(m.direction, m.name, m.other) for m in out] == [("out", "转接人", "乙支部")]
    assert [(m.direction, m.name, m.other, m.note) for m in into] == [("in", "转接人", "甲支部", "工作调动")]
    with pytest.raises(NotFound):
        workspace.member_records(session, principal(session, sec_a), member_id=mover.id)
    rec = workspace.member_records(session, principal(session, sec_b), member_id=mover.id)
    assert len(rec.history) == 2
    assert session.get(Member, mover.id).org_unit_id == b.id
