"""The secretary's workspace through the test client, and its scoping."""
import pytest

from tests.conftest import csrf_from


@pytest.fixture
def two_branches(factory):
    a, b = factory.branch(name="甲支部"), factory.branch(name="乙支部")
    return {"a": a, "b": b, "sec_a": factory.secretary(a), "member_a": factory.member(a, name="甲成员"),
            "member_b": factory.member(b, name="乙成员")}


def test_secretary_sees_own_branch(client, auth, two_branches):
    """Does the secretary see their branch and its members?"""
    auth.login(two_branches["sec_a"].phone)
    page = client.get(f"/branch/units/{two_branches['a'].id}").get_data(as_text=True)
    assert "甲成员" in page and "乙成员" not in page


def test_secretary_gets_404_for_every_id_of_another_branch(client, auth, two_branches):
    """Does a secretary of branch A get 404 for branch B's unit, members and actions?"""
    auth.login(two_branches["sec_a"].phone)
    b, mb = two_branches["b"].id, two_branches["member_b"].id
    for path in [f"/branch/units/{b}", f"/branch/members/{mb}"]:
        assert client.get(path).status_code == 404
    token = auth.csrf("/workspace/")
    for path in [f"/branch/members/{mb}/reset-password", f"/branch/members/{mb}/transfer",
                 f"/branch/units/{b}/members"]:
        assert client.post(path, data={"csrf_token": token, "to_branch_id": two_branches["a"].id,
                                       "name": "x", "phone": "13911112222", "status": "full"}).status_code == 404


def test_member_cannot_open_workspace(client, auth, two_branches):
    """Is a plain member refused the workspace with 403?"""
    auth.login(two_branches["member_a"].phone)
    assert client.get("/branch/").status_code == 403


def test_add_member_and_errors(client, auth, two_branches):
    """Can a secretary add a member, with clear errors for a bad phone and a duplicate?"""
    auth.login(two_branches["sec_a"].phone)
    a = two_branches["a"].id
    page = client.get(f"/branch/units/{a}").get_data(as_text=True)
    token = csrf_from(page)
    bad = client.post(f"/branch/units/{a}/members", data={"csrf_token": token, "name": "新成员", "phone": "123",
                                                          "status": "full", "group_id": 0})
    assert bad.status_code == 400 and "11 位" in bad.get_data(as_text=True)
    ok = client.post(f"/branch/units/{a}/members", data={"csrf_token": token, "name": "新成员", "phone": "13911112222",
                                                         "status": "full", "group_id": 0})
    assert ok.status_code == 302
    dup = client.post(f"/branch/units/{a}/members", data={"csrf_token": token, "name": "新成员", "phone": "13911112222",
                                                          "status": "full", "group_id": 0})
    assert dup.status_code == 400 and "已有账号" in dup.get_data(as_text=True)


def test_member_search_fragment(client, auth, two_branches):
    """Does an htmx search return only the member list fragment?"""
    auth.login(two_branches["sec_a"].phone)
    a = two_branches["a"].id
    response = client.get(f"/branch/units/{a}?q=甲", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="member_list">') and "甲成员" in html
    assert "<html" not in html


def test_secretary_home_and_workspace_list_their_branch(client, auth, two_branches):
    """Do the secretary's home page and workspace both list the branch they lead, with its head count?"""
    auth.login(two_branches["sec_a"].phone)
    page = client.get("/").get_data(as_text=True)
    assert "甲支部" in page and "乙支部" not in page
    assert f'/branch/units/{two_branches["a"].id}' in page and "2 名党员" in page
    assert client.get("/branch/").headers["Location"].endswith("/workspace/")  # the old address moved
    page = client.get("/workspace/").get_data(as_text=True)
    assert "甲支部" in page and "乙支部" not in page
    assert f'/workspace/units/{two_branches["a"].id}/members' in page
