"""Downloads of everything held about a member (PIPL art. 45): one JSON file with every record of every
domain (for portability) and a readable CSV per table, in a ZIP that waits for its owner until it expires.

Small downloads are built in the request; larger ones wait for the worker (`build_pending`), which
claims each with an UPDATE that checks its state, so two workers never build the same one. Either
way the member is told in the inbox (EXPORT_READY) with a link that only works for them.
"""
import io
import json
import logging
import os
import secrets
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlmodel import Session, SQLModel

from models import utcnow
from models.db import begin_write, unscoped
from models.privacy import DataExport
from services import audit, csvio, notify
from services.errors import DomainError, NotFound
from services.privacy.common import MAX_ID, cfg, export_dir, get_member, local, period
from services.privacy.registry import SECRET_COLUMNS, sources

log = logging.getLogger(__name__)
STALE_BUILD = timedelta(minutes=30)  # a build that long unfinished died with its worker: take it again


def _value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _tables():
    """(source, table) for each registered table that exists in this schema."""
    tables = SQLModel.metadata.tables
    return [(s, tables[s.table]) for s in sources() if s.table in tables]


def _where(source, table, member_id: int):
    return or_(*(table.c[c] == member_id for c in source.columns if c in table.c))


def count_rows(session: Session, *, member_id: int) -> int:
    """How many rows the member's download would hold."""
    total = 0
    with unscoped(session):
        for source, table in _tables():
            total += session.execute(select(func.count()).select_from(table).where(
                _where(source, table, member_id))).scalar_one()
    return total


def collect(session: Session, *, member_id: int) -> dict:
    """Every row of every registered table that points at the member, secrets left out: {table: [row, ...]}."""
    held: dict[str, dict] = {}
    with unscoped(session):
        for source, table in _tables():
            columns = [c for c in table.c if not SECRET_COLUMNS.search(c.name)]
            query = select(*columns).where(_where(source, table, member_id))
            if "id" in table.c:
                query = query.order_by(table.c.id)
            rows = [{k: _value(v) for k, v in row._mapping.items()} for row in session.execute(query).all()]
            held[source.table] = {"title": source.title, "columns": [c.name for c in columns], "rows": rows}
    return held


README = """个人信息副本

这是“服务圈”保存的与你有关的全部记录，生成于 {at}。
- data.json：全部记录，机器可读（可带到其他服务）。每张表一节，键为字段名。
- csv/：每张有记录的表一个 CSV 文件（UTF-8 带 BOM，可用 Excel 或 WPS 打开）。
密码、登录令牌等只保存为不可逆的摘要，不包含在内。
如发现记录有误，可在“我的 → 个人信息与隐私”中更正或申请更正。
"""


