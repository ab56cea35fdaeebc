"""Member import from CSV or XLSX: all rows or none, re-import updates, and every kind of bad file."""
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import select

from models import Member, Membership
from services import workspace
from services.errors import DomainError
from tests.services.workspace.helpers import principal

HEAD = "姓名,手机号,党小组,党员类别,入党日期\n"


def csv(text: str, encoding="utf-8-sig") -> bytes:
    return (HEAD + text).encode(encoding)


def xlsx(rows, header=("姓名", "手机号", "党小组", "党员类别", "入党日期")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def b(factory, session):
    branch = factory.branch(name="莲花北社区党支部")
    factory.group(branch, name="第一党小组")
    sec = factory.secretary(branch)
    return {"unit": branch, "p": principal(session, sec), "other": factory.member(factory.branch(), name="外支部")}


def members(session, unit):
    return {m.phone: m for m in session.exec(select(Member).where(Member.org_unit_id == unit.id)).all()}


def test_csv_adds_then_reimport_updates_never_duplicates(ctx, session, b):
    """Does an import add members with one-time passwords, and a second import of the changed file update them?"""
    first = workspace.import_members(session, b["p"], unit_id=b["unit"].id, data=csv(
        "张三,13800138001,第一党小组,正式党员,2010-07-01\n李四,138 0013 8002,,预备党员,2024/05/04\n"))
    assert len(first.created) == 2 and all(len(pw) == 10 for _m, pw in first.created)
    assert all(m.must_change_password for m, _pw in first.created)
    again = workspace.import_members(session, b["p"], unit_id=b["unit"].id, data=csv(
        "张三,13800138001,第一党小组,正式党员,2010-07-01\n李小四,13800138002,,正式党员,2024-05-04\n"))
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 1, 1)
    rows = members(session, b["unit"])
    assert rows["13800138002"].name == "李小四" and rows["13800138002"].status == "full"
    assert len(rows) == 3  # the secretary and the two imported
    assert len(session.exec(select(Membership).where(Membership.note == "imported")).all()) == 2


def test_xlsx_is_read(ctx, session, b):
    """Is an XLSX workbook read the same way (numbers and dates as Excel stores them)?"""
    from datetime import datetime

    data = xlsx([("王五", 13800138003, "第一党小组", "正式党员", datetime(2001, 7, 1))])
    result = workspace.import_members(session, b["p"], unit_id=b["unit"].id, data=data, filename="名单.xlsx")
    [(member, _pw)] = result.created
    assert member.phone == "13800138003" and member.joined_on.isoformat() == "2001-07-01"


def test_gbk_from_excel_is_read(ctx, session, b):
    """Is a CSV saved by Chinese Excel (GBK) read?"""
    result = workspace.import_members(session, b["p"], unit_id=b["unit"].id,
                                      data=csv("赵六,13800138004,,,\n", encoding="gbk"))
    assert result.created[0][0].name == "赵六"


def _rejected(session, b, data, filename="x.csv"):
    before = len(members(session, b["unit"]))
    with pytest.raises(DomainError) as err:
        workspace.import_members(session, b["p"], unit_id=b["unit"].id, data=data, filename=filename)
    session.rollback()
    assert len(members(session, b["unit"])) == before  # nothing half-imported
    return err.value


def test_any_bad_row_rejects_the_whole_file_with_lines_and_reasons(ctx, session, b):
    """Bad phones, a repeated phone, an unknown group, a bad status and date, a formula, another branch's number:
    is every line reported and nothing written?"""
    err = _rejected(session, b, csv(
        "好人,13800138010,,,\n"
        "坏号,12345,,,\n"
        "重复,13800138010,,,\n"
        "无组,13800138011,不存在的小组,,\n"
        "类别,13800138012,,群众,\n"
        "日期,13800138013,,,2099-01-01\n"
        "=HYPERLINK(\"http://x\"),13800138014,,,\n"
        f"外人,{b['other'].phone},,,\n"))
    assert isinstance(err, workspace.ImportRejected)
    lines = {p.line for p in err.problems}
    assert lines == {3, 4, 5, 6, 7, 8, 9}
    [dup] = [p.message for p in err.problems if p.line == 4]
    assert "2" in dup  # points at the line it repeats
    assert "13800138010" not in members(session, b["unit"])


@pytest.mark.parametrize("data,filename,code", [
    ("名字,电话\n张三,13800138001\n".encode(), "x.csv", "bad_header"),
    (HEAD.encode(), "x.csv", "empty_file"),
    (b"", "x.csv", "empty_file"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "x.xlsx", "not_xlsx"),
    (b"<!DOCTYPE html><html><table></table></html>", "x.csv", "not_csv"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls", "old_xls"),
    (b"\xff\xfe\x00garbage\x00\xff" * 10, "x.csv", "bad_encoding"),
])
def test_bad_files_get_clear_messages(ctx, session, b, data, filename, code):
    """Wrong columns, an empty file, HTML named .xlsx or .csv, an old .xls, unreadable bytes: a clear refusal?"""
    assert _rejected(session, b, data, filename).code == code


def test_a_renamed_zip_is_not_a_workbook(ctx, session, b):
    """Is a ZIP renamed to .xlsx, or a damaged workbook, refused with a message?"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    assert _rejected(session, b, out.getvalue(), "x.xlsx").code == "not_xlsx"
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("xl/workbook.xml", "<not really>")
    assert _rejected(session, b, broken.getvalue(), "x.xlsx").code == "bad_xlsx"


def test_formulas_in_xlsx_cells_are_refused(ctx, session, b):
    """Is a cell holding a formula reported with its line?"""
    err = _rejected(session, b, xlsx([("=1+1", "13800138020", "", "", "")]), "x.xlsx")
    assert {p.line for p in err.problems} == {2}


def test_ten_megabytes_are_refused(ctx, session, b):
    """Is a 10 MB file refused before it is parsed?"""
    row = "张三,13800138001,,,\n".encode()
    data = HEAD.encode() + row * (10 * 1024 * 1024 // len(row) + 1)
    err = _rejected(session, b, data)
    assert err.code == "file_too_large" and err.status == 413


def test_too_many_rows_are_refused(ctx, session, b):
    """Is a file of more rows than a branch could have refused with a message?"""
    rows = "".join(f"成员{i},138{i:08d},,,\n" for i in range(5002))
    assert _rejected(session, b, csv(rows)).code == "too_many_rows"


def test_another_branch_cannot_be_imported_into(ctx, session, b, factory):
    """Is importing into a branch the secretary does not lead NotFound?"""
    from services.errors import NotFound

    with pytest.raises(NotFound):
        workspace.import_members(session, b["p"], unit_id=b["other"].org_unit_id, data=csv("某,13800138030,,,\n"))


def test_an_import_is_audited_and_a_rejected_one_is_not(ctx, session, b):
    """Does a successful import leave one roster.import entry naming what it added and updated, and a rejected one
    none?"""
    from models.audit import AuditEntry

    workspace.import_members(session, b["p"], unit_id=b["unit"].id, data=csv("审计,13800138040,,,\n"))
    _rejected(session, b, csv("坏,123,,,\n"))
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "roster.import")).all()
    assert len(entries) == 1 and entries[0].org_unit_id == b["unit"].id
    assert "13800138040" not in str(entries[0].after)  # no phone numbers in the trail
