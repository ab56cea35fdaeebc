"""The engine, one Session per request on flask.g, and the org scoping rule."""
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from flask import current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session
from sqlmodel.main import default_registry

from models.base import OrgScoped

ALL_ORGS = "all"  # the scope of an admin or of the worker
SCOPE_KEY = "org_scope"


class UnscopedQueryError(RuntimeError):
    """A branch-owned table was read by a session that never said whose data it may see."""


def make_engine(url: str, *, sqlite_busy_ms: int = 10000) -> Engine:
    """Build the engine: SQLite tuned for concurrent writers, PostgreSQL through psycopg 3.

    Statement parameters are never put in error messages or logs (they hold members' data).
    A SQLite writer waits `sqlite_busy_ms` for the lock, well inside gunicorn's 30-s timeout;
    past it the request answers 503 (ops.faults).
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": sqlite_busy_ms / 1000},
                        "hide_parameters": True}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine, sqlite_busy_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def _tune_sqlite(engine: Engine, busy_ms: int = 10000) -> None:
    """WAL, busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.connection.driver_connection.execute("BEGIN")  # deferred: a read snapshot until begin_write()


WRITE_TXN_KEY = "sqlite_write_txn"  # the session transaction that holds SQLite's write lock


def begin_write(session: Session) -> None:
    """Start a write transaction: BEGIN IMMEDIATE on SQLite, a plain transaction elsewhere.

    Call it before the first read of a write. A read snapshot already open is ended first
    (on the same connection), so the write never has to upgrade a shared lock (SQLite's busy
    trap); anything already flushed in it is committed.
    """
    if session.bind.dialect.name != "sqlite":
        return
    if session.in_transaction() and session.info.get(WRITE_TXN_KEY) is session.get_transaction():
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() after unflushed changes")
    raw = session.connection().connection.driver_connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")  # waits for other writers up to busy_timeout
    session.info[WRITE_TXN_KEY] = session.get_transaction()


def set_scope(session: Session, org_ids) -> None:
    """Declare which org units this session may read: a set of ids, ALL_ORGS, or a function that
    returns one, called at the first read that needs it (most requests never do)."""
    session.info[SCOPE_KEY] = org_ids if org_ids == ALL_ORGS or callable(org_ids) else frozenset(org_ids)


def _current_scope(session: Session):
    """The declared scope, resolving a deferred one (once per session)."""
    scope = session.info.get(SCOPE_KEY)
    if callable(scope):
        set_scope(session, scope())
        scope = session.info[SCOPE_KEY]
    return scope


@contextmanager
def unscoped(session: Session) -> Iterator[Session]:
    """Read across all org units for the length of the block (sign-in, the worker)."""
    previous = session.info.get(SCOPE_KEY)
    session.info[SCOPE_KEY] = ALL_ORGS
    try:
        yield session
    finally:
        if previous is None:
            session.info.pop(SCOPE_KEY, None)
        else:
            session.info[SCOPE_KEY] = previous


def core_connection(session: Session) -> Connection:
    """The session's connection, for a hot Core read that skips the ORM and its scoping hook.

    Pending changes are flushed first, as an ORM read would. Only for tables that are not
    branch-owned, or under an explicit scope with explicit filters.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


@lru_cache(maxsize=1)
def _scoped() -> tuple[tuple[type, ...], frozenset]:
    """Every OrgScoped mapped class and its table (the criteria must reach joined and related loads too)."""
    classes = tuple(m.class_ for m in default_registry.mappers if issubclass(m.class_, OrgScoped))
    return classes, frozenset(cls.__table__ for cls in classes)


_TOUCHES: dict = {}  # statement cache key -> whether it reads an OrgScoped table


def _touches_scoped_table(state: ORMExecuteState) -> bool:
    """Whether the statement reads any OrgScoped table, in its columns, FROM or joins.

    The answer depends only on the statement's shape, so it is remembered by the cache key
    SQLAlchemy computes (and memoises) for its compiled-statement cache anyway.
    """
    cache_key = state.statement._generate_cache_key()
    key = cache_key.key if cache_key is not None else None
    if key is not None and key in _TOUCHES:
        return _TOUCHES[key]
    classes, tables = _scoped()
    touches = any(issubclass(m.class_, OrgScoped) for m in state.all_mappers) or any(
        t in tables for t in find_tables(state.statement, include_joins=True, include_selects=True))
    if key is not None:
        if len(_TOUCHES) > 5000:
            _TOUCHES.clear()
        _TOUCHES[key] = touches
    return touches


@event.listens_for(Session, "do_orm_execute")
def _apply_org_scope(state: ORMExecuteState) -> None:
    """Filter every ORM read of an OrgScoped table to the session's declared scope."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or not _touches_scoped_table(state):
        return
    scope = _current_scope(state.session)
    if scope is None:
        raise UnscopedQueryError("declare a scope with set_scope() or unscoped() first")
    if scope == ALL_ORGS:
        return
    if state.statement._propagate_attrs.get("compile_state_plugin") != "orm":
        # A Core select of a scoped table (Table.c columns) cannot take loader criteria:
        # refuse it rather than leak; such code runs in unscoped() with its own filters.
        raise UnscopedQueryError("Core reads of branch-owned tables need unscoped() and explicit filters")
    ids = sorted(scope) or [-1]
    state.statement = state.statement.options(
        *(
            with_loader_criteria(cls, cls.org_unit_id.in_(ids), include_aliases=True)
            for cls in _scoped()[0]
        )
    )


def get_engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["sc_engine"]


def get_session() -> Session:
    """The request's Session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc=None) -> None:
    """Close the request's Session, rolling back anything uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
