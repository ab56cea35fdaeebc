"""Roster import (all or nothing) and export."""
import pytest
from sqlmodel import select

from models import Member
from services import accounts
from services.accounts import passwords, roster
from services.errors import DomainError, NotFound
from tests.conftest import PASSWORD

GOOD = "姓名,手机号,党小组,党员类别,入党日期\n王一,13911110001,,正式党员,2001-07-01\n王二,13911110002,一组,预备党员,\n"


@pytest.fixture
def setup(ctx, factory, session):
    branch = factory.branch()
    factory.group(branch, name="一组")
    sec = factory.secretary(branch)
    token = accounts.sign_in(session, phone=sec.phone, password=PASSWORD)
    return branch, accounts.load_principal(session, token=token, idle_hours=12)


def test_import_creates_members_with_one_time_passwords(setup, session):
    """Does a good file add every member, each with a one-time password that signs in once?"""
    branch, p = setup
    created = roster.import_roster(session, p, unit_id=branch.id, data=GOOD.encode("utf-8-sig"))
    assert [m.name for m, _ in created] == ["王一", "王二"]
    member, initial = created[1]
    assert member.group_id is not None and member.status == "probationary" and member.must_change_password
    assert passwords.verify_password(member.password_hash, initial)
    assert accounts.sign_in(session, phone=member.phone, password=initial)


def test_import_accepts_gbk(setup, session):
    """Is a file saved by Excel in GBK read correctly?"""
    branch, p = setup
    created = roster.import_roster(session, p, unit_id=branch.id, data=GOOD.encode("gb18030"))
    assert created[0][0].name == "王一"


@pytest.mark.parametrize("row,needle", [
    ("王三,12345,,,", "11 位"), (",13911110003,,,", "1 至 40"), ("王三,13911110001,,,", "已有账号"),
    ("王三,13911110003,二组,,", "二组"), ("王三,13911110003,,党员,", "正式党员"), ("王三,13911110003,,,2001.7", "2020-07-01"),
])
def test_one_bad_row_rejects_the_whole_file(app, setup, session, row, needle):
    """Does any bad row reject the file with its line number and reason, adding nobody?"""
    branch, p = setup
    data = (GOOD + row + "\n").encode()
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        with pytest.raises(roster.RosterImportError) as e:
            roster.import_roster(session, p, unit_id=branch.id, data=data)
        assert any(pr.line == 4 and needle in pr.message for pr in e.value.problems), e.value.problems
    assert session.exec(select(Member).where(Member.phone == "13911110002")).first() is None


@pytest.mark.parametrize("data,code", [(b"", "empty_file"), (b"name,phone\nx,y\n", "bad_header"),
                                       ("姓名,手机号\n".encode(), "empty_file"), (b"\xff\xfe\x00\x00" * 10, "bad_encoding")])
def test_bad_files(setup, session, data, code):
    """Are empty files and files without the columns refused with a clear code?"""
    branch, p = setup
    with pytest.raises(DomainError) as e:
        roster.import_roster(session, p, unit_id=branch.id, data=data)
    assert e.value.code == code


def test_import_into_another_branch_is_not_found(setup, factory, session):
    """Can a secretary import into a branch they do not lead? (No.)"""
    _, p = setup
    other = factory.branch()
    with pytest.raises(NotFound):
        roster.import_roster(session, p, unit_id=other.id, data=GOOD.encode())


def test_export_has_bom_and_defuses_formulas(setup, factory, session):
    """Does the export start with a BOM and keep a formula-like name from running in Excel?"""
    branch, p = setup
    factory.member(branch, name="=HYPERLINK(1)")
    data = roster.export_roster(session, p, unit_id=branch.id)
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("姓名,手机号") and "'=HYPERLINK(1)" in text
