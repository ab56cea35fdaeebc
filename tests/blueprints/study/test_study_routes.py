"""The study screens through the test client: members, secretaries, bad input, scoping."""
import io

import pytest
from sqlmodel import select

from models import Notification, StudyAttempt, StudyFile, StudyProgress, StudyTask
from services import study
from tests.conftest import csrf_from
from tests.services.study.helpers import FAR_FUTURE, FAR_PAST, principal, task_data

HX = {"HX-Request": "true"}


def rows(session, statement) -> list:
    """Read, then end the transaction: in-memory SQLite shares one connection with the app's requests."""
    result = list(session.exec(statement).all())
    session.commit()
    return result


@pytest.fixture
def world(factory, session):
    """Branch A (secretary, two members) with reading, quiz, report and lecture tasks; branch B with a member."""
    a, b = factory.branch(name="莲花一支部"), factory.branch(name="景田二支部")
    sec = factory.secretary(a, name="李书记")
    m1, m2 = factory.member(a, name="王小红"), factory.member(a, name="陈大明")
    mb = factory.member(b, name="乙支部党员")
    sec_b = factory.secretary(b, name="乙书记")
    p = principal(session, sec)
    reading = study.create_task(session, p, unit_id=a.id, data=task_data(
        title="学习党的二十届四中全会精神", body_md="## 一、总体要求\n\n坚持以人民为中心。", min_seconds=60))
    quiz = study.create_task(session, p, unit_id=a.id, data=task_data(title="全会精神应知应会测试", completion="quiz",
                                                                       pass_mark=100))
    q1 = study.add_question(session, p, task_id=quiz.id, kind="single", text="党员每年学习目标是多少学时？",
                            options=["16", "32", "64"], correct=[1])
    q2 = study.add_question(session, p, task_id=quiz.id, kind="multiple", text="“三会一课”包括哪些？",
                            options=["支部党员大会", "运动会", "党课"], correct=[0, 2])
    report = study.create_task(session, p, unit_id=a.id, data=task_data(
        title="撰写学习心得体会", kind="report", completion="report", report_min_chars=10))
    lecture = study.create_task(session, p, unit_id=a.id, data=task_data(
        title="书记讲党课", kind="lecture", completion="attendance", hours_half=4))
    task_b = study.create_task(session, principal(session, sec_b), unit_id=b.id, data=task_data(title="乙支部任务"))
    session.info["org_scope"] = "all"
    session.commit()
    return dict(a=a, b=b, sec=sec, m1=m1, m2=m2, mb=mb, reading=reading, quiz=quiz, q=[q1, q2], report=report,
                lecture=lecture, task_b=task_b)


