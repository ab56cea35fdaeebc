"""Smaller hardening: refused study saves keep no upload, study files are never cached, the remember-me
cookie lives as long as its session, and the check-in pages write nothing on GET."""
import io
from datetime import timedelta

from sqlmodel import select

from models import CheckIn, StudyFile, utcnow
from services import study
from tests.services.study.helpers import principal, task_data

PDF = b"%PDF-1.4\n" + b"x" * 2000


def _task_fields(**kw):
    fields = {"title": "学习材料", "kind": "article", "completion": "reading", "hours_half": "2", "required": "y",
              "opens_on": "2026-01-01", "due_on": "2030-12-31", "body_md": "正文", "min_minutes": "1",
              "pass_mark": "80", "quiz_size": "0", "report_min_chars": "10", "audience": "unit"}
    fields.update(kw)
    return fields


def test_refused_task_edit_keeps_no_upload(app, client, auth, factory, session, tmp_path):
    """When a task edit with a new file is refused (its kind changed after members started), are the stored
    file and its row removed again?"""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    branch = factory.branch()
    sec, person = factory.secretary(branch), factory.member(branch)
    task = study.create_task(session, principal(session, sec), unit_id=branch.id, data=task_data(min_seconds=60))
    session.info["org_scope"] = "all"
    session.commit()
    auth.login(person.phone)
    client.post(f"/study/tasks/{task.id}/beat", headers={"HX-Request": "true",
                                                          "X-CSRFToken": auth.csrf(f"/study/tasks/{task.id}")})
    auth.logout()
    auth.login(sec.phone)
    page = f"/study/manage/tasks/{task.id}/edit"
    data = _task_fields(kind="video", completion="reading", file=(io.BytesIO(PDF), "学习.pdf"))
    data["csrf_token"] = auth.csrf(page)
    response = client.post(page, data=data, content_type="multipart/form-data")
    assert response.status_code == 400, response.status_code
    assert session.exec(select(StudyFile)).all() == []
    session.commit()
    folder = tmp_path / "uploads" / "study"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_refused_task_create_keeps_no_upload(app, client, auth, factory, session, tmp_path):
    """When a new task with a file is refused by the service (members of another branch), is nothing kept?"""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    branch, other = factory.branch(), factory.branch()
    sec, stranger = factory.secretary(branch), factory.member(other)
    auth.login(sec.phone)
    page = f"/study/manage/units/{branch.id}/tasks/new"
    data = _task_fields(audience="members", member_ids=str(stranger.id), file=(io.BytesIO(PDF), "学习.pdf"))
    data["csrf_token"] = auth.csrf(page)
    response = client.post(page, data=data, content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
    assert session.exec(select(StudyFile)).all() == []
    session.commit()
    folder = tmp_path / "uploads" / "study"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_study_files_are_private_and_not_stored(app, client, auth, factory, session, tmp_path):
    """Is an uploaded study file sent with Cache-Control: private, no-store?"""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    branch = factory.branch()
    sec = factory.secretary(branch)
    with app.test_request_context():
        row = study.store_upload(session, principal(session, sec), unit_id=branch.id, stream=io.BytesIO(PDF),
                                 filename="a.pdf")
    auth.login(sec.phone)
    response = client.get(f"/study/files/{row.token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_remember_cookie_lives_as_long_as_the_session(app, client, auth, factory):
    """Does the remember-me cookie expire after REMEMBER_DAYS (30), like its server session, not after a year?"""
    member = factory.member()
    response = auth.login(member.phone, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("sc_remember="))
    from email.utils import parsedate_to_datetime

    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    days = (expires - utcnow()).total_seconds() / 86400
    assert abs(days - app.config["REMEMBER_DAYS"]) < 1


def test_checkin_pages_write_nothing_on_get(app, client, auth, factory, session):
    """With an overdue open check-in, do GET /checkin/ and /checkin/records/<id> leave it as it is (the worker
    closes it), while showing no running visit on the tab?"""
    station = factory.station()
    member = factory.member()
    start = utcnow() - timedelta(hours=20)
    record = CheckIn(member_id=member.id, station_id=station.id, org_unit_id=member.org_unit_id, checked_in_at=start,
                     service_day=start.date(), status="open", open_member_id=member.id, nonce="n-open")
    session.add(record)
    session.commit()
    auth.login(member.phone)
    assert client.get("/checkin/").status_code == 200
    assert client.get(f"/checkin/records/{record.id}").status_code == 200
    assert client.get("/").status_code == 200
    session.expire_all()
    again = session.get(CheckIn, record.id)
    session.commit()
    assert again.open_member_id == member.id and again.checked_out_at is None
