"""Spreadsheets in and out: read a CSV or XLSX upload as rows (openpyxl read-only, with a look inside the ZIP
first), write XLSX (openpyxl write-only). Text cells that a spreadsheet would run as formulas are defused."""
import io
import zipfile
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from services import csvio
from services.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024  # an upload; a branch's roster is a few hundred KB at most
MAX_ROWS = 5000
MAX_UNZIPPED = 50 * 1024 * 1024  # an XLSX whose parts unpack to more than this is refused (zip bomb)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_table(data: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, dict]], list[tuple[int, str]]]:
    """The header, (line, row) pairs and (line, column) cells holding a formula, of a CSV or XLSX upload.

    XLSX is told by its content (a ZIP with an Excel workbook inside), never by the name alone.
    """
    if len(data) > MAX_BYTES:
        raise DomainError("file_too_large", _l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)),
                          status=413)
    if not data.strip():
        raise DomainError("empty_file", _l("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError("not_xlsx", _l("This is not an Excel workbook (.xlsx): save it again from Excel, or as CSV."))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DomainError("old_xls", _l("Old .xls workbooks are not read: save it as .xlsx or CSV."))
    text = csvio.decode_upload(data, max_mb=MAX_BYTES // (1024 * 1024))
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<table")):
        raise DomainError("not_csv", _l("This is a web page, not a spreadsheet: save it as .xlsx or CSV."))
    try:
        header, rows = csvio.read_rows(text)
    except Exception:  # csv.Error on a broken quote or a NUL byte
        raise DomainError("bad_csv", _l("The CSV file could not be read: save it again as CSV UTF-8.")) from None
    formulas = [(line, key) for line, row in rows for key, value in row.items()
                if isinstance(value, str) and value.startswith("=")]
    return header, rows, formulas


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise DomainError("not_xlsx", _l("This ZIP file is not an Excel workbook (.xlsx)."))
            if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
                raise DomainError("file_too_large", _l("The workbook is too large."), status=413)
    except zipfile.BadZipFile:
        raise DomainError("not_xlsx", _l("This is not an Excel workbook (.xlsx): save it again from Excel, or as CSV.")) \
            from None
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        header: list[str] = []
        rows: list[tuple[int, dict]] = []
        formulas: list[tuple[int, str]] = []
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if line == 1:
                header = [_cell_text(c) for c in cells]
                continue
            if len(rows) > MAX_ROWS:
                break
            values = [_cell_text(c) for c in cells]
            if not any(values):
                continue
            row = {}
            for key, value in zip(header, values):
                if not key:
                    continue
                if value.startswith("="):
                    formulas.append((line, key))
                row[key] = value
            rows.append((line, row))
        book.close()
    except DomainError:
        raise
    except Exception:  # a damaged or hand-made workbook: openpyxl raises many kinds
        raise DomainError("bad_xlsx", _l("The workbook could not be read: save it again from Excel, or as CSV.")) \
            from None
    return header, rows, formulas


def defuse(value):
    """A text cell a spreadsheet would run as a formula gains a leading apostrophe."""
    if isinstance(value, str) and value.startswith(csvio.FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(header, rows, *, title: str = "Sheet1") -> bytes:
    """An XLSX workbook of one sheet (openpyxl write-only); every text cell defused, written as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append([None if v is None else defuse(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(header, rows) -> bytes:
    """CSV with a BOM, defused (services.csvio)."""
    return csvio.to_csv(header, rows)
