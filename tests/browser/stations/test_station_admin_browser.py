"""Station management in real Chromium at 390x844, zh-CN: an admin switches the mode and adds a staff member."""
from playwright.sync_api import expect
from sqlmodel import select

from models import Role, RoleName, Station
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

_SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, summary')]
    .filter(el => el.offsetParent !== null && !el.classList.contains('skip-link'))
    .filter(el => !(el.tagName === 'A' && el.closest('p')))  /* links inside a sentence */
    .map(el => (el.type === 'radio' || el.type === 'checkbox') ? el.closest('label') : el)  /* the label is the target */
    .filter(el => el.getBoundingClientRect().height < 44)
    .map(el => el.outerHTML.slice(0, 80))"""


def test_admin_switches_to_geofence_and_adds_staff(live_server, live_factory, live_session, page, shot):
    """Does an admin reach the page from the station, switch to 扫码 + 定位, add a member by phone and see them listed?"""
    branch = live_factory.branch(name="莲花北社区党支部")
    station = live_factory.station(name="莲花北社区党群服务中心")
    admin = live_factory.member(branch, name="管理员", roles=["admin"])
    live_factory.member(branch, name="王志愿", phone="13912345678")
    sid = station.id

    sign_in(page, live_server.url, admin.phone, PASSWORD)
    page.goto(f"{live_server.url}/stations/{sid}")
    page.get_by_role("link", name="管理站点").click()
    expect(page.get_by_role("heading", name="站点管理")).to_be_visible()
    expect(page.get_by_role("radio", name="扫签到屏动态码")).to_be_checked()

    page.get_by_text("扫码 + 定位", exact=True).click()  # the whole label row is the target
    page.get_by_label("签到范围半径（米）").fill("200")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").filter(has_text="签到设置已保存")).to_be_visible()
    expect(page.get_by_role("radio", name="扫码 + 定位")).to_be_checked()

    page.get_by_label("手机号").fill("13700000000")  # nobody has it: the message sits by the form, the number kept
    page.get_by_role("button", name="添加为工作人员").click()
    expect(page.get_by_role("alert")).to_contain_text("没有手机号为 13700000000 的党员")
    expect(page.get_by_label("手机号")).to_have_value("13700000000")
    assert page.get_by_role("alert").is_visible() and page.evaluate("window.scrollY") > 0
    shot(page, "no-member")
    page.get_by_label("手机号").fill("139 1234 5678")
    page.get_by_role("button", name="添加为工作人员").click()
    expect(page.get_by_role("status").filter(has_text="王志愿已成为本站点工作人员")).to_be_visible()
    row = page.locator(".staff-list li").filter(has_text="王志愿")
    expect(row).to_contain_text("139****5678")
    expect(row).to_contain_text("莲花北社区党支部")
    expect(row.get_by_role("button", name="将王志愿移出工作人员")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(_SMALL_TARGETS) == []
    shot(page, "staff-added")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "manage", full_page=True)

    live_session.expire_all()
    saved = live_session.get(Station, sid)
    assert (saved.checkin_mode, saved.geofence_radius_m) == ("geofence", 200)
    assert live_session.exec(select(Role).where(Role.role == RoleName.station_staff,
                                                Role.station_id == sid)).one() is not None
    live_session.rollback()

    # removing asks first (a dismissed question posts nothing), then takes them off the list
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="将王志愿移出工作人员").click()
    expect(row).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="将王志愿移出工作人员").click()
    expect(page.get_by_role("status").filter(has_text="王志愿已不再是本站点工作人员")).to_be_visible()
    expect(page.locator(".staff-list")).to_contain_text("暂无工作人员")

    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert [e for e in page.console_errors if "status of 400" not in e] == []  # the refused number's 400
