"""In real Chromium: a return address with a tab, a line break or a backslash never takes a signed-in member
to another host (Chromium drops those characters, so /<tab>/evil.example used to become //evil.example)."""
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


@pytest.mark.parametrize("next_", ["/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "/%5C/evil.example",
                                   "/%09%09evil.example/x", "//evil.example", "/%0d%0aSet-Cookie:%20x=1"])
def test_signed_in_login_with_a_hostile_next_stays_here(live_server, live_factory, page, next_):
    """Signed in, does opening /login?next=<hostile> leave Chromium on this site?"""
    m = live_factory.member()
    sign_in(page, live_server.url, m.phone, PASSWORD)
    requests_off_site = []
    page.on("request", lambda r: requests_off_site.append(r.url) if "evil.example" in urlsplit(r.url).netloc
            else None)
    page.goto(f"{live_server.url}/login?next={next_}")
    assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc
    assert requests_off_site == []
