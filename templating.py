"""Jinja filters and globals: local times, languages, the tab bar."""
import hashlib
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_time, get_locale


def register_template_helpers(app: Flask) -> None:
    """Add the filters and globals templates use."""

    @app.template_filter("local_dt")
    def local_dt(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else ""

    @app.template_filter("local_date")
    def local_date(value: date | datetime | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else ""

    @app.template_filter("local_time")
    def local_time(value: datetime | None, fmt: str = "short") -> str:
        return format_time(value, fmt) if value else ""

    @app.context_processor
    def _globals():
        locale = str(get_locale())
        return {
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            "current_locale": locale,
            "languages": current_app.config["LANGUAGES"],
            "demo_mode": current_app.config.get("DEMO_MODE"),
            "active_tab": _active_tab(),
            "now_local": datetime.now(ZoneInfo(current_app.config["TIMEZONE"])),
        }

    @app.url_defaults
    def _static_version(endpoint, values):
        """Static URLs carry a hash of the file, so browsers and the service worker never keep a stale copy."""
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = _file_hash(str(Path(app.static_folder) / values["filename"]))


def _active_tab() -> str:
    """Which bottom tab the current page belongs to (the blueprint's name)."""
    endpoint = request.endpoint or ""
    return endpoint.split(".", 1)[0]


@lru_cache(maxsize=512)
def _file_hash(path: str) -> str:
    """A short content hash of a static file (empty when it does not exist)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
    except OSError:
        return ""
