"""CSV in and out the way Chinese spreadsheet users need it: UTF-8 with BOM, GBK accepted."""
import csv
import io
from typing import Iterable

from flask_babel import lazy_gettext as _l

from services.errors import DomainError

# Cells a spreadsheet would run as a formula (CSV injection): these gain a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def decode_upload(data: bytes, *, max_mb: int = 2) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else GB18030 (GBK) as Excel saves it in China."""
    if len(data) > max_mb * 1024 * 1024:
        raise DomainError("file_too_large", _l("The file is larger than %(mb)s MB.", mb=max_mb), status=413)
    if not data.strip():
        raise DomainError("empty_file", _l("The file is empty."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("bad_encoding", _l("The file is not readable text (save it as UTF-8; in Excel, as CSV UTF-8)."))


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and (line number, row) pairs of a CSV text."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    except csv.Error as e:  # a field longer than the csv module's limit (128 KB), a stray quote, ...
        raise DomainError("bad_csv", _l("The CSV file could not be read (line %(n)s): %(err)s",
                                        n=reader.line_num, err=str(e)[:100])) from None
    return header, rows


def to_csv(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """CSV bytes with a BOM (Excel then reads the Chinese), every text cell defused; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else _defuse(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _defuse(value):
    """Keep a text cell from being run as a formula by a spreadsheet (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
