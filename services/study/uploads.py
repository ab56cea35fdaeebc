"""Uploaded study files: stored under a random name, typed by their first bytes, served only to who may see them."""
import os
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models import StudyFile, StudyTask, utcnow
from models.db import ALL_ORGS, begin_write, unscoped
from services.accounts import Principal
from services.accounts.orgs import get_unit_led, led_subtree_ids
from services.errors import DomainError, NotFound
from services.study.common import _audience_clause, _cfg, _principal_owner_ids, _writes, local_today

# An upload's type comes from its first bytes, never from its name or the browser's word.
MAGIC = (
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", ".webm"),
    (b"ftyp", 4, "video/mp4", ".mp4"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
)


def task_file(session: Session, task: StudyTask) -> StudyFile | None:
    """The task's uploaded file, if any."""
    if not task.file_id:
        return None
    with unscoped(session):
        return session.get(StudyFile, task.file_id)


def upload_dir() -> Path:
    """Where uploaded study files live (instance/uploads/study by default)."""
    base = _cfg("UPLOAD_DIR", None) or os.path.join(current_app.instance_path, "uploads")
    path = Path(base) / "study"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(head: bytes) -> tuple[str, str] | None:
    """(mime type, extension) from a file's first bytes, or None when it is not a type we take."""
    for magic, offset, mime, ext in MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return mime, ext
    return None


@_writes
def store_upload(session: Session, principal: Principal, *, unit_id: int, stream, filename: str = "",
                 now: datetime | None = None) -> StudyFile:
    """Keep an uploaded PDF, MP4/WebM video or PNG/JPEG image under a random name; type from its bytes."""
    limit = int(_cfg("STUDY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DomainError("file_too_large", _l("The file is too large: at most %(mb)s MB.",
                                               mb=f"{limit / 1024 / 1024:.0f}" if limit >= 1024 * 1024 else
                                               f"{limit / 1024 / 1024:.2f}"), status=413)
    if not data:
        raise DomainError("empty_file", _l("The file is empty."))
    kind = sniff(data[:16])
    if kind is None:
        raise DomainError("bad_file_type", _l("Upload a PDF, an MP4 or WebM video, or a PNG or JPEG image."),
                          status=415)
    begin_write(session)
    unit = get_unit_led(session, principal, unit_id)
    token = secrets.token_urlsafe(24)
    target = upload_dir() / token
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    row = StudyFile(org_unit_id=unit.id, token=token, original_name=os.path.basename(filename or "")[:200] or
                    f"file{kind[1]}", mime=kind[0], size=len(data), uploaded_by=principal.id,
                    created_at=now or utcnow())
    try:
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        target.unlink(missing_ok=True)  # no row, no file: nothing is left behind
        raise
    return row


def discard_upload(session: Session, principal: Principal, *, file_id: int) -> None:
    """Undo store_upload when the save it was for is refused: the row and the file go, unless a task uses it."""
    session.rollback()
    begin_write(session)
    with unscoped(session):
        row = session.get(StudyFile, file_id)
        used = session.exec(select(StudyTask.id).where(StudyTask.file_id == file_id)).first() is not None
        if row is None or used or row.uploaded_by != principal.id:
            session.rollback()
            return
        token = row.token
        session.delete(row)
        session.commit()
    (upload_dir() / token).unlink(missing_ok=True)


def file_for(session: Session, principal: Principal, *, token: str) -> tuple[StudyFile, Path]:
    """An uploaded file for someone who may see a task using it (or who leads its owner), or NotFound."""
    with unscoped(session):
        f = session.exec(select(StudyFile).where(StudyFile.token == token)).first()
        if f is None:
            raise NotFound()
        reach = led_subtree_ids(session, principal) if principal.is_secretary else set()
        allowed = reach == ALL_ORGS or f.org_unit_id in reach
        if not allowed:
            owners = _principal_owner_ids(session, principal)
            allowed = session.exec(select(StudyTask.id).where(
                StudyTask.file_id == f.id, _audience_clause(principal.id, owners),
                StudyTask.archived_at.is_(None), StudyTask.opens_on <= local_today())).first() is not None
    path = upload_dir() / f.token
    if not allowed or not path.exists():
        raise NotFound()
    return f, path
