"""The workspace in real Chromium at 390x844, zh-CN: the secretary opens the dashboard, follows a figure to its
records, filters the members and imports an XLSX; a member submits the yearly evaluation."""
import io
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from models import Attendance
from services.workspace.common import local_now
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.services.workspace.helpers import held, invite, service, study_hours

DOCS = Path(__file__).resolve().parent.parent.parent.parent / "docs" / "screenshots"


def _world(f, s):
    top = f.committee("莲花街道党工委")
    unit = f.branch(name="莲花北社区第一党支部", parent=top)
    g1, g2 = f.group(unit, name="第一党小组"), f.group(unit, name="第二党小组")
    sec = f.secretary(unit, name="李书记")
    names = ["王委员", "陈小明", "张晓红", "刘建国", "黄海燕", "周志强", "吴敏", "郑丽", "孙伟", "马琳"]
    people = [f.member(unit, name=n, group=g1 if i % 2 else g2) for i, n in enumerate(names)]
    station = f.station()
    today = local_now().date()
    for i, m in enumerate(people[:7]):
        service(s, m, station, today - timedelta(days=5 + 10 * i), 60 * (1 + 3 * i))
        study_hours(s, m, 8 * i)
    study_hours(s, sec, 120)
    for k in range(6):
        day = today - timedelta(days=12 + 14 * k)
        m = held(s, unit, ["committee", "theme_day", "branch_assembly"][k % 3], day)
        for i, person in enumerate([sec] + people):
            invite(s, m, person, Attendance.present if (i + k) % 4 else None)
    s.commit()
    return {"unit": unit, "sec": sec, "people": people}


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "党小组", "党员类别", "入党日期"])
    sheet.append(["赵新党", "13700000001", "第一党小组", "正式党员", date(2015, 7, 1)])
    sheet.append(["钱预备", "13700000002", "第二党小组", "预备党员", date(2025, 6, 30)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _save(page, name, full_page=True):
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=full_page)


def test_secretary_dashboard_figure_filters_and_import(live_server, live_factory, live_session, page, tmp_path):
    """Does the secretary reach the dashboard from home, follow the 90-day figure to those members, filter by
    study, and import an XLSX with its one-time passwords shown?"""
    w = _world(live_factory, live_session)
    base = live_server.url
    sign_in(page, base, w["sec"].phone, PASSWORD)
    page.get_by_role("link", name="进入支部工作台").click()
    page.wait_for_load_state("networkidle")
    assert "/workspace/" in page.url
    assert page.locator("#compliance svg").count() == 1 and page.locator("#attendance svg").count() == 1
    assert page.locator("#service table").count() == 1  # the numbers for screen readers
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing overflows the phone
    _save(page, "workspace-dashboard")
    page.locator("#service").get_by_role("link", name="90 天未参加服务").click()
    page.wait_for_load_state("networkidle")
    assert "idle=1" in page.url
    listed = page.locator("#member_results .list-link").all_inner_texts()
    assert any("孙伟" in t for t in listed) and not any("陈小明" in t for t in listed)
    page.get_by_role("link", name="清除").click()
    page.get_by_label("学习进度落后").check()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert "behind=1" in page.url
    behind = page.locator("#member_results .list-link").all_inner_texts()
    assert behind and not any("李书记" in t for t in behind)
    _save(page, "workspace-members")
    page.get_by_role("link", name="导入", exact=True).click()
    file = tmp_path / "名单.xlsx"
    file.write_bytes(_xlsx())
    page.locator("input[type=file]").set_input_files(str(file))
    page.get_by_role("button", name="导入").click()
    page.wait_for_load_state("networkidle")
    assert "新增 2 人" in page.locator("#import-result").inner_text()
    assert page.locator("#import-result code").count() == 2
    _save(page, "workspace-import")
    assert not page.console_errors


def test_member_submits_the_yearly_evaluation(live_server, live_factory, live_session, page):
    """Does a member find the evaluation under 我的, answer every question once, and see it cannot be repeated?"""
    w = _world(live_factory, live_session)
    sign_in(page, live_server.url, w["people"][2].phone, PASSWORD)
    page.goto(live_server.url + "/me/")
    page.get_by_role("link", name="支部民主测评").click()
    page.wait_for_load_state("networkidle")
    for legend in page.locator("fieldset legend").all():
        assert legend.is_visible()
    labels = ["好", "较好", "好", "一般"]
    for fieldset, label in zip(page.locator("fieldset.ws-question").all(), labels):
        fieldset.get_by_label(label, exact=True).check()
    _save(page, "workspace-evaluation")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state("networkidle")
    assert "已匿名记录" in page.content()
    assert page.locator("form.ws-evaluation").count() == 0
    _save(page, "workspace-evaluation-done", full_page=False)
    assert not page.console_errors


def test_committee_rating_and_print(live_server, live_factory, live_session, page):
    """Does the committee's rating page show the branch with its grade, and the print page its table?"""
    w = _world(live_factory, live_session)
    boss = live_factory.member(w["unit"], name="街道书记", roles=[("secretary", live_session.get(
        type(w["unit"]), w["unit"].parent_id))])
    sign_in(page, live_server.url, boss.phone, PASSWORD)
    page.goto(live_server.url + "/workspace/")
    _save(page, "workspace-committee")
    page.get_by_role("link", name="评定").click()
    page.wait_for_load_state("networkidle")
    assert "莲花北社区第一党支部" in page.content() and "暂定" in page.content()
    _save(page, "workspace-rating")
    assert not page.console_errors
