"""Meetings in real Chromium at 390x844, zh-CN: the secretary schedules a 支部党员大会, a member asks for leave
with a reason, the secretary approves, a second member scans the meeting's code with a fake camera and shows as
present, the secretary locks the minutes."""
import time as _time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from models import Meeting, MeetingInvite, MeetingMinutes
from models.db import ALL_ORGS
from services import meetings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, phone_context, sign_in
from tests.browser.y4m import write_qr_video
from tests.conftest import PASSWORD, Factory


@pytest.fixture
def slow_server(tmp_path):
    """The code turns every 30 s (a busy machine may take longer than 15 s to start a camera and decode)."""
    server = LiveServer(tmp_path, CHECKIN_STEP_SECONDS=30)
    yield server
    server.stop()


def _db(server) -> Session:
    s = Session(server.engine, expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


@pytest.fixture
def world(slow_server):
    with _db(slow_server) as s:
        f = Factory(slow_server.app, s)
        top = f.committee("莲花街道党工委")
        unit = f.branch(name="莲花北社区第一党支部", parent=top)
        f.group(unit, name="第一党小组")
        sec = f.secretary(unit, name="李书记")
        f.member(unit, name="王委员", roles=[("committee", unit)])
        leave = f.member(unit, name="陈小明")
        scanner = f.member(unit, name="张晓红")
        for i, name in enumerate(["刘建国", "黄海燕", "周志强"]):
            f.member(unit, name=name)
        return {"unit": unit, "sec": sec, "leave": leave, "scanner": scanner}


@pytest.fixture
def camera_browser(browser, tmp_path):
    """A second Chromium whose camera plays a video of the given text."""
    launched = []

    def launch(text: str):
        video = write_qr_video(tmp_path / "camera.y4m", text)
        instance = browser.browser_type.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  f"--use-file-for-fake-video-capture={video}"])
        launched.append(instance)
        return instance

    yield launch
    for instance in launched:
        instance.close()


def _start_time():
    """A start 20 minutes from now (Shanghai), with an end the same day."""
    tz = meetings.tz()
    start = (datetime.now(timezone.utc) + timedelta(minutes=20)).astimezone(tz).replace(second=0, microsecond=0)
    end = min(start + timedelta(hours=1), start.replace(hour=23, minute=59))
    if end <= start:
        pytest.skip("too close to midnight in Shanghai for a same-day meeting")
    return start, end


