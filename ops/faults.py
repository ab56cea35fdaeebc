"""Faults the app rides out: a busy or unreachable database answers 503 with Retry-After, never 500.

- SQLite locked past its busy timeout (another writer held the lock too long): 503, Retry-After 2.
- PostgreSQL restarting, refusing connections, or a connection cut under a request: 503,
  Retry-After 2; the pool drops the dead connections (pool_pre_ping tests each one at checkout),
  so requests succeed again as soon as the server is back.
- The connection pool exhausted for longer than its timeout: 503.
Any other database error is a bug and stays a logged 500.

Redis (REDIS_URL) is optional at run time: Flask-Limiter swallows storage errors and counts in
memory until Redis answers again (config.py sets it up), and `ops.queue.enqueue` runs a task
in place when the queue cannot be reached. Both log a warning.
"""
import logging
import sqlite3

from flask import Flask, g
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

RETRY_AFTER_S = 2
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# SQLSTATEs of a server going away or not taking connections yet (PostgreSQL appendix A)
_PG_TRANSIENT = {"57P01", "57P02", "57P03", "53300", "40001", "40P01"}


def is_transient(error: BaseException) -> bool:
    """Whether a database error means "busy or unreachable, try again" rather than a bug."""
    if isinstance(error, sa_exc.TimeoutError):  # QueuePool limit reached
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        orig = error.orig
    else:
        orig = error
    if isinstance(orig, sqlite3.OperationalError):
        return any(text in str(orig).lower() for text in _SQLITE_BUSY)
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    if isinstance(orig, psycopg.Error):
        state = getattr(orig, "sqlstate", None)
        if state is None:
            # no SQLSTATE: the connection itself failed (refused, reset, closed by the server)
            return isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError))
        return state.startswith("08") or state in _PG_TRANSIENT
    return False


def unavailable(retry_after: int = RETRY_AFTER_S):
    """The 503 answer: the error page (or the htmx notice) with a Retry-After header."""
    from blueprints.errors import error_page

    body, status, *rest = error_page(503, _("The service is busy. Please try again in a moment."))
    headers = dict(rest[0]) if rest else {}
    headers["Retry-After"] = str(retry_after)
    return body, status, headers


def init_fault_handlers(app: Flask) -> None:
    """503 for transient database errors; the generic handler keeps every other error."""
    from extensions import login_manager
    from models.db import close_session

    def _database_error(e: Exception):
        try:
            close_session()  # roll back; a dead connection is dropped by the pool
        except Exception:  # noqa: BLE001 - the connection may be gone already
            log.warning("could not close the session after a database error")
        if is_transient(e):
            # the page is rendered without asking the database who is signed in (it cannot answer)
            g._login_user = login_manager.anonymous_user()
            log.warning("database busy or unreachable: answered 503",
                        extra={"fields": {"error": type(e).__name__}})
            return unavailable()
        log.exception("unhandled database error")
        from blueprints.errors import error_page

        return error_page(500)

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sqlite3.OperationalError):
        app.register_error_handler(kind, _database_error)
    try:
        import psycopg

        app.register_error_handler(psycopg.OperationalError, _database_error)
    except ImportError:  # pragma: no cover
        pass
