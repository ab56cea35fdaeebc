"""Study in real Chromium at 390x844, zh-CN: reading until done, the ring moving, a quiz passed on the second try,
the secretary's matrix."""
from contextlib import contextmanager
from datetime import timedelta

import pytest

from models import utcnow
from services import study
from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import PASSWORD
from tests.services.study.helpers import principal, task_data


@pytest.fixture
def live_server(tmp_path):
    """The live server with a 2-second heartbeat, so a reading task finishes in seconds."""
    server = LiveServer(tmp_path, STUDY_HEARTBEAT_SECONDS=2)
    yield server
    server.stop()


@pytest.fixture
def study_world(live_factory, live_session):
    """A branch with a secretary, a member, a 6-second reading task and a two-question quiz."""
    unit = live_factory.branch(name="莲花山社区第一党支部")
    sec = live_factory.secretary(unit, name="李书记")
    member = live_factory.member(unit, name="陈小明")
    live_factory.member(unit, name="王晓红")
    with app_ctx(live_factory.app):
        p = principal(live_session, sec)
        body = ("## 一、深刻领会全会精神\n\n全会强调，要坚持以人民为中心的发展思想，把基层党组织建设成为"
                "宣传党的主张、贯彻党的决定、领导基层治理、团结动员群众、推动改革发展的坚强战斗堡垒。"
                "社区党员要立足岗位、带头示范，在为民服务中践行初心使命。\n\n"
                "## 二、结合社区实际抓落实\n\n- 参加党群服务中心志愿服务\n- 走访困难群众\n- 带头开展垃圾分类宣传")
        reading = study.create_task(live_session, p, unit_id=unit.id, data=task_data(
            title="学习党的二十届四中全会精神", body_md=body, min_seconds=6, hours_half=2))
        quiz = study.create_task(live_session, p, unit_id=unit.id, data=task_data(
            title="全会精神应知应会测试", completion="quiz", pass_mark=100, hours_half=1))
        study.add_question(live_session, p, task_id=quiz.id, kind="single", text="党员每年学习目标是多少学时？",
                           options=["16", "32", "64"], correct=[1])
        study.add_question(live_session, p, task_id=quiz.id, kind="multiple", text="“三会一课”包括哪些？",
                           options=["支部党员大会", "运动会", "党课"], correct=[0, 2])
    live_session.commit()
    return dict(unit=unit, sec=sec, member=member, reading=reading, quiz=quiz)


@contextmanager
def app_ctx(app):
    """Service calls inside the live app's context (its heartbeat interval, time zone, translations)."""
    with app.test_request_context():
        yield


def _ring_half(page) -> int:
    return int(page.locator("svg.ring").first.get_attribute("data-half"))


def test_reading_task_completes_and_ring_moves(live_server, study_world, page, shot):
    """Does a member who keeps a reading task open see it complete, pause while hidden, and the ring move?"""
    sign_in(page, live_server.url, study_world["member"].phone, PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="学习").click()
    page.wait_for_load_state("networkidle")
    assert _ring_half(page) == 0
    shot(page, "board-before")
    beats: list[str] = []
    page.on("request", lambda r: beats.append(r.url) if r.url.endswith("/beat") else None)
    page.get_by_role("link", name="学习党的二十届四中全会精神").click()
    page.wait_for_selector("#reading_status progress")
    shot(page, "task-reading")
    for _ in range(50):  # poll from Python: the page's CSP forbids evaluating strings
        if int(page.locator("#reading_status progress").get_attribute("value") or 0) >= 2:
            break
        page.wait_for_timeout(200)
    assert int(page.locator("#reading_status progress").get_attribute("value")) >= 2
    # hide the page: the beats stop
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    before_hidden = len(beats)
    page.wait_for_timeout(4500)
    assert len(beats) == before_hidden
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_selector('#reading_status[data-state="completed"]', timeout=20000)
    assert page.get_by_text("已计入 1 学时").is_visible()
    shot(page, "task-completed", full_page=True)
    page.get_by_role("link", name="查看我的学时").click()
    page.wait_for_load_state("networkidle")
    assert _ring_half(page) == 2
    assert page.locator("svg.ring circle.ring-fill").get_attribute("stroke-dasharray").split()[0] != "0"
    shot(page, "board-after")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页").click()
    page.wait_for_load_state("networkidle")
    assert _ring_half(page) == 2
    shot(page, "home")
    assert page.console_errors == []


def _answer(page, single: str, multiple: list[str]):
    page.get_by_role("radio", name=single, exact=True).check()
    for option in multiple:
        page.get_by_role("checkbox", name=option, exact=True).check()
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_load_state("networkidle")


def test_quiz_passed_after_one_failed_attempt(live_server, study_world, page, shot):
    """Does a member fail the quiz, see the right answers, try again with reshuffled questions and pass?"""
    sign_in(page, live_server.url, study_world["member"].phone, PASSWORD)
    page.goto(live_server.url + f"/study/tasks/{study_world['quiz'].id}")
    page.get_by_role("button", name="开始测试").click()
    page.wait_for_load_state("networkidle")
    shot(page, "quiz", full_page=True)
    _answer(page, "16", ["运动会"])
    assert page.get_by_text("未通过。").is_visible()
    shot(page, "quiz-failed", full_page=True)
    page.get_by_role("button", name="重试").first.click()
    page.wait_for_load_state("networkidle")
    _answer(page, "32", ["支部党员大会", "党课"])
    assert page.get_by_text("通过了！").is_visible()
    assert page.get_by_text("100 分").is_visible()
    shot(page, "quiz-passed")
    page.get_by_role("link", name="查看我的学时").click()
    page.wait_for_load_state("networkidle")
    assert _ring_half(page) == 1
    assert page.console_errors == []


def test_secretary_sees_the_matrix(live_server, study_world, live_session, page, shot):
    """Does the secretary reach the members × tasks matrix from the branch workspace and see each member?"""
    member = principal(live_session, study_world["member"])
    with app_ctx(live_server.app):
        for back in (6, 4, 2, 0):  # four beats two seconds apart: the 6-second task is done
            study.beat(live_session, member, task_id=study_world["reading"].id, now=utcnow() - timedelta(seconds=back))
    live_session.commit()
    sign_in(page, live_server.url, study_world["sec"].phone, PASSWORD)
    page.get_by_role("link", name="莲花山社区第一党支部").first.click()
    page.wait_for_load_state("networkidle")
    shot(page, "unit-card")
    page.get_by_role("link", name="学习情况总览").click()
    page.wait_for_load_state("networkidle")
    table = page.get_by_role("table")
    assert table.is_visible()
    for name in ("陈小明", "王晓红", "李书记"):
        assert page.get_by_role("row", name=name).first.is_visible()
    assert page.locator("td.m-completed").count() == 1
    shot(page, "matrix", full_page=True)
    assert page.console_errors == []

