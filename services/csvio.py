"""CSV in and out the way Chinese spreadsheet users need it: UTF-8 with BOM, GBK accepted."""
import csv
import io
from typing import Iterable

from flask_babel import lazy_gettext as _l

from services.errors import DomainError

MAX_CSV_BYTES = 2 * 1024 * 1024


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM), else GB18030 as Excel saves it in China."""
    if len(data) > MAX_CSV_BYTES:
        raise DomainError("file_too_large", _l("The file is larger than 2 MB."), status=413)
    if not data.strip():
        raise DomainError("empty_file", _l("The file is empty."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("bad_encoding", _l("The file is not a readable CSV (save it as CSV UTF-8)."))


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and (line number, row) pairs of a CSV text."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    return header, rows


def to_csv(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """CSV bytes with a BOM so that Excel opens Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow(["" if v is None else _defuse(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _defuse(value):
    """Keep a cell from being run as a formula by a spreadsheet (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
