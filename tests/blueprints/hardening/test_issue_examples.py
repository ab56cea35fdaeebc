"""The hostile values the probe found answering 500, each at the place it was found: now a 4xx."""
import io
from datetime import date

import pytest

from services import study
from tests.services.study.helpers import principal, task_data

DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = "9223372036854775808"


@pytest.fixture
def member(factory, auth):
    person = factory.member()
    auth.login(person.phone)
    return person


@pytest.mark.parametrize("path", [f"/stations/{HUGE}", f"/checkin/records/{HUGE}", f"/study/tasks/{'9' * 400}",
                                  f"/branch/members/{HUGE}", "/stations/١٢", f"/meetings/{HUGE}",
                                  f"/stations/map?station={HUGE}", "/checkin/?year=" + "9" * 400,
                                  f"/study/?year={HUGE}", f"/meetings/units/1/compliance?year={HUGE}"])
def test_huge_ids_in_paths_and_queries(client, member, path):
    """Is a 2^63 (or 400-digit, or non-ASCII) id a 404 or a plain page, never a 500?"""
    assert client.get(path).status_code in (200, 302, 403, 404)


@pytest.mark.parametrize("code", [f"r.{HUGE}.1.x", "r.1." + "9" * 30 + ".x", "p.١٢.1.x", f"m.{HUGE}.1.x",
                                  "g.2147483648.1.x"])
def test_kiosk_code_parser_anonymous(client, code):
    """Does the kiosk code parser answer a stranger's absurd code without a 500?"""
    assert client.get(f"/c/{code}").status_code < 500
    assert client.get(f"/meetings/c/{code}").status_code < 500


@pytest.mark.parametrize("body", [b'{"lat": 1e999, "lon": 114}', b'{"lat": Infinity, "lon": NaN}',
                                  b'{"lat": ' + b"9" * 400 + b', "lon": 114}', b'{"lat": 22.5, "lon": 114, "limit": '
                                  + b"9" * 400 + b"}", b'{"lat": 22.5, "lon": 114, "limit": 1e999}', DEEP,
                                  b'{"lat": "1e999", "lon": "NaN"}'])
def test_nearest_api_anonymous(client, body):
    """Does the public nearest-station API answer 400 for non-finite, huge and deeply nested JSON?"""
    response = client.post("/stations/api/nearest", data=body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b'{"code": "r.1.1.x", "nonce": "n1", "scanned_at": 1e999}',
                                  b'{"code": "r.1.1.x", "nonce": "n1", "scanned_at": "0001-01-01T00:00:00"}',
                                  b'{"code": "r.1.1.x", "nonce": "n1", "scanned_at": "2026-05-01T09:00:00Z", '
                                  b'"geo": {"inside": true, "distance_m": 1e999, "accuracy_m": ' + b"9" * 400 + b"}}",
                                  b'{"code": "r.1.1.x", "nonce": "n1", "scanned_at": "2026-05-01T09:00:00Z", '
                                  b'"geo": {"inside": true, "distance_m": "1e999", "accuracy_m": "NaN"}}', DEEP])
