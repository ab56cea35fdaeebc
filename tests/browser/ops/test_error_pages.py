"""The 500 page on a phone: the member's language, the request id to quote, the way back home."""
import re


def test_500_page_shows_the_error_reference(page, live_server, shot):
    """Does an unexpected error show 500, a Chinese message and the request id (as in the response header)?"""
    def boom():
        raise RuntimeError("unexpected")

    live_server.app.add_url_rule("/_test/boom", view_func=boom)
    response = page.goto(live_server.url + "/_test/boom")
    assert response.status == 500
    request_id = response.headers["x-request-id"]
    text = page.locator("main").inner_text()
    assert "出错了" in text or "抱歉" in page.locator("h1").inner_text()
    assert f"错误编号：{request_id}" in text and "反馈问题时请提供此编号" in text
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    box = page.locator(".error-card").bounding_box()
    assert box["width"] <= 390
    page.console_errors.clear()  # the 500 itself is reported by the browser
    shot(page, "500")
