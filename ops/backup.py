"""Backups and restores: `flask --app app backup` and `flask --app app restore FOLDER`.

A backup is a folder (instance/backups/<UTC time>/ by default) holding
- database.sqlite3: an online, consistent copy made through SQLite's backup API (the app keeps
  running and writing; the copy is the database as one transaction saw it), or database.dump
  from `pg_dump --format=custom` on PostgreSQL;
- uploads.tar.gz: the uploaded files (UPLOAD_DIR, instance/uploads by default);
- manifest.json: when, the schema revision, and each table's row count and checksum, which
  `restore` checks after it has copied the database back.

`restore` refuses to overwrite a database that holds any row, or an upload folder that holds
any file, unless given --force (then the old upload folder is kept aside, not deleted).
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import MetaData, Table, create_engine, func, inspect, select
from sqlalchemy.engine import Engine

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
UPLOADS_FILE = "uploads.tar.gz"


class BackupError(click.ClickException):
    """A backup or restore that cannot go on (said plainly on the command line)."""


# -- what a database holds -------------------------------------------------------------------

def table_digests(engine: Engine) -> dict[str, dict]:
    """Each table's row count and a SHA-256 of its rows in primary-key order."""
    with engine.connect() as conn:
        return _digests(conn)


def _digests(conn) -> dict[str, dict]:
    result = {}
    meta = MetaData()
    for name in sorted(inspect(conn).get_table_names()):
        table = Table(name, meta, autoload_with=conn)
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        for row in conn.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
            rows += 1
        result[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def holds_data(engine: Engine) -> bool:
    """Whether any table other than Alembic's holds a row."""
    with engine.connect() as conn:
        meta = MetaData()
        for name in inspect(conn).get_table_names():
            if name == "alembic_version":
                continue
            table = Table(name, meta, autoload_with=conn)
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                return True
    return False


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _sqlite_path(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _libpq_url(engine: Engine) -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


# -- backup ----------------------------------------------------------------------------------

def sqlite_online_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the backup API, in one step (one consistent snapshot)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def make_backup(engine: Engine, *, upload_dir: Path, dest: Path) -> dict:
    """Write a backup folder; returns its manifest."""
    dest.mkdir(parents=True, exist_ok=False)
    path = _sqlite_path(engine)
    if path is not None:
        copy = dest / SQLITE_FILE
        sqlite_online_copy(path, copy)
        snapshot = create_engine(f"sqlite:///{copy}")
        try:
            tables, revision = table_digests(snapshot), _revision(snapshot)
        finally:
            snapshot.dispose()
        database = {"kind": "sqlite", "file": SQLITE_FILE}
    else:
        tables, revision = _pg_dump(engine, dest / PG_FILE)
        database = {"kind": "postgresql", "file": PG_FILE}
    uploads = {"files": 0, "bytes": 0}
    if upload_dir.is_dir():
        with tarfile.open(dest / UPLOADS_FILE, "w:gz") as tar:
            for item in sorted(upload_dir.rglob("*")):
                if item.is_file():
                    tar.add(item, arcname=str(Path("uploads") / item.relative_to(upload_dir)))
                    uploads["files"] += 1
                    uploads["bytes"] += item.stat().st_size
    manifest = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": database,
        "revision": revision,
        "tables": tables,
        "uploads": uploads,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _pg_dump(engine: Engine, dump: Path) -> tuple[dict, str | None]:
    """pg_dump and the table digests from one exported snapshot: the manifest describes the dump exactly."""
    tool = _pg_tool("pg_dump")
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            subprocess.run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                            f"--file={dump}", _libpq_url(engine)], check=True, capture_output=True)
            tables = _digests(conn)
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
                if "alembic_version" in tables else None
    return tables, revision


# -- restore ---------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise BackupError(f"{folder} is not a backup folder (no readable {MANIFEST}).") from e


def restore_backup(engine: Engine, *, folder: Path, upload_dir: Path, force: bool = False) -> dict:
    """Put a backup back and check every table against the manifest; returns
    {"tables": n, "verified": bool, "uploads": files}."""
    manifest = read_manifest(folder)
    kind = manifest["database"]["kind"]
    if kind != engine.dialect.name:
        raise BackupError(f"This backup is of a {kind} database; the app's database is {engine.dialect.name}.")
    if not force and holds_data(engine):
        raise BackupError("The database is not empty. Restore over it only with --force.")
    if not force and upload_dir.is_dir() and any(p.is_file() for p in upload_dir.rglob("*")):
        raise BackupError(f"{upload_dir} holds files. Restore over them only with --force.")
    engine.dispose()  # no pooled connection keeps the old database open
    if kind == "sqlite":
        target = _sqlite_path(engine)
        src = sqlite3.connect(f"file:{folder / SQLITE_FILE}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
    else:
        subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                        "--single-transaction", f"--dbname={_libpq_url(engine)}", str(folder / PG_FILE)],
                       check=True, capture_output=True)
    restored_files = _restore_uploads(folder, upload_dir)
    verified = table_digests(engine) == manifest["tables"]
    return {"tables": len(manifest["tables"]), "verified": verified, "uploads": restored_files}


def _restore_uploads(folder: Path, upload_dir: Path) -> int:
    archive = folder / UPLOADS_FILE
    if not archive.exists():
        return 0
    if upload_dir.exists():
        if any(upload_dir.iterdir()):
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            aside = upload_dir.with_name(f"{upload_dir.name}.before-restore-{stamp}")
            upload_dir.rename(aside)
        else:
            upload_dir.rmdir()
    with tempfile.TemporaryDirectory(dir=upload_dir.parent) as tmp, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, filter="data")  # no absolute paths, no links out, no devices
        unpacked = Path(tmp) / "uploads"
        unpacked.mkdir(exist_ok=True)
        count = sum(1 for p in unpacked.rglob("*") if p.is_file())
        os.replace(unpacked, upload_dir)
    return count


# -- the commands ----------------------------------------------------------------------------

def _default_folder() -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / stamp


@click.command("backup")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to create (default: instance/backups/<UTC time>/).")
@with_appcontext
def backup_cli(dest: Path | None) -> None:
    """Back up the database (online) and the uploaded files into a new folder."""
    dest = dest or _default_folder()
    if dest.exists():
        raise BackupError(f"{dest} exists already; give a new folder.")
    manifest = make_backup(current_app.extensions["sc_engine"], upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                           dest=dest)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"backup written to {dest}: {len(manifest['tables'])} tables, {rows} rows, "
               f"{manifest['uploads']['files']} uploaded files")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database and uploads that are not empty.")
@with_appcontext
def restore_cli(folder: Path, force: bool) -> None:
    """Restore a backup folder made by `flask backup` (stop the web and worker processes first)."""
    result = restore_backup(current_app.extensions["sc_engine"], folder=folder,
                            upload_dir=Path(current_app.config["UPLOAD_DIR"]), force=force)
    check = "every table matches the backup" if result["verified"] else "TABLES DIFFER FROM THE BACKUP"
    click.echo(f"restored {result['tables']} tables from {folder} ({check}); {result['uploads']} uploaded files")
    if result["verified"] is False:
        raise SystemExit(1)