def _zip_bytes(held: dict, *, member_id: int, at: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = local(at).strftime("%Y-%m-%d %H:%M")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", README.format(at=stamp))
        doc = {"generated_at": at.isoformat(), "member_id": member_id,
               "tables": {name: {"title": t["title"], "rows": t["rows"]} for name, t in held.items()}}
        zf.writestr("data.json", json.dumps(doc, ensure_ascii=False, indent=1, default=str))
        for name, t in held.items():
            if not t["rows"]:
                continue
            rows = [[_cell(r.get(c)) for c in t["columns"]] for r in t["rows"]]
            zf.writestr(f"csv/{name}.csv", csvio.to_csv(t["columns"], rows))
    return buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def latest(session: Session, *, member_id: int) -> list[DataExport]:
    """The member's downloads, newest first (the last five)."""
    return list(session.execute(select(DataExport).where(DataExport.member_id == member_id)
                             .order_by(DataExport.id.desc()).limit(5)).scalars().all())


def request_export(session: Session, *, member_id: int, now: datetime | None = None) -> DataExport:
    """Ask for a download; refused while one is still being prepared (nothing written then)."""
    now = now or utcnow()
    begin_write(session)
    member = get_member(session, member_id)
    waiting = session.execute(select(DataExport).where(DataExport.pending_member_id == member.id)).scalars().first()
    if waiting is not None:
        session.rollback()
        raise DomainError("export_pending", _l("Your download is already being prepared: you will find a message in "
                                               "your inbox when it is ready."), status=409)
    row = DataExport(member_id=member.id, pending_member_id=member.id, status="pending", requested_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=member.id, action="privacy.export", member=member.id, unit=member.org_unit_id,
                 target=f"data_export:{row.id}", now=now)
    session.commit()
    return row


def _claim(session: Session, export_id: int, now: datetime) -> bool:
    """Take the export for building (one builder only): pending, or building but abandoned."""
    begin_write(session)
    done = session.execute(update(DataExport).where(
        DataExport.id == export_id,
        or_(DataExport.status == "pending",
            (DataExport.status == "building") & (DataExport.started_at < now - STALE_BUILD)))
        .values(status="building", started_at=now)).rowcount
    session.commit()
    return bool(done)


def build(session: Session, *, export_id: int, now: datetime | None = None) -> DataExport | None:
    """Build one export: collect, write the ZIP, mark it ready and tell the member. None when not ours to build."""
    now = now or utcnow()
    if not _claim(session, export_id, now):
        return None
    row = session.get(DataExport, export_id)
    session.refresh(row)
    try:
        held = collect(session, member_id=row.member_id)
        data = _zip_bytes(held, member_id=row.member_id, at=now)
        name = f"{secrets.token_urlsafe(18)}.zip"
        target = export_dir() / name
        partial = target.with_suffix(".part")
        with open(partial, "wb") as fh:
            fh.write(data)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except Exception as e:  # a failed build frees the member to ask again, and says so
        session.rollback()
        begin_write(session)
        session.execute(update(DataExport).where(DataExport.id == export_id).values(
            status="failed", pending_member_id=None, error=type(e).__name__[:120]))
        session.commit()
        log.exception("data export failed", extra={"fields": {"event": "export_failed", "export_id": export_id}})
        return session.get(DataExport, export_id)
    begin_write(session)
    expires = now + timedelta(hours=period("export_link_hours"))
    session.execute(update(DataExport).where(DataExport.id == export_id).values(
        status="ready", pending_member_id=None, file_name=name, size=len(data),
        row_count=sum(len(t["rows"]) for t in held.values()), ready_at=now, expires_at=expires))
    notify.send(session, member_ids=[row.member_id], purpose=notify.EXPORT_READY, key=f"export:{export_id}",
                message=notify.Message(title=str(_l("Your data is ready to download")),
                                       body=str(_l("The link works until %(at)s, only when you are signed in.",
                                                   at=local(expires).strftime("%Y-%m-%d %H:%M"))),
                                       url=f"/me/privacy/exports/{export_id}"),
                commit=False, now=now)
    session.commit()
    session.refresh(row)
    log.info("data export ready", extra={"fields": {"event": "export_ready", "export_id": export_id,
                                                     "bytes": len(data)}})
    return row


def build_now_if_small(session: Session, *, export: DataExport, now: datetime | None = None) -> bool:
    """Build a small download at once; leave a large one to the worker. True when it was built here."""
    limit = int(cfg("PRIVACY_EXPORT_INLINE_ROWS", 5000))
    if count_rows(session, member_id=export.member_id) > limit:
        return False
    return build(session, export_id=export.id, now=now) is not None


def build_pending(session: Session, *, now: datetime | None = None, limit: int = 20) -> int:
    """The worker's sweep: build the downloads that wait (and any whose builder died); returns how many."""
    now = now or utcnow()
    ids = session.execute(select(DataExport.id).where(or_(
        DataExport.status == "pending",
        (DataExport.status == "building") & (DataExport.started_at < now - STALE_BUILD)))
        .order_by(DataExport.id).limit(limit)).scalars().all()
    session.rollback()
    built = 0
    for export_id in ids:
        if build(session, export_id=export_id, now=now) is not None:
            built += 1
    return built


def file_for(session: Session, *, member_id: int, export_id: int, now: datetime | None = None
             ) -> tuple[Path, str]:
    """The ZIP of one of the member's own ready downloads: NotFound for anyone else's, a clear 410 once expired."""
    now = now or utcnow()
    if isinstance(export_id, bool) or not isinstance(export_id, int) or not 0 < export_id <= MAX_ID:
        raise NotFound()
    row = session.get(DataExport, export_id)
    if row is None or row.member_id != member_id:
        raise NotFound(_l("This download does not exist, or it is not yours."))
    if row.status in ("pending", "building"):
        raise DomainError("not_ready", _l("This download is still being prepared."), status=409)
    if row.status == "failed":
        raise DomainError("failed", _l("This download could not be prepared. Ask for a new one."), status=410)
    path = export_dir() / row.file_name if row.file_name else None
    if row.status == "expired" or (row.expires_at and row.expires_at <= now) or path is None or not path.exists():
        raise DomainError("expired", _l("This download link has expired. Ask for a new one on the privacy page."),
                          status=410)
    return path, f"servicecircle-data-{local(row.ready_at or now):%Y%m%d}.zip"


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete the ZIPs whose link has expired (retention); returns how many."""
    now = now or utcnow()
    begin_write(session)
    rows = session.execute(select(DataExport).where(DataExport.status == "ready", DataExport.expires_at <= now)
                           ).scalars().all()
    for row in rows:
        remove_file(row.file_name)
        row.status, row.file_name = "expired", ""
        session.add(row)
    session.commit()
    return len(rows)


def remove_file(name: str) -> None:
    """Delete one export file by its random name (nothing outside the exports directory)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return
    try:
        (export_dir() / name).unlink()
    except FileNotFoundError:
        pass
