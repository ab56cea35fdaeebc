"""`flask backup` while the app writes, and `flask restore` into an empty database: every table identical."""
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app import create_app
from config import TestConfig
from ops.backup import read_manifest, table_digests
from tests.conftest import TEST_DATABASE_URL, _is_postgres


def _sqlite_app(path: Path, uploads: Path):
    cfg = TestConfig(f"sqlite:///{path}")
    cfg.UPLOAD_DIR = str(uploads)
    application = create_app(cfg)
    SQLModel.metadata.create_all(application.extensions["sc_engine"])
    return application


def _writer(db_path: Path, stop: threading.Event, done: list):
    """Insert a district and a station in one transaction, again and again (another process's writes)."""
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    i = 0
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO district (code, name, name_en, sort) VALUES (?, ?, ?, 0)",
                     (f"d{i}", f"区{i}", f"D{i}"))
        conn.execute("INSERT INTO station (code, name, kind, district_code, address, lat, lon, opening_hours, "
                     "services, phone, geofence_radius_m, is_active, qr_key, checkin_mode, poster_version, "
                     "created_at, updated_at) VALUES (?, ?, 'station', ?, '', 22.5, 114.0, '24/7', '[]', '', "
                     "100, 1, 'k', 'kiosk', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                     (f"s{i}", f"站{i}", f"d{i}"))
        conn.execute("COMMIT")
        i += 1
    conn.close()
    done.append(i)


@pytest.mark.skipif(_is_postgres(TEST_DATABASE_URL), reason="the SQLite backup (PostgreSQL below)")
def test_backup_under_writes_restores_identically(tmp_path):
    """Does a backup taken while another process keeps writing hold one consistent moment (as many
    stations as districts), and does `restore` into an empty database give every table identical
    (row counts and checksums) and the uploads byte for byte?"""
    db, uploads = tmp_path / "live.db", tmp_path / "uploads"
    (uploads / "study" / "7").mkdir(parents=True)
    (uploads / "study" / "7" / "report.pdf").write_bytes(b"%PDF-1.4 report" * 100)
    (uploads / "a.txt").write_text("心得体会")
    app = _sqlite_app(db, uploads)
    stop, done = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(db, stop, done))
    writer.start()
    try:
        time.sleep(0.3)
        dest = tmp_path / "backup-1"
        result = app.test_cli_runner().invoke(args=["backup", "--dest", str(dest)])
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    manifest = read_manifest(dest)
    districts, stations = manifest["tables"]["district"]["rows"], manifest["tables"]["station"]["rows"]
    assert districts == stations > 0  # one consistent snapshot, mid-stream
    assert done[0] > districts  # the writer went on after the copy
    assert manifest["uploads"] == {"files": 2, "bytes": 1500 + len("心得体会".encode())}
    assert manifest["revision"] is None  # create_all (no Alembic); a migrated database records its head

    # restore into a fresh, empty database and upload folder
    new_db, new_uploads = tmp_path / "restored.db", tmp_path / "restored-uploads"
    target = create_app(TestConfig(f"sqlite:///{new_db}"))
    target.config["UPLOAD_DIR"] = str(new_uploads)
    out = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert out.exit_code == 0, out.output
    assert "every table matches the backup" in out.output
    assert table_digests(target.extensions["sc_engine"]) == manifest["tables"]
    assert (new_uploads / "study" / "7" / "report.pdf").read_bytes() == b"%PDF-1.4 report" * 100
    assert (new_uploads / "a.txt").read_text() == "心得体会"

    # a second restore over data is refused without --force; with it, the old uploads are kept aside
    again = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert again.exit_code != 0 and "not empty" in again.output
    forced = target.test_cli_runner().invoke(args=["restore", str(dest), "--force"])
    assert forced.exit_code == 0, forced.output
    assert list(tmp_path.glob("restored-uploads.before-restore-*"))


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    """Is a folder without a manifest, or a backup of the other kind of database, refused plainly?"""
    app = _sqlite_app(tmp_path / "x.db", tmp_path / "up")
    (tmp_path / "empty").mkdir()
    out = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "empty")])
    assert out.exit_code != 0 and "not a backup folder" in out.output
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "manifest.json").write_text('{"database": {"kind": "postgresql"}, "tables": {}}')
    if not _is_postgres(TEST_DATABASE_URL):
        out = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "pg")])
        assert out.exit_code != 0 and "postgresql" in out.output


@pytest.mark.skipif(not _is_postgres(TEST_DATABASE_URL) or not shutil.which("pg_dump"),
                    reason="PostgreSQL with pg_dump and pg_restore")
def test_postgres_backup_and_restore(app, factory, tmp_path):
    """On PostgreSQL: does `backup` write a pg_dump of one snapshot with its checksums, and `restore` into
    an empty second database give every table identical?"""
    factory.member(name="备份测试")
    factory.station()
    app.config["UPLOAD_DIR"] = str(tmp_path / "up")
    dest = tmp_path / "pg-backup"
    out = app.test_cli_runner().invoke(args=["backup", "--dest", str(dest)])
    assert out.exit_code == 0, out.output
    manifest = read_manifest(dest)
    assert manifest["database"]["kind"] == "postgresql" and manifest["tables"]["member"]["rows"] == 1
    # a second, empty database next to the test one
    url = make_url(TEST_DATABASE_URL)
    restore_db = f"{url.database}_restore"
    admin = create_app(TestConfig(url.set(database="postgres").render_as_string(hide_password=False)))
    with admin.extensions["sc_engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{restore_db}"'))
        conn.execute(text(f'CREATE DATABASE "{restore_db}"'))
    admin.extensions["sc_engine"].dispose()
    target = create_app(TestConfig(url.set(database=restore_db).render_as_string(hide_password=False)))
    target.config["UPLOAD_DIR"] = str(tmp_path / "up2")
    try:
        out = target.test_cli_runner().invoke(args=["restore", str(dest)])
        assert out.exit_code == 0, out.output
        assert "every table matches the backup" in out.output
        assert table_digests(target.extensions["sc_engine"]) == manifest["tables"]
    finally:
        target.extensions["sc_engine"].dispose()
