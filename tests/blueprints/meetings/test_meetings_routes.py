"""The meeting screens through the client: a member's answers, calendars, the code scanned, the secretary's
screens, minutes, compliance; every id of another branch is a 404."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from models import Meeting, MeetingInvite, MeetingMinutes
from models.db import ALL_ORGS
from services import meetings
from services.checkin import codes as qr
from tests.conftest import csrf_from
from tests.services.meetings.helpers import make_branch


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def world(app, factory):
    b = make_branch(factory)
    return b


def db(app):
    s = Session(app.extensions["sc_engine"], expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


def create(app, b, *, starts_in=timedelta(days=2), **kw):
    """A meeting made through the service as the branch's secretary (times relative to now)."""
    from tests.services.meetings.helpers import data, principal

    start = kw.pop("starts_at", now() + starts_in)
    with app.test_request_context(), db(app) as s:
        sec = principal(s, b["sec"])
        return meetings.create_meeting(s, sec, unit_id=b["unit"].id,
                                       data=data(starts_at=start, ends_at=start + timedelta(hours=1), **kw))


def shift(app, meeting, *, start: datetime):
    """Move a meeting in the database (as if time had passed)."""
    with db(app) as s:
        row = s.get(Meeting, meeting.id)
        row.starts_at, row.ends_at = start, start + timedelta(hours=1)
        s.add(row)
        s.commit()


def invite_of(app, meeting, member):
    with db(app) as s:
        return s.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id,
                                                  MeetingInvite.member_id == member.id)).one()


def test_member_answers_and_sees_the_meeting(app, client, auth, world):
    """Does a member see the meeting on the 会议 tab and home, answer 参加, then 请假 with a reason?"""
    m = create(app, world)
    member = world["members"][0]
    auth.login(member.phone)
    tab = client.get("/meetings/")
    assert tab.status_code == 200 and m.title in tab.get_data(as_text=True)
    assert tab.headers["Cache-Control"] == "private, no-store"
    home = client.get("/").get_data(as_text=True)
    assert m.title in home and "/meetings/" in home
    page = client.get(f"/meetings/{m.id}")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    r = client.post(f"/meetings/{m.id}/answer", data={"csrf_token": token, "answer": "attend"})
    assert r.status_code == 303 and invite_of(app, m, member).rsvp == "attend"
    r = client.post(f"/meetings/{m.id}/answer", data={"csrf_token": token, "answer": "leave", "reason": ""},
                    follow_redirects=True)
    assert invite_of(app, m, member).rsvp == "attend"  # no reason, nothing written
    client.post(f"/meetings/{m.id}/answer", data={"csrf_token": token, "answer": "leave", "reason": "出差在外"})
    row = invite_of(app, m, member)
    assert row.rsvp == "leave" and row.leave_reason == "出差在外" and row.leave_status == "pending"
    r = client.post(f"/meetings/{m.id}/answer", data={"answer": "attend"})
    assert r.status_code == 400  # no CSRF token


def test_leave_after_start_is_refused_clearly(app, client, auth, world):
    """After the start, does 请假 get a clear message and change nothing?"""
    m = create(app, world)
    shift(app, m, start=now() - timedelta(minutes=5))
    member = world["members"][1]
    auth.login(member.phone)
    token = csrf_from(client.get(f"/meetings/{m.id}").get_data(as_text=True))
    r = client.post(f"/meetings/{m.id}/answer", data={"csrf_token": token, "answer": "leave", "reason": "临时有事"},
                    follow_redirects=True)
    assert "会议已经开始" in r.get_data(as_text=True)
    assert invite_of(app, m, member).rsvp is None


