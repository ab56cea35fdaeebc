"""Static files: served by WhiteNoise, precompressed (Brotli and gzip), cached for a year when fingerprinted.

The templates ask for `/static/css/app.css?v=<hash>` (templating.py adds the first 10 hex digits
of the file's SHA-256). A request whose `v` is the file's current hash is answered with
`Cache-Control: public, max-age=31536000, immutable`: its content can never change under that
URL. Any other request for the file (no `v`, or an old one) gets `no-cache`, so the browser
revalidates with the ETag. WhiteNoise serves `<file>.br` or `<file>.gz` to clients that accept
them; those copies are made by `flask --app app static` (`make static`, part of `make setup`)
and, when missing or older than their file, once at app start (under a lock, so several gunicorn
workers starting together compress each file once).
"""
import fcntl
import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

import click
from flask import current_app
from flask.cli import with_appcontext
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_DIGITS = 10  # must match templating._file_hash
MIN_BYTES = 1024  # smaller files gain nothing that matters from compression


def file_hash(path: Path) -> str:
    """The fingerprint templating.py puts in ?v= (first 10 hex digits of the SHA-256)."""
    stat = path.stat()
    return _hash(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _hash(path: str, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_DIGITS]


def _compressor() -> Compressor:
    return Compressor(quiet=True)


def stale_files(root: Path) -> list[Path]:
    """Files worth compressing (text of 1 KB or more) whose .br or .gz copy is missing or older than the file."""
    compressor = _compressor()
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in (".gz", ".br", ".tmp") or not compressor.should_compress(path.name):
            continue
        if path.stat().st_size < MIN_BYTES:
            continue
        mtime = path.stat().st_mtime
        copies = [path.with_name(path.name + s) for s in ((".br", ".gz") if compressor.use_brotli else (".gz",))]
        if not all(c.exists() and c.stat().st_mtime >= mtime for c in copies):
            found.append(path)
    return found


def compress_static(root: Path, *, lock_dir: Path | None = None) -> list[Path]:
    """Write the .br and .gz copies that are missing or stale; returns the files compressed.

    Several processes may call it at once: a lock file makes one of them do the work.
    Copies are written under a temporary name and renamed, so no reader sees half a file.
    """
    root = Path(root)
    if not stale_files(root):
        return []
    lock_path = Path(lock_dir or root) / ".compress.lock"
    try:
        lock_file = open(lock_path, "w")  # noqa: SIM115 - held for the length of the work
    except OSError:
        log.warning("static files not compressed: cannot write in %s", lock_path.parent)
        return []
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        done = []
        compressor = _compressor()
        for path in stale_files(root):
            try:
                _compress_one(compressor, path)
            except OSError:
                log.warning("could not compress a static file", extra={"fields": {"file": path.name}})
                continue
            done.append(path)
        return done


def _compress_one(compressor: Compressor, path: Path) -> None:
    data = path.read_bytes()
    stat = path.stat()
    copies = [(".gz", compressor.compress_gzip(data))]
    if compressor.use_brotli:
        copies.append((".br", compressor.compress_brotli(data)))
    for suffix, compressed in copies:
        target = path.with_name(path.name + suffix)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(compressed)
        os.utime(tmp, (stat.st_atime, stat.st_mtime))
        os.replace(tmp, target)


class StaticFiles(WhiteNoise):
    """WhiteNoise with the cache lifetime chosen by the ?v= fingerprint of each request."""

    def __init__(self, application, root: str, prefix: str = "/static/"):
        super().__init__(application, root=root, prefix=prefix, max_age=None,
                         add_headers_function=self._add_headers)
        base = Path(root)
        self.hashes = {url: file_hash(base / url[len(prefix):]) for url in self.files}

    @staticmethod
    def _add_headers(headers, _path, _url) -> None:
        headers["X-Content-Type-Options"] = "nosniff"

    def serve(self, static_file, environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        fingerprinted = query.get("v", [None])[0] == self.hashes.get(path)
        cache = IMMUTABLE if fingerprinted else REVALIDATE

        def _start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
            headers.append(("Cache-Control", cache))
            return start_response(status, headers, exc_info)

        return WhiteNoise.serve(static_file, environ, _start)


def init_static(app) -> None:
    """Compress what needs it, then put WhiteNoise in front of the app for /static/."""
    root = Path(app.static_folder)
    if app.config.get("STATIC_COMPRESS_AT_START", True):
        compress_static(root, lock_dir=Path(app.instance_path) if os.access(app.instance_path, os.W_OK) else None)
    app.wsgi_app = StaticFiles(app.wsgi_app, root=str(root), prefix=app.static_url_path.rstrip("/") + "/")


@click.command("static")
@with_appcontext
def static_cli() -> None:
    """Write the Brotli and gzip copies of the static files (make static)."""
    done = compress_static(Path(current_app.static_folder))
    click.echo(f"compressed {len(done)} static files" if done else "static files already compressed")