@pytest.fixture
def uploads(app, tmp_path):
    """Uploads go to a temporary directory, with a 64 KB limit."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    app.config["STUDY_UPLOAD_MAX_BYTES"] = 64 * 1024
    return tmp_path / "uploads" / "study"


@pytest.mark.parametrize("path", ["/study/", "/study/record", "/study/tasks/1", "/inbox/",
                                  "/study/manage/units/1", "/study/manage/units/1/matrix"])
def test_study_pages_need_sign_in(client, path):
    """Does every study page send a stranger to the sign-in page?"""
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_member_board_and_task_page(client, auth, world):
    """Does the member see their tasks with progress bars and the ring, and a task page with its text?"""
    auth.login(world["m1"].phone)
    page = client.get("/study/").get_data(as_text=True)
    assert "学习党的二十届四中全会精神" in page and "<progress" in page and 'class="ring"' in page
    assert "乙支部任务" not in page
    assert 'style="' not in page  # CSP: no inline styles
    task = client.get(f"/study/tasks/{world['reading'].id}").get_data(as_text=True)
    assert "<h2>一、总体要求</h2>" in task and "data-beat-url" in task
    assert client.get(f"/study/tasks/{world['task_b'].id}").status_code == 404


def test_heartbeat_returns_fragment_and_refuses_a_flood(client, auth, world, session):
    """Does a heartbeat answer with the status fragment, and a beat right after it 429 without writing?"""
    auth.login(world["m1"].phone)
    token = csrf_from(client.get(f"/study/tasks/{world['reading'].id}").get_data(as_text=True))
    first = client.post(f"/study/tasks/{world['reading'].id}/beat", headers={**HX, "X-CSRFToken": token})
    assert first.status_code == 200
    assert first.get_data(as_text=True).lstrip().startswith('<div id="reading_status"')
    flood = [client.post(f"/study/tasks/{world['reading'].id}/beat", headers={**HX, "X-CSRFToken": token})
             for _ in range(20)]
    assert {r.status_code for r in flood} == {429}
    row = rows(session, select(StudyProgress).where(StudyProgress.task_id == world["reading"].id))[0]
    assert row.seconds_read == 0
    no_csrf = client.post(f"/study/tasks/{world['reading'].id}/beat", headers=HX)
    assert no_csrf.status_code == 400


def test_quiz_through_the_forms(client, auth, world, session):
    """Can a member fail, see the right answers, retry with a fresh attempt and pass; is a foreign answer refused?"""
    auth.login(world["m1"].phone)
    task_page = client.get(f"/study/tasks/{world['quiz'].id}").get_data(as_text=True)
    start = client.post(f"/study/tasks/{world['quiz'].id}/quiz", data={"csrf_token": csrf_from(task_page)})
    assert start.status_code == 302
    attempt_url = start.headers["Location"]
    page = client.get(attempt_url).get_data(as_text=True)
    token = csrf_from(page)
    q1, q2 = world["q"]
    assert q1.text in page and q2.text in page
    foreign = client.post(attempt_url, data={"csrf_token": token, f"q{q1.id}": "1", f"q{q2.id}": ["0", "2"],
                                             "q999999": "0"})
    assert foreign.status_code == 400 and "不在本次测试中" in foreign.get_data(as_text=True)
    garbage = client.post(attempt_url, data={"csrf_token": token, "qx": "zz"})
    assert garbage.status_code == 400
    assert rows(session, select(StudyAttempt))[0].submitted_at is None
    wrong = client.post(attempt_url, data={"csrf_token": token, f"q{q1.id}": "0", f"q{q2.id}": ["0"]})
    assert wrong.status_code == 302
    result = client.get(attempt_url).get_data(as_text=True)
    assert "未通过" in result and "正确答案" in result
    retry = client.post(f"/study/tasks/{world['quiz'].id}/quiz", data={"csrf_token": csrf_from(result)})
    second_url = retry.headers["Location"]
    assert second_url != attempt_url
    ok = client.post(second_url, data={"csrf_token": token, f"q{q1.id}": "1", f"q{q2.id}": ["0", "2"]})
    assert ok.status_code == 302
    assert "通过" in client.get(second_url).get_data(as_text=True)
    # another member cannot open it
    auth.logout()
    auth.login(world["m2"].phone)
    assert client.get(second_url).status_code == 404


def test_report_too_long_and_too_short(client, auth, world, session):
    """Is an oversized report refused (413) and a short one refused (400), each with a message and nothing written?"""
    auth.login(world["m1"].phone)
    url = f"/study/tasks/{world['report'].id}/report"
    token = csrf_from(client.get(url).get_data(as_text=True))
    big = client.post(url, data={"csrf_token": token, "text": "学" * 20001})
    assert big.status_code == 413 and "报告太长" in big.get_data(as_text=True)
    short = client.post(url, data={"csrf_token": token, "text": "短"})
    assert short.status_code == 400 and "至少需要" in short.get_data(as_text=True)
    assert rows(session, select(StudyProgress)) == []
    ok = client.post(url, data={"csrf_token": token, "text": "通过学习，我对基层治理有了新的认识和体会。"})
    assert ok.status_code == 302


def test_secretary_reviews_a_report(client, auth, world, session):
    """Can the secretary return a report with a comment and then approve it, the member getting notices?"""
    p = principal(session, world["m1"])
    progress = study.save_report(session, p, task_id=world["report"].id, text="认真学习，联系实际，服务群众。")
    session.info["org_scope"] = "all"
    auth.login(world["sec"].phone)
    page = client.get(f"/study/manage/units/{world['a'].id}/reviews").get_data(as_text=True)
    assert "服务群众" in page
    token = csrf_from(page)
    empty = client.post(f"/study/manage/progress/{progress.id}/review",
                        data={"csrf_token": token, "decision": "return", "comment": "", "back": "/study/manage/x"})
    assert empty.status_code == 302
    assert "请写明" in client.get("/study/").get_data(as_text=True)
    client.post(f"/study/manage/progress/{progress.id}/review",
                data={"csrf_token": token, "decision": "return", "comment": "请补充具体事例。"})
    session.expire_all()
    assert session.get(StudyProgress, progress.id).status == "returned"
    assert rows(session, select(Notification).where(Notification.member_id == world["m1"].id))


def test_task_form_refuses_due_before_open(client, auth, world, session):
    """Does the task form refuse a due date before the opening date, with a message and no task written?"""
    auth.login(world["sec"].phone)
    url = f"/study/manage/units/{world['a'].id}/tasks/new"
    page = client.get(url).get_data(as_text=True)
    before = len(rows(session, select(StudyTask)))
    data = {"csrf_token": csrf_from(page), "title": "日期错误的任务", "kind": "article", "completion": "reading",
            "hours_half": "2", "opens_on": "2026-05-10", "due_on": "2026-05-01", "min_minutes": "10",
            "audience": "unit"}
    response = client.post(url, data=data)
    assert response.status_code == 400 and "截止日期不能早于开始日期" in response.get_data(as_text=True)
    assert len(rows(session, select(StudyTask))) == before
    data["due_on"] = "2026-06-01"
    assert client.post(url, data=data).status_code == 302
    assert len(rows(session, select(StudyTask))) == before + 1


def test_task_for_members_outside_the_subtree_is_404(client, auth, world, session):
    """Does choosing a member of another branch as audience give 404 and write nothing?"""
    auth.login(world["sec"].phone)
    url = f"/study/manage/units/{world['a'].id}/tasks/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    before = len(rows(session, select(StudyTask)))
    response = client.post(url, data={"csrf_token": token, "title": "指定成员", "kind": "article",
                                      "completion": "reading", "hours_half": "2", "opens_on": "2026-05-01",
                                      "due_on": "2026-06-01", "min_minutes": "5", "audience": "members",
                                      "member_ids": [str(world["m1"].id), str(world["mb"].id)]})
    assert response.status_code == 404
    assert len(rows(session, select(StudyTask))) == before


def _new_task_with_file(client, auth, world, content: bytes, name: str):
    auth.login(world["sec"].phone)
    url = f"/study/manage/units/{world['a'].id}/tasks/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, "title": "观看专题片", "kind": "video", "completion": "reading", "hours_half": "2",
        "opens_on": FAR_PAST.isoformat(), "due_on": FAR_FUTURE.isoformat(), "min_minutes": "5", "audience": "unit",
        "file": (io.BytesIO(content), name)})


def test_upload_type_is_checked_by_magic_bytes(client, auth, world, session, uploads):
    """Is a file named .pdf that is not a PDF refused (415) with nothing stored?"""
    response = _new_task_with_file(client, auth, world, b"MZ\x90\x00 this is an exe", "讲话.pdf")
    assert response.status_code == 415 and "PDF" in response.get_data(as_text=True)
    assert rows(session, select(StudyFile)) == []
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_bad_dates_store_no_file(client, auth, world, session, uploads):
    """With a valid PDF but a due date before the opening date, is nothing stored at all?"""
    auth.login(world["sec"].phone)
    url = f"/study/manage/units/{world['a'].id}/tasks/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, "title": "讲话材料", "kind": "article", "completion": "reading", "hours_half": "2",
        "opens_on": "2026-05-10", "due_on": "2026-05-01", "min_minutes": "5", "audience": "unit",
        "file": (io.BytesIO(b"%PDF-1.7\n%%EOF"), "讲话.pdf")})
    assert response.status_code == 400
    assert rows(session, select(StudyFile)) == []
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_oversized_upload_is_refused(client, auth, world, session, uploads):
    """Is a file over the study upload limit refused (413) with a clear message?"""
    response = _new_task_with_file(client, auth, world, b"%PDF-1.7\n" + b"0" * 70 * 1024, "大文件.pdf")
    assert response.status_code == 413 and "文件太大" in response.get_data(as_text=True)
    assert rows(session, select(StudyFile)) == []


def test_uploaded_video_is_served_only_to_its_audience(client, auth, world, session, uploads):
    """Is an uploaded MP4 stored under a random name, served (with ranges) to members, and 404 to others?"""
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000
    assert _new_task_with_file(client, auth, world, mp4, "专题片.mp4").status_code == 302
    row = rows(session, select(StudyFile))[0]
    assert row.mime == "video/mp4" and (uploads / row.token).exists() and row.token not in "专题片.mp4"
    auth.logout()
    auth.login(world["m1"].phone)
    task = rows(session, select(StudyTask).where(StudyTask.file_id == row.id))[0]
    assert '<video class="study-video"' in client.get(f"/study/tasks/{task.id}").get_data(as_text=True)
    response = client.get(f"/study/files/{row.token}", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and response.mimetype == "video/mp4" and len(response.data) == 100
    auth.logout()
    auth.login(world["mb"].phone)
    assert client.get(f"/study/files/{row.token}").status_code == 404


def test_secretary_gets_404_outside_the_subtree(client, auth, world):
    """Does the secretary of branch A get 404 for branch B's unit, task, matrix, CSV, member card?"""
    auth.login(world["sec"].phone)
    b, tb, mb = world["b"].id, world["task_b"].id, world["mb"].id
    for path in [f"/study/manage/units/{b}", f"/study/manage/units/{b}/matrix", f"/study/manage/units/{b}/export.csv",
                 f"/study/manage/units/{b}/reviews", f"/study/manage/units/{b}/tasks/new", f"/study/manage/tasks/{tb}",
                 f"/study/manage/tasks/{tb}/edit", f"/study/manage/tasks/{tb}/questions",
                 f"/study/manage/members/{mb}/card"]:
        assert client.get(path).status_code == 404, path
    token = auth.csrf("/study/")
    for path in [f"/study/manage/tasks/{tb}/remind", f"/study/manage/tasks/{tb}/archive",
                 f"/study/manage/tasks/{tb}/attendance"]:
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_attendance_for_an_outsider_is_404(client, auth, world, session):
    """Does recording attendance with a member of another branch give 404 and credit nobody?"""
    auth.login(world["sec"].phone)
    url = f"/study/manage/tasks/{world['lecture'].id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url + "/attendance", data={"csrf_token": token,
                                                      "member_ids": [str(world["m1"].id), str(world["mb"].id)]})
    assert response.status_code == 404
    assert rows(session, select(StudyProgress)) == []
    ok = client.post(url + "/attendance", data={"csrf_token": token, "member_ids": [str(world["m1"].id)]})
    assert ok.status_code == 302
    assert rows(session, select(StudyProgress))[0].credited_half == 4


