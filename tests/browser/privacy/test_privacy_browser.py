"""Data rights in real Chromium at 390x844, zh-CN: a member downloads their data, withdraws the location consent
(the map still works), asks for their account to be deleted and cancels; the secretary reads the audit trail."""
import io
import json
import zipfile

import pytest
from sqlmodel import Session

from models import LocationConsent
from models.db import ALL_ORGS
from tests.browser.conftest import LiveServer, phone_context, sign_in
from tests.conftest import PASSWORD, Factory


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path, PRIVACY_EXPORT_DIR=str(tmp_path / "exports"), UPLOAD_DIR=str(tmp_path / "uploads"))
    yield live
    live.stop()


@pytest.fixture
def world(server):
    with Session(server.engine, expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        f = Factory(server.app, s)
        unit = f.branch(name="莲花北社区第一党支部", parent=f.committee("莲花街道党工委"))
        sec = f.secretary(unit, name="李书记")
        member = f.member(unit, name="张三")
        f.station(name="莲花北社区党群服务中心")
        s.add(LocationConsent(member_id=member.id))
        s.commit()
        return {"sec": sec.phone, "member": member.phone}


def test_member_uses_each_right_and_secretary_reads_the_trail(server, world, page, shot, browser):
    """Download, withdraw location, ask for deletion and cancel it; then the secretary sees each step in the trail."""
    base = server.url
    sign_in(page, base, world["member"], PASSWORD)
    page.goto(base + "/me/")
    page.get_by_role("link", name="个人信息与隐私").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="下载我的个人信息").is_visible()
    shot(page, "hub")

    # download everything held
    page.get_by_role("button", name="生成下载文件").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("你的个人信息副本已准备好").is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载", exact=True).first.click()
    download = info.value
    data = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    doc = json.loads(data.read("data.json"))
    assert doc["tables"]["member"]["rows"][0]["name"] == "张三"
    assert "csv/member.csv" in data.namelist()
    shot(page, "downloaded")

    # withdraw the location consent: the map still works, by district
    page.locator("button[data-consent=location]").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("位置使用已关闭").is_visible() or page.get_by_text("已关闭").first.is_visible()
    page.locator("#consents").scroll_into_view_if_needed()
    shot(page, "consent-withdrawn")
    page.goto(base + "/stations/")
    assert page.get_by_text("莲花北社区党群服务中心").first.is_visible() or page.locator("main").is_visible()
    page.goto(base + "/")
    assert page.locator("main").is_visible()

    # ask for deletion, then cancel
    page.goto(base + "/me/privacy#delete")
    page.get_by_role("button", name="申请注销（7 天后生效）").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".field-error").get_by_text("请勾选确认").is_visible()  # nothing happens without the tick
    page.console_errors.clear()  # that refusal was a 400, as it should be
    page.get_by_label("我已了解").check()
    page.get_by_role("button", name="申请注销（7 天后生效）").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="撤销注销申请").is_visible()
    assert page.locator(".privacy-banner").is_visible()
    page.locator("#delete").scroll_into_view_if_needed()
    shot(page, "deletion-requested")
    page.get_by_role("button", name="撤销注销申请").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已撤销注销申请").is_visible()
    assert page.locator(".privacy-banner").count() == 0
    shot(page, "deletion-cancelled")
    page.goto(base + "/privacy")
    assert page.get_by_role("heading", name="保存多久").is_visible()
    shot(page, "policy", full_page=True)
    assert not page.console_errors, page.console_errors

    # the secretary reads the trail of the branch, filtered to the member
    ctx = phone_context(browser)
    sec_page = ctx.new_page()
    sign_in(sec_page, base, world["sec"], PASSWORD)
    sec_page.goto(base + "/workspace/")
    sec_page.get_by_role("link", name="留痕记录").click()
    sec_page.wait_for_load_state("networkidle")
    for words in ("申请下载个人信息", "撤回授权", "申请注销账号", "撤销注销申请"):
        assert sec_page.locator(".trail-list").get_by_text(words).first.is_visible(), words
    shot(sec_page, "trail")
    sec_page.locator("#f-action").select_option("privacy.consent")
    sec_page.get_by_role("button", name="筛选").click()
    sec_page.wait_for_load_state("networkidle")
    assert sec_page.locator(".trail-row").count() == 1
    sec_page.goto(base + "/audit/?since=2026-99-01")
    assert sec_page.get_by_text("日期格式不对").is_visible()
    shot(sec_page, "trail-bad-filter")
    ctx.close()
