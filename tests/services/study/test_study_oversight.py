"""Study tasks: scoping, the matrix, reminders, export, and content (markdown, file types, notices)."""
from datetime import datetime, timedelta, timezone

import pytest

from services import notify, study
from services.errors import NotFound
from tests.services.study.helpers import as_, make_task, principal, task_data

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


# -- scoping -------------------------------------------------------------------------------------

def test_secretary_sees_only_own_subtree(ctx, session, factory, branch):
    """Does a secretary of branch A get NotFound for B's tasks, matrix, CSV and members?"""
    b = factory.branch(name="乙支部")
    sec_b = principal(session, factory.secretary(b))
    task_b = make_task(session, sec_b, b)
    sec_a = principal(session, branch["sec"])
    for call in (lambda: study.get_task_led(session, sec_a, task_b.id),
                 lambda: study.task_overview(session, sec_a, task_id=task_b.id),
                 lambda: study.matrix(session, sec_a, unit_id=b.id),
                 lambda: study.export_csv(session, sec_a, unit_id=b.id),
                 lambda: study.remind_behind(session, sec_a, task_id=task_b.id),
                 lambda: study.create_task(session, sec_a, unit_id=b.id, data=task_data())):
        with pytest.raises(NotFound):
            call()
    member_b = factory.member(b)
    as_(session, sec_a)
    with pytest.raises(NotFound):
        study.create_task(session, sec_a, unit_id=branch["unit"].id,
                          data=task_data(audience="members", member_ids=[branch["m1"].id, member_b.id]))


def test_member_sees_tasks_of_units_above_but_not_beside(ctx, session, factory):
    """Does a member see their committee's task and their branch's, but not a sibling branch's?"""
    top = factory.committee("街道党工委")
    a, b = factory.branch(parent=top), factory.branch(parent=top)
    top_sec = principal(session, factory.member(a, name="党工委书记", roles=[("secretary", top)]))
    t_top = make_task(session, top_sec, top, title="全体党员学习")
    t_b = make_task(session, principal(session, factory.secretary(b)), b, title="乙支部自学")
    m = factory.member(a)
    p = principal(session, m)
    titles = [i.task.title for i in study.member_tasks(session, p)]
    assert titles == ["全体党员学习"]
    with pytest.raises(NotFound):
        study.get_member_task(session, p, t_b.id)
    assert study.get_member_task(session, p, t_top.id).status == "not_started"


def test_chosen_members_only(ctx, session, branch):
    """Is a task for chosen members invisible to the others?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], audience="members", member_ids=[branch["m1"].id])
    assert study.get_member_task(session, principal(session, branch["m1"]), task.id)
    with pytest.raises(NotFound):
        study.get_member_task(session, principal(session, branch["m2"]), task.id)


def test_task_not_open_yet_is_hidden(ctx, session, branch):
    """Is a task that opens tomorrow hidden from members?"""
    sec = principal(session, branch["sec"])
    tomorrow = study.local_today() + timedelta(days=1)
    task = make_task(session, sec, branch["unit"], opens_on=tomorrow, due_on=tomorrow + timedelta(days=7))
    with pytest.raises(NotFound):
        study.get_member_task(session, principal(session, branch["m1"]), task.id)


# -- the matrix, reminders, export ---------------------------------------------------------------

def test_matrix_statuses_and_group_tasks(ctx, session, factory, branch):
    """Does the matrix show each member's status, and "na" for a group's task to members outside the group?"""
    unit = branch["unit"]
    group = factory.group(unit, name="第一党小组")
    in_group = factory.member(unit, name="组员", group=group)
    sec = principal(session, branch["sec"])
    reading = make_task(session, sec, unit, title="阅读")
    group_task = make_task(session, sec, group, title="小组学习", kind="lecture", completion="attendance")
    study.credit_attendance(session, task_id=group_task.id, member_ids=[in_group.id], source="t", now=T0)
    p1 = principal(session, branch["m1"])
    study.beat(session, p1, task_id=reading.id, now=T0)
    as_(session, sec)
    mx = study.matrix(session, sec, unit_id=unit.id, year=2026)
    assert [t.title for t in mx.tasks] == ["阅读", "小组学习"]
    cells = {m.name: c for m, c, _tot, _tgt in mx.rows}
    assert cells["王一"] == ["in_progress", "na"]
    assert cells["组员"] == ["not_started", "completed"]
    assert cells["李书记"] == ["not_started", "na"]
    totals = {m.name: (tot, tgt) for m, _c, tot, tgt in mx.rows}
    assert totals["组员"] == (2, 64) and totals["李书记"] == (0, 112)
    assert mx.done_per_task == [0, 1]


def test_remind_behind_sends_one_notice_per_day(ctx, session, branch):
    """Do members behind get one in-app notice, and does a second reminder the same day add none?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance")
    study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id], source="t", now=T0)
    as_(session, sec)
    assert study.remind_behind(session, sec, task_id=task.id, now=T0) == 2  # m2 and the secretary
    assert study.remind_behind(session, sec, task_id=task.id, now=T0 + timedelta(hours=1)) == 0
    assert notify.unread_count(session, member_id=branch["m2"].id) == 1
    assert notify.unread_count(session, member_id=branch["m1"].id) == 0
    assert study.remind_behind(session, sec, task_id=task.id, now=T0 + timedelta(days=1)) == 2