def test_matrix_remind_and_csv(client, auth, world, session):
    """Does the secretary see the matrix, remind those behind, and export a CSV with a BOM?"""
    auth.login(world["sec"].phone)
    page = client.get(f"/study/manage/units/{world['a'].id}/matrix").get_data(as_text=True)
    assert "王小红" in page and "陈大明" in page and "乙支部党员" not in page
    url = f"/study/manage/tasks/{world['reading'].id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    assert client.post(url + "/remind", data={"csrf_token": token}).status_code == 302
    assert len(rows(session, select(Notification))) == 3
    csv = client.get(f"/study/manage/units/{world['a'].id}/export.csv")
    assert csv.content_type == "text/csv; charset=utf-8" and csv.data.startswith(b"\xef\xbb\xbf")
    assert csv.headers["Content-Disposition"] == f'attachment; filename="study-hours-{world["a"].id}.csv"'
    assert "王小红" in csv.data.decode("utf-8-sig")


def test_member_sees_notice_and_opens_it(client, auth, world, session):
    """Does a reminded member see the badge at home and on 我的, the message in 消息, and land on the task when opening it?"""
    p = principal(session, world["sec"])
    study.remind_behind(session, p, task_id=world["reading"].id)
    session.info["org_scope"] = "all"
    auth.login(world["m1"].phone)
    home = client.get("/").get_data(as_text=True)
    assert 'class="badge"' in home and "学习党的二十届四中全会精神" in home
    assert "消息" in client.get("/me/").get_data(as_text=True)
    assert client.get("/notices/").headers["Location"].endswith("/inbox/")
    page = client.get("/inbox/").get_data(as_text=True)
    notice = rows(session, select(Notification).where(Notification.member_id == world["m1"].id))[0]
    response = client.post(f"/inbox/{notice.id}/open", data={"csrf_token": csrf_from(page)})
    assert response.headers["Location"].endswith(f"/study/tasks/{world['reading'].id}")
    assert 'class="badge"' not in client.get("/").get_data(as_text=True)
    other = rows(session, select(Notification).where(Notification.member_id == world["m2"].id))[0]
    assert client.post(f"/inbox/{other.id}/open", data={"csrf_token": csrf_from(page)}).status_code == 404


