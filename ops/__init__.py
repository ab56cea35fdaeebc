"""Operations: what a deployment needs around the domains, wired into the app in one call.

- logs: JSON log lines, the request id (X-Request-ID), one line per request and per worker task
- static: static files through WhiteNoise, precompressed, immutable when fingerprinted
- compress: Brotli/gzip for the app's own HTML and JSON
- faults: 503 + Retry-After when the database is busy or unreachable
- queue: enqueueing that degrades when Redis is down
- backup: `flask --app app backup` / `restore` (SQLite online backup + uploads, or pg_dump)
and, here, the forwarded headers of trusted reverse proxies (TRUSTED_PROXIES, werkzeug's ProxyFix).
"""
from flask import Flask

from ops.logs import RequestLog, configure_logging, init_request_fields, log_tasks

__all__ = ["configure_logging", "init_app", "log_tasks"]


def init_app(app: Flask) -> None:
    """Logs, static files, compression, fault handlers, proxy headers and the ops commands."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from ops.backup import backup_cli, restore_cli
    from ops.compress import init_compression
    from ops.faults import init_fault_handlers
    from ops.static import init_static, static_cli

    configure_logging()
    init_fault_handlers(app)
    init_request_fields(app)
    init_compression(app)
    hops = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    init_static(app)
    app.wsgi_app = RequestLog(app.wsgi_app, static_prefix=app.static_url_path.rstrip("/") + "/")
    app.cli.add_command(backup_cli)
    app.cli.add_command(restore_cli)
    app.cli.add_command(static_cli)