def test_csv_export_has_bom_and_years(ctx, session, branch):
    """Is the CSV UTF-8 with a BOM, one line per member and year, with Chinese headers?"""
    sec = principal(session, branch["sec"])
    task = make_task(session, sec, branch["unit"], kind="lecture", completion="attendance", hours_half=3)
    study.credit_attendance(session, task_id=task.id, member_ids=[branch["m1"].id], source="t",
                            now=datetime(2025, 6, 1, tzinfo=timezone.utc))
    as_(session, sec)
    data = study.export_csv(session, sec, unit_id=branch["unit"].id, now=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("支部,姓名,手机号,年度,学时")
    assert any(line.startswith("莲花支部,王一,") and ",2025,1.5,32," in line for line in lines)
    assert any(",2026,0,32,否" in line for line in lines)


# -- content -------------------------------------------------------------------------------------

def test_markdown_is_sanitised():
    """Does rendered Markdown drop raw HTML, scripts and javascript: links but keep headings and images?"""
    html = study.render_markdown("## 要点\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(1)) "
                                 "![图](/static/icons/icon.svg)\n\n<img src=x onerror=alert(1)>")
    assert "<h2>要点</h2>" in html and "<script" not in html and 'href="javascript' not in html
    assert '<img src="/static/icons/icon.svg" alt="图">' in html and "<img src=x" not in html


def test_file_types_come_from_magic_bytes():
    """Are PDF, MP4, WebM, PNG and JPEG recognised by their first bytes, and anything else refused?"""
    assert study.sniff(b"%PDF-1.7\n")[0] == "application/pdf"
    assert study.sniff(b"\x00\x00\x00\x18ftypmp42")[0] == "video/mp4"
    assert study.sniff(b"\x1a\x45\xdf\xa3\x9f")[0] == "video/webm"
    assert study.sniff(b"\x89PNG\r\n\x1a\n")[0] == "image/png"
    assert study.sniff(b"\xff\xd8\xff\xe0")[0] == "image/jpeg"
    assert study.sniff(b"MZ\x90\x00 not a pdf") is None
    assert study.sniff(b"<html><script>") is None


def test_notices_are_idempotent_by_key(ctx, session, branch):
    """Does sending the same keyed notice twice give each member one, and can only the owner mark it read?"""
    ids = [branch["m1"].id, branch["m2"].id]
    message = notify.Message("提醒")
    assert notify.send(session, member_ids=ids, purpose=notify.STUDY_DUE, key="k1", message=message) == 2
    assert notify.send(session, member_ids=ids, purpose=notify.STUDY_DUE, key="k1", message=message) == 0
    mine = notify.for_member(session, member_id=branch["m1"].id)
    with pytest.raises(NotFound):
        notify.mark_read(session, member_id=branch["m2"].id, notification_id=mine[0].id)
    notify.mark_read(session, member_id=branch["m1"].id, notification_id=mine[0].id)
    assert notify.unread_count(session, member_id=branch["m1"].id) == 0
    assert notify.mark_all_read(session, member_id=branch["m2"].id) == 1
