"""The confirm POST's hand-written parser (the scan path skips WTForms): what it accepts and refuses."""
import pytest
from werkzeug.datastructures import MultiDict

from blueprints.checkin.forms import ScanPost
from services.checkin import GeoFix

GOOD = {"code": "r.1.2.abc", "scan_pass": "p", "nonce": "n" * 32}


def test_parses_the_fields_and_a_position():
    """Are the three fields and a whole position (lat, lon, accuracy) read, and a partial one ignored?"""
    post = ScanPost.parse(MultiDict(GOOD | {"lat": "22.55", "lon": " 114.05 ", "accuracy": "20"}))
    assert (post.code, post.scan_pass, post.nonce, post.position) == ("r.1.2.abc", "p", "n" * 32,
                                                                     GeoFix(22.55, 114.05, 20.0))
    assert ScanPost.parse(MultiDict(GOOD | {"lat": "22.55", "lon": "", "accuracy": "20"})).position is None
    assert ScanPost.parse(MultiDict(GOOD | {"scan_pass": ""})).position is None


@pytest.mark.parametrize("change", [
    {"code": ""}, {"nonce": ""}, {"code": "x" * 201}, {"scan_pass": "x" * 101}, {"nonce": "x" * 65},
    {"lat": "north"}, {"lon": "nan"}, {"accuracy": "inf"}, {"lat": "1e999"},
])
def test_refuses_missing_long_or_non_numbers(change):
    """Is a missing code or nonce, a value over its length, or a non-finite number refused (None)?"""
    assert ScanPost.parse(MultiDict(GOOD | {"lat": "22.5", "lon": "114.0", "accuracy": "10"} | change)) is None


def test_a_garbage_post_is_a_clear_400_and_writes_nothing(app, client, auth, factory, session):
    """Does the route answer a malformed confirm with the bad-code page (400), never a 500, and record nothing?"""
    from sqlmodel import select

    from models import CheckIn
    from tests.conftest import csrf_from

    branch = factory.branch()
    member = factory.member(branch)
    auth.login(member.phone)
    token = csrf_from(client.get("/checkin/").get_data(as_text=True))
    response = client.post("/checkin/scan", data={"csrf_token": token, "code": "r.1", "nonce": "n" * 32,
                                                  "lat": "north", "lon": "1", "accuracy": "1"})
    assert response.status_code == 400 and "这不是有效的服务圈签到码" in response.get_data(as_text=True)
    assert session.exec(select(CheckIn.id)).all() == []