def test_ics_and_feed(app, client, auth, world):
    """Is the .ics a calendar file, and does the feed work until reset (then 404, as a tampered token)?"""
    m = create(app, world)
    member = world["members"][0]
    auth.login(member.phone)
    r = client.get(f"/meetings/{m.id}/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert Calendar.from_ical(r.data).walk("VEVENT")[0]["SUMMARY"] == m.title
    page = client.get("/meetings/calendar")
    token = csrf_from(page.get_data(as_text=True))
    made = client.post("/meetings/calendar/reset", data={"csrf_token": token}).get_data(as_text=True)
    url = re.search(r'value="(http[^"]+/meetings/feed/[^"]+\.ics)"', made).group(1)
    path = url.split("localhost", 1)[1]
    assert "webcal://" in made
    client_b = app.test_client()
    feed = client_b.get(path)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data and b"REFRESH-INTERVAL" not in feed.data
    assert feed.headers["Cache-Control"] == "private, no-store"
    assert client_b.get(path.replace(".ics", "x.ics")).status_code == 404
    client.post("/meetings/calendar/reset", data={"csrf_token": token})
    assert client_b.get(path).status_code == 404
    assert client.get("/me/").get_data(as_text=True).count("/meetings/calendar") == 1


def test_scan_the_code_marks_present(app, client, auth, world):
    """Does opening a meeting code and confirming mark the member present; a second scan says so?"""
    m = create(app, world, starts_in=timedelta(minutes=10))
    member = world["members"][2]
    with app.test_request_context():
        code = qr.meeting_token(m)
    auth.login(member.phone)
    page = client.get(f"/meetings/c/{code}?via=app")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-auto" in html and m.title in html
    scan_pass = re.search(r'name="scan_pass" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf_from(html), "code": code, "scan_pass": scan_pass, "nonce": "n" * 16}
    r = client.post("/meetings/scan", data=form)
    assert r.status_code == 303 and invite_of(app, m, member).attendance == "present"
    again = client.post("/meetings/scan", data=form, follow_redirects=True)
    assert "已签到" in again.get_data(as_text=True) or "already" in again.get_data(as_text=True)
    assert client.get("/meetings/c/g.1.1.forged").status_code == 400


def test_code_before_sign_in_continues_after(app, client, auth, world):
    """Does a phone camera's scan while signed out keep the code through the sign-in?"""
    m = create(app, world, starts_in=timedelta(minutes=10))
    with app.test_request_context():
        code = qr.meeting_token(m)
    r = client.get(f"/meetings/c/{code}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    nxt = re.search(r"next=([^&]+)", r.headers["Location"]).group(1)
    from urllib.parse import unquote

    r = auth.login(world["members"][0].phone, next_url=unquote(nxt))
    assert r.status_code == 302 and "/meetings/c/" in r.headers["Location"]


def test_secretary_schedules_through_the_form(app, client, auth, world):
    """Does the schedule form make a meeting (Shanghai time stored as UTC), and refuse a start in the past?"""
    auth.login(world["sec"].phone)
    page = client.get(f"/meetings/units/{world['unit'].id}/new")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    day = (now() + timedelta(days=3)).astimezone(meetings.tz()).date()
    form = {"csrf_token": token, "kind": "branch_assembly", "title": "三季度党员大会", "day": day.isoformat(),
            "start": "19:30", "end": "21:00", "place_kind": "text", "place_text": "二楼会议室",
            "audience": "branch", "agenda": "议题一"}
    r = client.post(f"/meetings/units/{world['unit'].id}/new", data=form)
    assert r.status_code == 303
    with db(app) as s:
        m = s.exec(select(Meeting).where(Meeting.title == "三季度党员大会")).one()
    assert meetings.local(m.starts_at).hour == 19 and m.starts_at.utcoffset() == timedelta(0)
    past = dict(form, day=(day - timedelta(days=10)).isoformat(), title="过去的会")
    r = client.post(f"/meetings/units/{world['unit'].id}/new", data=past)
    assert r.status_code == 400 and "已经过去" in r.get_data(as_text=True)
    bad = dict(form, end="18:00", title="倒着开")
    assert client.post(f"/meetings/units/{world['unit'].id}/new", data=bad).status_code == 400
    repeat = dict(form, kind="theme_day", title="主题党日", repeat="y", repeat_day="10", repeat_months="3")
    assert client.post(f"/meetings/units/{world['unit'].id}/new", data=repeat).status_code == 303
    with db(app) as s:
        assert len(s.exec(select(Meeting).where(Meeting.title == "主题党日")).all()) == 3
    station_search = dict(form, search_station="1", station_q="莲花", place_kind="station")
    assert client.post(f"/meetings/units/{world['unit'].id}/new", data=station_search).status_code == 200


def test_secretary_screens_render(app, client, auth, world, factory):
    """Do the unit list, board, attendance screen (with a live code), edit, settings and compliance render?"""
    m = create(app, world, starts_in=timedelta(minutes=10))
    auth.login(world["sec"].phone)
    for path in (f"/meetings/units/{world['unit'].id}", f"/meetings/{m.id}/board", f"/meetings/{m.id}/edit",
                 f"/meetings/units/{world['unit'].id}/settings", f"/meetings/units/{world['unit'].id}/compliance",
                 "/workspace/", f"/branch/units/{world['unit'].id}",
                 "/meetings/"):
        r = client.get(path)
        assert r.status_code == 200, path
    for start in ("/workspace/", "/meetings/"):  # the board and the code: two taps from the workspace or the tab
        html = client.get(start).get_data(as_text=True)
        assert f"/meetings/{m.id}/board" in html and f"/meetings/{m.id}/attendance" in html, start
    screen = client.get(f"/meetings/{m.id}/attendance").get_data(as_text=True)
    assert 'data-code="g.' in screen and "<svg" in screen
    part = client.get(f"/meetings/{m.id}/attendance?part=code", headers={"HX-Request": "true"})
    assert part.get_data(as_text=True).lstrip().startswith('<div id="meeting_code"')
    assert client.get(f"/meetings/units/{world['unit'].parent_id}/compliance").status_code == 404  # not theirs
    auth.logout()
    from models import OrgUnit

    with db(app) as s:
        top = s.get(OrgUnit, world["unit"].parent_id)
    boss = factory.secretary(top, name="党委书记")
    auth.login(boss.phone)
    page = client.get(f"/meetings/units/{top.id}/compliance")
    assert page.status_code == 200 and world["unit"].name in page.get_data(as_text=True)
    assert f"/meetings/units/{top.id}/compliance" in client.get("/workspace/").get_data(as_text=True)


def test_leave_decision_and_marks(app, client, auth, world):
    """Can the secretary approve a leave request on the board and mark a member present by hand?"""
    m = create(app, world, starts_in=timedelta(minutes=10))
    member = world["members"][0]
    from tests.services.meetings.helpers import principal

    with app.test_request_context(), db(app) as s:
        meetings.answer(s, principal(s, member), meeting_id=m.id, rsvp="leave", reason="出差")
    auth.login(world["sec"].phone)
    page = client.get(f"/meetings/{m.id}/board").get_data(as_text=True)
    assert "出差" in page
    invite = invite_of(app, m, member)
    r = client.post(f"/meetings/{m.id}/leave/{invite.id}", data={"csrf_token": csrf_from(page), "decision": "approve"})
    assert r.status_code == 303 and invite_of(app, m, member).leave_status == "approved"
    other = invite_of(app, m, world["members"][1])
    r = client.post(f"/meetings/{m.id}/attendance/{other.id}", data={"csrf_token": csrf_from(page), "status": "present"})
    assert r.status_code == 303 and invite_of(app, m, world["members"][1]).attendance == "present"


def test_minutes_save_and_lock(app, client, auth, world):
    """Can the secretary write, attach to and lock the minutes of a held meeting, and then only add an addendum?"""
    m = create(app, world)
    shift(app, m, start=now() - timedelta(hours=2))
    auth.login(world["sec"].phone)
    page = client.get(f"/meetings/{m.id}/minutes")
    token = csrf_from(page.get_data(as_text=True))
    r = client.post(f"/meetings/{m.id}/minutes", data={"csrf_token": token, "host_id": world["sec"].id,
                                                       "recorder_id": world["c1"].id, "topics": "传达学习",
                                                       "discussion": "## 讨论\n大家发言"})
    assert r.status_code == 303
    import io

    r = client.post(f"/meetings/{m.id}/minutes/files", data={"csrf_token": token,
                                                             "file": (io.BytesIO(b"GIF89a...."), "a.gif")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "PNG" in r.get_data(as_text=True)
    r = client.post(f"/meetings/{m.id}/minutes/files", data={"csrf_token": token,
                                                             "file": (io.BytesIO(b"%PDF-1.4 sheet"), "签到表.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    page = client.get(f"/meetings/{m.id}/minutes").get_data(as_text=True)
    file_url = re.search(r'href="(/meetings/files/[^"]+)"', page).group(1)
    f = client.get(file_url)
    assert f.status_code == 200 and f.headers["Cache-Control"] == "private, no-store"
    assert client.post(f"/meetings/{m.id}/minutes/lock", data={"csrf_token": token}).status_code == 303
    with db(app) as s:
        assert s.exec(select(MeetingMinutes)).one().locked_at is not None
    r = client.post(f"/meetings/{m.id}/minutes", data={"csrf_token": token, "topics": "改"}, follow_redirects=True)
    assert "已锁定" in r.get_data(as_text=True)
    r = client.post(f"/meetings/{m.id}/minutes/addenda", data={"csrf_token": token, "text": "会后补充材料已归档"},
                    follow_redirects=True)
    assert "会后补充材料已归档" in r.get_data(as_text=True)
    # the member sees the locked minutes; another branch's member does not
    auth.logout()
    auth.login(world["members"][0].phone)
    assert client.get(f"/meetings/{m.id}/minutes").status_code == 200
    assert client.get(file_url).status_code == 404


def test_every_route_with_an_id_is_404_for_another_branch(app, client, auth, world, factory):
    """Is every meeting route with an id a 404 for another branch's secretary (and a huge id a 404 too)?"""
    m = create(app, world, starts_in=timedelta(minutes=10))
    invite = invite_of(app, m, world["members"][0])
    other = factory.branch(name="别的支部")
    outsider = factory.secretary(other, name="外支部书记")
    auth.login(outsider.phone)
    token = csrf_from(client.get("/meetings/").get_data(as_text=True))
    gets = [f"/meetings/{m.id}", f"/meetings/{m.id}/calendar.ics", f"/meetings/{m.id}/attendance",
            f"/meetings/{m.id}/edit", f"/meetings/{m.id}/board", f"/meetings/{m.id}/minutes",
            f"/meetings/units/{world['unit'].id}", f"/meetings/units/{world['unit'].id}/new",
            f"/meetings/units/{world['unit'].id}/settings", f"/meetings/units/{world['unit'].id}/compliance"]
    posts = [f"/meetings/{m.id}/answer", f"/meetings/{m.id}/edit", f"/meetings/{m.id}/cancel",
             f"/meetings/{m.id}/leave/{invite.id}", f"/meetings/{m.id}/attendance/{invite.id}",
             f"/meetings/{m.id}/member-scan", f"/meetings/{m.id}/admit/{invite.id}", f"/meetings/{m.id}/observers",
             f"/meetings/{m.id}/minutes", f"/meetings/{m.id}/minutes/decisions",
             f"/meetings/{m.id}/minutes/decisions/1/delete", f"/meetings/{m.id}/minutes/lock",
             f"/meetings/{m.id}/minutes/addenda", f"/meetings/{m.id}/minutes/files",
             f"/meetings/units/{world['unit'].id}/new", f"/meetings/units/{world['unit'].id}/settings"]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        r = client.post(path, data={"csrf_token": token, "answer": "attend", "decision": "approve",
                                    "status": "present", "reason": "不开了", "code": "m.1.1.x", "text": "x" * 5})
        assert r.status_code == 404, path
    huge = 2 ** 64
    assert client.get(f"/meetings/{huge}").status_code == 404
    assert client.get(f"/meetings/{2 ** 31 - 1}").status_code == 404 and client.get(f"/meetings/{2 ** 31}").status_code == 404
    assert client.get(f"/meetings/c/g.{huge}.1.x").status_code == 400
    with db(app) as s:
        assert s.get(Meeting, m.id).cancelled_at is None


def test_ordinary_member_cannot_reach_secretary_screens(app, client, auth, world):
    """Is a plain member refused the secretary's screens (403), and sees no 404-leaking details?"""
    m = create(app, world)
    auth.login(world["members"][0].phone)
    for path in (f"/meetings/{m.id}/board", f"/meetings/{m.id}/attendance", f"/meetings/units/{world['unit'].id}"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("field, value", [("group_id", str(2 ** 40)), ("station_id", str(2 ** 64)),
                                          ("study_task_id", "-1"), ("member_ids", "99999999999999999999"),
                                          ("day", "2026-13-45"), ("start", "25:99"), ("title", "\x00" * 3),
                                          ("kind", "x" * 500), ("repeat_months", "NaN")])
def test_hostile_schedule_input_is_a_4xx_and_writes_nothing(app, client, auth, world, field, value):
    """Do huge ids, bad dates, control characters and junk in the schedule form give a 4xx and no meeting?"""
    auth.login(world["sec"].phone)
    token = csrf_from(client.get(f"/meetings/units/{world['unit'].id}/new").get_data(as_text=True))
    day = (now() + timedelta(days=3)).astimezone(meetings.tz()).date()
    form = {"csrf_token": token, "kind": "branch_assembly", "title": "大会", "day": day.isoformat(),
            "start": "19:30", "end": "21:00", "place_kind": "text", "place_text": "会议室", "audience": "branch",
            "repeat": "y" if field == "repeat_months" else "", field: value}
    r = client.post(f"/meetings/units/{world['unit'].id}/new", data=form)
    assert 400 <= r.status_code < 500 or (field == "member_ids" and r.status_code == 303)
    with db(app) as s:
        assert len(s.exec(select(Meeting)).all()) == (1 if field == "member_ids" and r.status_code == 303 else 0)