def test_question_editor(client, auth, world, session):
    """Can the secretary add a question from the phone form, and is a question without a right answer refused?"""
    auth.login(world["sec"].phone)
    url = f"/study/manage/tasks/{world['quiz'].id}/questions"
    token = csrf_from(client.get(url).get_data(as_text=True))
    bad = client.post(url, data={"csrf_token": token, "kind": "single", "text": "没有正确答案？",
                                 "option_0": "甲", "option_1": "乙"})
    assert bad.status_code == 400 and "请标出正确选项" in bad.get_data(as_text=True)
    ok = client.post(url, data={"csrf_token": token, "kind": "multiple", "text": "哪些是党员的义务？",
                                "option_0": "认真学习", "correct_0": "y", "option_1": "联系群众", "correct_1": "y",
                                "option_2": "只管自己"})
    assert ok.status_code == 302
    assert "哪些是党员的义务？" in client.get(url).get_data(as_text=True)


def test_edit_task_keeps_progress(client, auth, world, session):
    """After members started, does saving the task form keep their progress and refuse a change of completion?"""
    study.credit_attendance(session, task_id=world["lecture"].id, member_ids=[world["m1"].id], source="t")
    auth.login(world["sec"].phone)
    url = f"/study/manage/tasks/{world['lecture'].id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "书记讲党课" in page
    data = {"csrf_token": csrf_from(page), "title": "书记讲党课（更新）", "kind": "lecture", "completion": "attendance",
            "hours_half": "6", "opens_on": FAR_PAST.isoformat(), "due_on": FAR_FUTURE.isoformat(), "audience": "unit",
            "lecture_place": "社区党群服务中心"}
    assert client.post(url, data=data).status_code == 302
    locked = client.post(url, data={**data, "kind": "article", "completion": "reading", "min_minutes": "5"})
    assert locked.status_code == 400 and "不能再更改" in locked.get_data(as_text=True)
    row = rows(session, select(StudyProgress))[0]
    assert row.status == "completed" and row.credited_half == 4


