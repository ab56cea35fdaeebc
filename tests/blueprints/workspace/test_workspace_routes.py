"""The workspace's screens through the client: they render, and every id of another branch is a 404."""
import io
from datetime import date

import pytest

from models import Member
from tests.conftest import csrf_from
from tests.services.workspace.helpers import held, invite, service, study_hours


@pytest.fixture
def two(factory, session):
    """Two branches under one committee, each with a secretary and members with some records."""
    top = factory.committee("街道党工委")
    a, b = factory.branch("甲支部", parent=top), factory.branch("乙支部", parent=top)
    ga, gb = factory.group(a, "甲一组"), factory.group(b, "乙一组")
    sec_a, sec_b = factory.secretary(a), factory.secretary(b, name="乙书记")
    ma = factory.member(a, name="甲成员", group=ga)
    mb = factory.member(b, name="乙成员", group=gb)
    station = factory.station()
    for m in (ma, mb):
        service(session, m, station, date(2026, 4, 1), 120)
        study_hours(session, m, 10)
    meeting_b = held(session, b, "committee", date(2026, 4, 5))
    invite(session, meeting_b, mb)
    session.commit()
    boss = factory.member(a, name="党工委书记", roles=[("secretary", top)])
    return {"top": top, "a": a, "b": b, "sec_a": sec_a, "sec_b": sec_b, "ma": ma, "mb": mb, "boss": boss, "gb": gb}


def test_screens_render_for_the_secretary(client, auth, two):
    """Do the dashboard, members, member page, import, moves, rating, term, exports and print pages render?"""
    auth.login(two["sec_a"].phone)
    a, ma = two["a"].id, two["ma"].id
    for path in ("/workspace/", f"/workspace/units/{a}", f"/workspace/units/{a}/members",
                 f"/workspace/units/{a}/members?behind=1&idle=1&absent=1&status=full&group=1&page=3",
                 f"/workspace/members/{ma}", f"/workspace/units/{a}/import", f"/workspace/units/{a}/moves",
                 f"/workspace/units/{a}/rating", f"/workspace/units/{a}/term", f"/workspace/units/{a}/exports",
                 f"/workspace/units/{a}/print/service", "/workspace/evaluation"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "乙成员" not in response.get_data(as_text=True), path
    page = client.get(f"/workspace/units/{a}").get_data(as_text=True)
    assert "<svg" in page and "<table" in page and "unsafe" not in page
    assert f"/workspace/units/{a}/members?idle=1" in page  # a figure links to its records


@pytest.mark.parametrize("query", ["status=%00", "group=99999999999999999999", "page=-1", "hours=abc",
                                   "behind=<script>", "q=" + "x" * 500, "year=99999&quarter=9"])
def test_garbage_filters_never_fail(client, auth, two, query):
    """Do filters with garbage values give the list (never a 500)?"""
    auth.login(two["sec_a"].phone)
    assert client.get(f"/workspace/units/{two['a'].id}/members?{query}").status_code == 200
    assert client.get(f"/workspace/units/{two['a'].id}?{query}").status_code == 200


def test_every_id_of_another_branch_is_404(client, auth, two):
    """Does a secretary of branch A get 404 for every workspace route given branch B's ids, GET and POST?"""
    auth.login(two["sec_a"].phone)
    b, mb = two["b"].id, two["mb"].id
    gets = [f"/workspace/units/{b}", f"/workspace/units/{b}/members", f"/workspace/members/{mb}",
            f"/workspace/units/{b}/import", f"/workspace/units/{b}/import/template.csv", f"/workspace/units/{b}/moves",
            f"/workspace/units/{b}/rating", f"/workspace/units/{b}/term", f"/workspace/units/{b}/exports",
            f"/workspace/units/{two['top'].id}", f"/workspace/units/{two['gb'].id}",
            f"/workspace/units/{two['top'].id}/rating", f"/workspace/units/99999999999/members"]
    gets += [f"/workspace/units/{b}/export/{k}.{f}" for k in ("attendance", "service", "study", "rating")
             for f in ("csv", "xlsx")]
    gets += [f"/workspace/units/{b}/print/{k}" for k in ("attendance", "service", "study", "rating")]
    for path in gets:
        assert client.get(path).status_code == 404, path
    token = csrf_from(client.get("/workspace/").get_data(as_text=True))
    posts = [f"/workspace/units/{b}/members", f"/workspace/members/{mb}/active", f"/workspace/members/{mb}/transfer",
             f"/workspace/units/{b}/term", f"/workspace/units/{b}/import"]
    for path in posts:
        data = {"csrf_token": token, "name": "x", "phone": "13911112222", "status": "full", "active": "0",
                "to_branch_id": two["a"].id, "elected_on": "2025-01-01", "years": "3",
                "file": (io.BytesIO("姓名,手机号\n某,13911112223\n".encode()), "a.csv")}
        assert client.post(path, data=data, content_type="multipart/form-data").status_code == 404, path
    with_member = client.application.extensions["sc_engine"]
    from sqlmodel import Session

    with Session(with_member) as s:
        s.info["org_scope"] = "all"
        assert s.get(Member, mb).is_active and s.get(Member, mb).org_unit_id == b


def test_plain_member_gets_403_but_may_evaluate(client, auth, two):
    """Is a plain member refused the workspace but offered the evaluation?"""
    auth.login(two["ma"].phone)
    assert client.get("/workspace/").status_code == 403
    assert client.get(f"/workspace/units/{two['a'].id}").status_code == 403
    assert client.get("/workspace/evaluation").status_code == 200


def test_committee_sees_its_branches_side_by_side(client, auth, two):
    """Does the committee's dashboard show both branches, each linking to its own dashboard?"""
    auth.login(two["boss"].phone)
    page = client.get("/workspace/").get_data(as_text=True)
    assert "甲支部" in page and "乙支部" in page
    assert f"/workspace/units/{two['b'].id}" in page
    assert client.get(f"/workspace/members/{two['mb'].id}").status_code == 200


def test_old_branch_address_redirects(client, auth, two):
    """Does /branch/ lead to /workspace/?"""
    auth.login(two["sec_a"].phone)
    response = client.get("/branch/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/workspace/")