def test_offline_sync(client, member, auth, body):
    """Does the offline sync answer non-finite numbers, year-1 times and deep nesting with a 4xx?"""
    token = auth.csrf("/checkin/")
    response = client.post("/checkin/sync", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert 400 <= response.status_code < 500


def test_geojson_import_deep_and_non_finite(client, auth, factory):
    """Does the station import refuse GeoJSON nested 100,000 deep, or with 1e999 coordinates, with a message?"""
    admin = factory.member(roles=["admin"])
    auth.login(admin.phone)
    token = auth.csrf("/stations/import")
    for content in [b'{"type": "FeatureCollection", "features": ' + DEEP + b"}",
                    b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
                    b'"coordinates":[1e999, ' + b"9" * 400 + b']},"properties":{"name":"x","code":"x"}}]}']:
        response = client.post("/stations/import", data={"csrf_token": token, "crs": "wgs84",
                                                         "file": (io.BytesIO(content), "s.geojson")},
                               content_type="multipart/form-data")
        assert response.status_code == 400


def test_quiz_answers_with_odd_digits(client, auth, factory, session):
    """Are quiz answers in non-ASCII digits or 5,000 digits long refused with a message, not a 500?"""
    branch = factory.branch()
    sec, person = factory.secretary(branch), factory.member(branch)
    p = principal(session, sec)
    quiz = study.create_task(session, p, unit_id=branch.id, data=task_data(completion="quiz", pass_mark=100))
    q = study.add_question(session, p, task_id=quiz.id, kind="single", text="问题？", options=["甲", "乙"], correct=[1])
    session.commit()
    auth.login(person.phone)
    start = auth.post(f"/study/tasks/{quiz.id}/quiz", page=f"/study/tasks/{quiz.id}")
    url = start.headers["Location"]
    for field, value in [(f"q{q.id}", "١"), (f"q{q.id}", "9" * 5000), ("q" + "9" * 5000, "1"), (f"q{q.id}", "²"),
                         ("q١", "1"), (f"q{HUGE}", "1")]:
        response = auth.post(url, data={field: value}, page=url)
        assert response.status_code == 400, (field[:10], value[:10])


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_activity_at_the_calendars_ends(client, auth, factory, when):
    """Is an activity starting in year 1 or 9999 refused with a message, not a 500 on the UTC conversion?"""
    station = factory.station()
    admin = factory.member(roles=["admin"])
    auth.login(admin.phone)
    response = auth.post("/checkin/activities/new", page="/checkin/activities/new", data={
        "title": "植树", "station_id": str(station.id), "place": "广场", "starts_at": when, "ends_at": when,
        "slots": "10"})
    assert response.status_code == 400
    assert "年至" in response.get_data(as_text=True)


def test_lecture_time_in_year_one(client, auth, factory):
    """Is a 党课 lecture time in year 1 refused with a message?"""
    branch = factory.branch()
    sec = factory.secretary(branch)
    auth.login(sec.phone)
    page = f"/study/manage/units/{branch.id}/tasks/new"
    response = auth.post(page, page=page, data={
        "title": "书记讲党课", "kind": "lecture", "completion": "attendance", "hours_half": "2", "required": "y",
        "opens_on": "2026-01-01", "due_on": "2030-12-31", "lecture_at": "0001-01-01T00:00", "lecture_place": "会议室",
        "audience": "unit", "min_minutes": "1", "pass_mark": "80", "quiz_size": "0", "report_min_chars": "10"})
    assert response.status_code == 400


def test_roster_import_with_a_field_beyond_the_csv_limit(client, auth, factory):
    """Is a roster CSV with a field longer than the csv module's limit refused with a message?"""
    branch = factory.branch()
    sec = factory.secretary(branch)
    auth.login(sec.phone)
    content = "姓名,手机号\n".encode() + b'"' + b"x" * 200_000 + b'",13800138000\n'
    response = client.post(f"/branch/units/{branch.id}/import", data={
        "csrf_token": auth.csrf(f"/branch/units/{branch.id}"), "file": (io.BytesIO(content), "r.csv")},
        content_type="multipart/form-data")
    assert 400 <= response.status_code < 500 or response.status_code in (200, 302, 303)
    assert response.status_code != 500


@pytest.mark.parametrize("value", ["2147483648", HUGE, "-2147483649", "9" * 400])
def test_integer_form_fields_beyond_int4(client, auth, factory, value):
    """Are integer form fields beyond PostgreSQL's int4 refused with a message (slots, member ids)?"""
    station = factory.station()
    admin = factory.member(roles=["admin"])
    auth.login(admin.phone)
    response = auth.post("/checkin/activities/new", page="/checkin/activities/new", data={
        "title": "植树", "station_id": str(station.id), "place": "广场", "starts_at": "2030-05-01T09:00",
        "ends_at": "2030-05-01T11:00", "slots": value})
    assert response.status_code == 400


def test_dates_at_calendar_ends_in_the_member_form(client, auth, factory):
    """Is a join date in year 1 refused with a message?"""
    branch = factory.branch()
    sec = factory.secretary(branch)
    auth.login(sec.phone)
    response = auth.post(f"/branch/units/{branch.id}/members", page=f"/branch/units/{branch.id}", data={
        "name": "张三", "phone": "13912345678", "status": "full", "joined_on": "0001-01-01"})
    assert response.status_code == 400
    assert date(1, 1, 1)


@pytest.mark.parametrize("name", ["张\x00三", "张\n三", "\x1b[31m张三", "张\x7f三"])
def test_control_characters_in_an_imported_member_name(client, auth, factory, session, name):
    """Is a roster row whose name holds a NUL byte, a line break or another control character refused with a
    Chinese message, and nothing imported?"""
    from sqlmodel import select

    from models import Member

    branch = factory.branch()
    sec = factory.secretary(branch)
    auth.login(sec.phone)
    before = len(session.exec(select(Member)).all())
    session.commit()
    content = f'姓名,手机号\n"{name}",13912340001\n'.encode()
    response = client.post(f"/branch/units/{branch.id}/import", data={
        "csrf_token": auth.csrf(f"/branch/units/{branch.id}"), "file": (io.BytesIO(content), "r.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)
    assert len(session.exec(select(Member)).all()) == before
    session.commit()


@pytest.mark.parametrize("field, value, multiline", [("name", "张\x00三", False), ("name", "张\n三", False),
                                                      ("description", "第一行\n第二行\x00", True)])
def test_control_characters_in_forms(client, auth, factory, field, value, multiline):
    """Do forms refuse control characters (and line breaks in one-line fields) with a Chinese message, while
    line breaks in multi-line text are kept?"""
    branch = factory.branch()
    sec = factory.secretary(branch)
    auth.login(sec.phone)
    if field == "name":
        response = auth.post(f"/branch/units/{branch.id}/members", page=f"/branch/units/{branch.id}", data={
            "name": value, "phone": "13912345679", "status": "full", "joined_on": "2010-07-01"})
    else:
        station = factory.station()
        admin = factory.member(roles=["admin"])
        auth.logout()
        auth.login(admin.phone)
        response = auth.post("/checkin/activities/new", page="/checkin/activities/new", data={
            "title": "植树", "station_id": str(station.id), "place": "广场", "starts_at": "2030-05-01T09:00",
            "ends_at": "2030-05-01T11:00", "slots": "10", "description": value})
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)


def test_line_breaks_are_kept_in_multiline_text(client, auth, factory):
    """Is an activity description with line breaks and a tab accepted?"""
    station = factory.station()
    admin = factory.member(roles=["admin", ("station_staff", station)])
    auth.login(admin.phone)
    response = auth.post("/checkin/activities/new", page="/checkin/activities/new", data={
        "title": "植树", "station_id": str(station.id), "place": "广场", "starts_at": "2030-05-01T09:00",
        "ends_at": "2030-05-01T11:00", "slots": "10", "description": "第一行\r\n第二行\t带制表符"})
    assert response.status_code in (302, 303)


@pytest.mark.parametrize("code, scan_pass", [("\\\x14", "１.１"), ("g.1.1.x", "9" * 5000 + ".x"), ("r.1.1.x", "-1.x"),
                                             (f"g.{HUGE}.1.x", "1.x"), ("m.1.1.x", "١٢٣.x")])
def test_meeting_and_station_scan_posts(client, member, auth, code, scan_pass):
    """Do the scan confirmations refuse odd codes and scan passes with a 4xx (or a page), never a 500?"""
    for path in ("/meetings/scan", "/checkin/scan"):
        response = auth.post(path, data={"code": code, "scan_pass": scan_pass, "nonce": "n-1"}, page="/checkin/")
        assert response.status_code < 500, path
