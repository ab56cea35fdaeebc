"""Shared pieces of the privacy domain: settings, time, the member lookup, the files' directory."""
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlmodel import Session

from config import RETENTION
from models import Member
from models.db import unscoped
from services.errors import NotFound

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
MAX_ID = 2**31 - 1


def cfg(name: str, default=None):
    """A setting from the app's config, or its default outside an app."""
    return current_app.config.get(name, default) if has_app_context() else default


def period(name: str) -> int:
    """A retention period from config (RETENTION in config.py)."""
    periods = cfg("RETENTION", None) or RETENTION
    return int(periods.get(name, RETENTION[name]))


def tz() -> ZoneInfo:
    return ZoneInfo(cfg("TIMEZONE", "Asia/Shanghai"))


def local(moment: datetime) -> datetime:
    return moment.astimezone(tz())


def export_dir() -> Path:
    """Where finished downloads wait (instance/exports by default); created on first use, private."""
    base = cfg("PRIVACY_EXPORT_DIR", None) or os.path.join(current_app.instance_path, "exports")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except OSError:  # pragma: no cover - a directory we do not own
        pass
    return path


def upload_root() -> Path:
    """Where uploads live (instance/uploads by default; the study and meetings domains keep theirs below it)."""
    return Path(cfg("UPLOAD_DIR", None) or os.path.join(current_app.instance_path, "uploads"))


def get_member(session: Session, member_id: int) -> Member:
    """The member (whatever the session's scope), or NotFound."""
    if isinstance(member_id, bool) or not isinstance(member_id, int) or not 0 < member_id <= MAX_ID:
        raise NotFound()
    with unscoped(session):
        member = session.get(Member, member_id)
    if member is None:
        raise NotFound()
    return member


def clean_text(value, limit: int) -> str:
    """A text without control characters, stripped (the caller checks its length)."""
    return CONTROL.sub("", str(value or "")).strip()[: limit + 1]
