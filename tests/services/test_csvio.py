"""The one CSV writer and the one upload decoder (services/csvio.py) every import and export uses."""
import pytest

from services import csvio
from services.errors import DomainError


def test_to_csv_has_bom_header_and_crlf():
    """Does the writer start with a UTF-8 BOM, keep the header as given and end rows with CRLF?"""
    data = csvio.to_csv(["姓名", "学时"], [["王一", 1.5], ["李二", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "姓名,学时\r\n王一,1.5\r\n李二,\r\n"


@pytest.mark.parametrize("cell", ["=1+1", "+86 139", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_to_csv_defuses_formula_cells(cell):
    """Is every text cell that a spreadsheet would run as a formula given a leading apostrophe?"""
    text = csvio.to_csv(["a"], [[cell]]).decode("utf-8-sig")
    assert csvio.read_rows(text)[1][0][1]["a"] == ("'" + cell).strip()


def test_to_csv_leaves_ordinary_cells_and_numbers():
    """Are plain text, Chinese, dates and numbers (even negative ones) written unchanged?"""
    text = csvio.to_csv(["a", "b", "c", "d"], [["王一", "2026-01-02", -3, "1=1"]]).decode("utf-8-sig")
    assert text.splitlines()[1] == "王一,2026-01-02,-3,1=1"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_decode_upload_reads_utf8_with_or_without_bom_and_gbk(encoding):
    """Is a CSV saved as UTF-8 (with or without BOM) or as GBK by Excel read back as the same text?"""
    text = "姓名,手机号\n王一,13911110001\n"
    assert csvio.decode_upload(text.encode(encoding)) == text


def test_decode_upload_limits_size():
    """Is a file over the limit refused with 413 and the limit in the message, and one under it read?"""
    big = b"a" * (2 * 1024 * 1024 + 1)
    with pytest.raises(DomainError) as e:
        csvio.decode_upload(big)
    assert e.value.code == "file_too_large" and e.value.status == 413 and "2" in str(e.value.message)
    assert csvio.decode_upload(big, max_mb=3) == big.decode()


@pytest.mark.parametrize("data,code", [(b"", "empty_file"), (b" \r\n ", "empty_file"),
                                       (b"\xff\xfe\x00\x00" * 10, "bad_encoding")])
def test_decode_upload_refuses_empty_and_unreadable(data, code):
    """Are empty files and bytes that are neither UTF-8 nor GB18030 refused with a clear code?"""
    with pytest.raises(DomainError) as e:
        csvio.decode_upload(data)
    assert e.value.code == code
