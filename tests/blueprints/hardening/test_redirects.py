"""The return address after sign-in (safe_next): every control character and scheme trick stays on this site."""
from urllib.parse import quote, urlsplit

import pytest

from blueprints.bounds import safe_next

CONTROLS = [chr(c) for c in list(range(0x00, 0x21)) + list(range(0x7f, 0xa0))] + ["\u2028", "\u2029", "\ufeff"]
TRICKS = ["//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
          "https://evil.example", "http:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
          "data:text/html,x", "evil.example", "@evil.example", "//evil.example/%2F..",
          "https:evil.example", "//\u3002evil.example", "", None, 12, "/" + "a" * 3000]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("shape", ["/{c}/evil.example", "/{c}{c}evil.example", "{c}//evil.example", "/me/{c}",
                                   "/{c}\\evil.example"])
def test_control_characters_are_refused(char, shape):
    """Is every target holding a control character, space or format character refused?"""
    assert safe_next(shape.format(c=char)) is None


@pytest.mark.parametrize("target", TRICKS)
def test_scheme_and_host_tricks_are_refused(target):
    """Is every way of naming another host or a scheme refused?"""
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/me/", "/stations/?q=%E8%8E%B2%E8%8A%B1", "/study/tasks/3#top", "/a:b"])
def test_paths_on_this_site_are_kept(target):
    """Are ordinary paths of this site kept as they are?"""
    assert safe_next(target) == target


def _location_host(response) -> str:
    location = response.headers.get("Location", "")
    return urlsplit(location).netloc


@pytest.mark.parametrize("char", [c for c in CONTROLS if ord(c) < 0x80], ids=lambda c: f"U+{ord(c):04X}")
def test_signed_in_login_with_a_control_character_stays_here(client, auth, factory, char):
    """Signed in, does /login?next=/<control>/evil.example answer a redirect to this site, never a 500?"""
    member = factory.member()
    auth.login(member.phone)
    response = client.get("/login?next=" + quote(f"/{char}/evil.example", safe="/"))
    assert response.status_code == 302
    assert _location_host(response) in ("", "localhost")
    assert response.headers["Location"].endswith("/")


@pytest.mark.parametrize("encoded", ["%0A", "%0D", "%0D%0A", "%09", "%00"])
def test_sign_in_with_a_line_break_in_next_writes_nothing_odd(client, auth, factory, session, encoded):
    """Does a sign-in POST whose next holds a line break answer 302 home (not 500), with one session written?"""
    from sqlmodel import select

    from models import UserSession

    member = factory.member()
    token = auth.csrf()
    response = client.post("/login", data={"phone": member.phone, "password": "correct horse 42", "csrf_token": token,
                                           "next": f"/me/{encoded}Set-Cookie:%20x=1".replace("%0A", "\n")
                                           .replace("%0D", "\r").replace("%09", "\t").replace("%00", "\x00")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    rows = session.exec(select(UserSession)).all()
    session.commit()
    assert len(rows) == 1


def test_review_back_link_is_checked_too():
    """Does the study review's `back` field (prefix /study/manage/) refuse line breaks, tabs and other hosts?"""
    assert safe_next("/study/manage/units/1", prefix="/study/manage/") == "/study/manage/units/1"
    for back in ["/study/manage/\r\nX: y", "/study/manage/\t/evil", "//evil.example/study/manage/", "/study/x"]:
        assert safe_next(back, prefix="/study/manage/") is None
