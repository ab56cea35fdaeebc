"""Sign-in, sign-out and the protections around them, through the test client."""
import pytest

from tests.conftest import PASSWORD, csrf_from

PROTECTED = ["/", "/me/", "/branch/", "/password", "/branch/units/1", "/branch/members/1"]


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_pages_redirect_to_sign_in(client, path):
    """Does every protected page send a signed-out visitor to the sign-in page, keeping the way back?"""
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_request_signed_out_gets_hx_redirect(client):
    """Does an htmx request from an expired session get a 401 with HX-Redirect, not a login page in a fragment?"""
    response = client.get("/branch/units/1", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_sign_in_and_home(client, auth, factory):
    """Can a member sign in and see their name on the home page?"""
    m = factory.member(name="赵六")
    response = auth.login(m.phone)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "赵六" in page


def test_sign_in_returns_to_next_but_never_offsite(client, auth, factory):
    """Does sign-in go back to `next` for a local path, and home for another site?"""
    m = factory.member()
    assert auth.login(m.phone, next_url="/me/").headers["Location"] == "/me/"
    auth.logout()
    assert auth.login(m.phone, next_url="//evil.example/x").headers["Location"] == "/"


@pytest.mark.parametrize("phone,password,status,text", [
    ("13900000001", "wrong-password", 401, "Wrong phone number or password."),
    ("13999999999", PASSWORD, 401, "Wrong phone number or password."),
    ("12345", PASSWORD, 400, "Enter an 11-digit mainland mobile number"),
    ("", "", 400, "Enter your mobile number."),
    ("13900000001", "p" * 200, 400, "The password is too long."),
    ("1" * 500, PASSWORD, 400, "Field cannot be longer than 20 characters."),
])
def test_bad_sign_in_gets_a_clear_message(client, auth, factory, phone, password, status, text):
    """Does each kind of bad sign-in get its 4xx and a message, never a 500?"""
    factory.member(phone="13900000001")
    client.post("/language", data={"lang": "en", "csrf_token": auth.csrf()})
    response = auth.login(phone, password)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_wrong_password_message_in_chinese(client, auth, factory):
    """Is the default message Simplified Chinese?"""
    factory.member(phone="13900000001")
    response = auth.login("13900000001", "wrong-password")
    assert "手机号或密码错误" in response.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, factory):
    """Is a POST without a CSRF token refused with a 400 and a message?"""
    m = factory.member()
    response = client.post("/login", data={"phone": m.phone, "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_stale_csrf_token_after_sign_out_is_refused(client, auth, factory):
    """Is a token from before sign-out useless afterwards?"""
    m = factory.member()
    auth.login(m.phone)
    old = auth.csrf("/me/")
    auth.logout()
    response = client.post("/logout", data={"csrf_token": old})
    assert response.status_code == 400


def test_logout_kills_the_session_on_the_server(app, client, auth, factory):
    """Is a cookie copied before sign-out refused when replayed afterwards?"""
    m = factory.member()
    auth.login(m.phone)
    cookie = client.get_cookie("sc_session").value
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("sc_session", cookie)
    assert replay.get("/").status_code == 302


def test_remember_cookie_replay_after_logout_is_refused(app, client, auth, factory):
    """Is the remember-me cookie useless once the member signs out?"""
    m = factory.member()
    auth.login(m.phone, remember=True)
    remember = client.get_cookie("sc_remember").value
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("sc_remember", remember)
    assert replay.get("/").status_code == 302


def test_session_cookie_changes_at_sign_in(client, auth, factory):
    """Does the session cookie change at sign-in (no fixation)?"""
    m = factory.member()
    client.get("/login")
    before = client.get_cookie("sc_session").value
    auth.login(m.phone)
    assert client.get_cookie("sc_session").value != before


def test_cookie_flags(app, client, auth, factory):
    """Are session cookies HttpOnly and SameSite=Lax (and Secure outside debug and tests)?"""
    m = factory.member()
    response = auth.login(m.phone, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    from config import Config
    assert Config().SESSION_COOKIE_SECURE is True


def test_rate_limit_per_account(client, auth, factory):
    """After five wrong passwords, is the sixth try refused with 429 and a clear message?"""
    factory.member(phone="13900000077")
    for _ in range(5):
        assert auth.login("13900000077", "wrong-password").status_code == 401
    response = auth.login("13900000077", "wrong-password")
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_rate_limit_per_address(app, client, auth, factory):
    """Are many failures from one address across accounts stopped too?"""
    for i in range(20):
        auth.login(f"139000001{i:02d}", "wrong-password")
    assert auth.login("13900000199", "wrong-password").status_code == 429


def test_forced_password_change_gates_every_page(client, auth, factory):
    """Must a member with a one-time password set their own before anything else?"""
    m = factory.member(must_change=True)
    auth.login(m.phone)
    assert client.get("/").headers["Location"] == "/password"
    page = client.get("/password").get_data(as_text=True)
    response = client.post("/password", data={"csrf_token": csrf_from(page), "new": "my new password",
                                               "confirm": "my new password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_password_form_mismatch(client, auth, factory):
    """Do two different new passwords get a clear 400?"""
    m = factory.member(must_change=True)
    auth.login(m.phone)
    page = client.get("/password").get_data(as_text=True)
    response = client.post("/password", data={"csrf_token": csrf_from(page), "new": "my new password",
                                               "confirm": "other password"})
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


def test_language_switch(client, auth, factory):
    """Does the language switch (a POST) change the page between Chinese and English?"""
    m = factory.member()
    auth.login(m.phone)
    assert "我的" in client.get("/me/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": auth.csrf("/me/"), "next": "/me/"})
    assert "Sign out" in client.get("/me/").get_data(as_text=True)
    client.post("/language", data={"lang": "zh_Hans_CN", "csrf_token": auth.csrf("/me/"), "next": "/me/"})
    assert "退出登录" in client.get("/me/").get_data(as_text=True)


def test_language_switch_is_not_a_get(client):
    """Is there no way to change state with a GET?"""
    assert client.get("/language?lang=en").status_code == 405
    assert client.get("/logout").status_code == 405


def test_security_headers(client):
    """Do pages carry a CSP without unsafe-inline scripts or eval, and the other headers?"""
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_unknown_page_is_a_friendly_404(client):
    """Does an unknown URL get a 404 page in Chinese?"""
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