def test_record_page_and_member_card(client, auth, world, session):
    """Does the record page show the year's breakdown, and the secretary's member card the member's hours?"""
    study.credit_attendance(session, task_id=world["lecture"].id, member_ids=[world["m1"].id], source="t")
    auth.login(world["m1"].phone)
    page = client.get("/study/record").get_data(as_text=True)
    assert "书记讲党课" in page and "+2" in page
    auth.logout()
    auth.login(world["sec"].phone)
    card = client.get(f"/study/manage/members/{world['m1'].id}/card", headers=HX).get_data(as_text=True)
    assert 'data-half="4"' in card
    page = client.get(f"/workspace/members/{world['m1'].id}").get_data(as_text=True)
    assert f'href="/study/manage/members/{world["m1"].id}/card"' in page


def test_failed_database_write_leaves_no_file(client, auth, world, session, uploads, monkeypatch):
    """When the database refuses the file's row after the bytes were saved, is the saved file removed again?"""
    from sqlmodel import Session as SQLModelSession

    real_commit = SQLModelSession.commit

    def failing_commit(self):
        if any(isinstance(obj, StudyFile) for obj in self.new):
            raise RuntimeError("the database went away")
        return real_commit(self)

    monkeypatch.setattr(SQLModelSession, "commit", failing_commit)
    response = _new_task_with_file(client, auth, world, b"%PDF-1.7\n%%EOF", "讲话.pdf")
    monkeypatch.undo()
    assert response.status_code == 500  # the database failing is not the member's input
    assert rows(session, select(StudyFile)) == []
    assert not uploads.exists() or list(uploads.iterdir()) == []