@pytest.mark.flaky(reruns=2, reruns_delay=2)
def test_schedule_leave_scan_and_lock(slow_server, world, browser, camera_browser, shot):
    """The whole meeting: schedule, 请假 with a reason, approval, a scan by fake camera, locked minutes."""
    base = slow_server.url
    start, end = _start_time()

    # the secretary schedules a 支部党员大会 from the 会议 tab
    sec_ctx = phone_context(browser)
    sec = sec_ctx.new_page()
    errors = []
    sec.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(sec, base, world["sec"].phone, PASSWORD)
    sec.get_by_role("link", name="会议").first.click()
    sec.get_by_role("link", name=world["unit"].name).click()
    shot(sec, "1-branch-meetings")
    sec.get_by_role("link", name="安排会议").first.click()
    sec.get_by_label("会议类型").select_option("branch_assembly")
    sec.get_by_label("标题").fill("第四季度支部党员大会")
    sec.get_by_label("日期").fill(start.date().isoformat())
    sec.get_by_label("开始时间").fill(start.strftime("%H:%M"))
    sec.get_by_label("结束时间").fill(end.strftime("%H:%M"))
    sec.get_by_label("会议室或地址").fill("社区党群服务中心二楼会议室")
    sec.get_by_label("议程").fill("1. 传达学习上级会议精神\n2. 讨论年度工作总结")
    shot(sec, "2-schedule-form", full_page=True)
    sec.get_by_role("button", name="安排并通知").click()
    sec.wait_for_load_state("networkidle")
    assert sec.get_by_text("会议已安排").is_visible()
    shot(sec, "3-meeting-page")
    with _db(slow_server) as s:
        m = s.exec(select(Meeting)).one()
    assert meetings.local(m.starts_at).strftime("%H:%M") == start.strftime("%H:%M")

    # a member asks for leave with a reason, from the home card
    leave_ctx = phone_context(browser)
    member = leave_ctx.new_page()
    sign_in(member, base, world["leave"].phone, PASSWORD)
    assert member.get_by_text("第四季度支部党员大会").first.is_visible()
    shot(member, "4-home-card")
    member.get_by_role("link", name="请假").first.click()
    member.get_by_label("请假事由").fill("到外地出差，无法参加")
    member.get_by_role("button", name="提交请假").click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_text("请假申请已提交").is_visible()
    shot(member, "5-leave-sent")

    # the secretary approves it on the board
    sec.get_by_role("link", name="回复与请假审批").click()
    assert sec.get_by_text("到外地出差，无法参加").is_visible()
    shot(sec, "6-board")
    sec.get_by_role("button", name="审核通过").click()
    sec.wait_for_load_state("networkidle")
    assert sec.get_by_text("已批准请假").first.is_visible()
    member.reload()
    assert member.get_by_text("请假已批准").first.is_visible()

    # the attendance screen shows the code; a second member scans it with the app's scanner
    sec.goto(f"{base}/meetings/{m.id}/attendance")
    url = sec.locator("#meeting_code").get_attribute("data-url")
    assert "/meetings/c/g." in url
    shot(sec, "7-attendance-code")
    cam = phone_context(camera_browser(url))
    cam.grant_permissions(["camera"], origin=base)
    phone = cam.new_page()
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, base, world["scanner"].phone, PASSWORD)
    phone.goto(f"{base}/meetings/{m.id}")
    shot(phone, "8-member-meeting-page")
    phone.get_by_role("button", name="扫码签到").click()
    try:
        phone.wait_for_function("() => document.body.innerText.includes('签到成功')", timeout=40000)
    except Exception:
        shot(phone, "scan-failed")
        raise AssertionError(f"no sign-in: at {phone.url}: {phone.locator('[data-scan-status]').all_inner_texts()}")
    shot(phone, "9-signed-in")
    with _db(slow_server) as s:
        row = s.exec(select(MeetingInvite).where(MeetingInvite.meeting_id == m.id,
                                                 MeetingInvite.member_id == world["scanner"].id)).one()
    assert row.attendance == "present" and row.mark_method == "qr"
    sec.goto(f"{base}/meetings/{m.id}/attendance")
    assert sec.locator("#roll_list").get_by_text("张晓红").is_visible()
    shot(sec, "10-roll", full_page=True)

    # time passes: the meeting is over; the secretary writes and locks the minutes
    with _db(slow_server) as s:
        row = s.get(Meeting, m.id)
        row.starts_at, row.ends_at = row.starts_at - timedelta(hours=3), row.ends_at - timedelta(hours=3)
        s.add(row)
        s.commit()
    sec.goto(f"{base}/meetings/{m.id}/minutes")
    sec.get_by_label("主持人").select_option(label="李书记")
    sec.get_by_label("记录人").select_option(label="王委员")
    sec.get_by_label("议题").fill("1. 传达学习上级会议精神\n2. 讨论年度工作总结")
    sec.get_by_label("讨论情况（Markdown：## 标题，**加粗**，- 列表）").fill("大家结合社区工作**逐一发言**。")
    sec.get_by_role("button", name="保存会议记录").click()
    sec.wait_for_load_state("networkidle")
    sec.get_by_role("button", name="锁定会议记录").click()
    sec.wait_for_load_state("networkidle")
    assert sec.get_by_text("会议记录已锁定").first.is_visible()
    assert sec.get_by_text("未达到法定人数").first.is_visible()  # 1 of 7 with a vote present
    shot(sec, "11-minutes-locked", full_page=True)
    with _db(slow_server) as s:
        assert s.exec(select(MeetingMinutes)).one().locked_at is not None
    assert errors == []
    for c in (sec_ctx, leave_ctx, cam):
        c.close()
    _time.sleep(0)
