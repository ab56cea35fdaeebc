"""The audit trail (留痕): who did what to whom and when, append-only, each entry chained to the one before by hash.

Rows of `audit_entry` are never updated or deleted: triggers refuse it in the database (made by
migration 0013_privacy, and by `create_all` through the DDL below). `audit_head` holds the last
entry's id and hash: appends lock it (one writer at a time), and `audit verify` compares the
chain's end with it, so a cut-off tail shows too.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import DDL, Index, Text, event
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One exercise of authority: actor, action, subject member, unit, before and after (JSON), chained by hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_unit_time", "org_unit_id", "created_at"),
        Index("ix_audit_member_time", "member_id", "created_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: Optional[int] = Field(default=None, index=True)  # NULL: the system (worker, CLI)
    action: str = Field(max_length=40, index=True)
    member_id: Optional[int] = Field(default=None)  # the member the action concerns, if any
    org_unit_id: Optional[int] = Field(default=None)  # the branch it happened in, if any
    target: str = Field(default="", max_length=80)  # what was acted on, e.g. "checkin:42"
    before: str = Field(default="{}", sa_type=Text)  # canonical JSON, personal secrets removed
    after: str = Field(default="{}", sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's end: the last entry's id and hash (one row, id 1); locked by every append."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = Field(default=0)
    last_hash: str = Field(default="", max_length=64)


# -- append-only in the database itself ---------------------------------------------------------------------------

SQLITE_GUARD_DDL = [
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
]
SQLITE_GUARD_DROP = ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"]
POSTGRES_GUARD_DDL = [
    """CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only';
END $$""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
]
POSTGRES_GUARD_DROP = ["DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
                       "DROP FUNCTION IF EXISTS audit_entry_append_only()"]


def guard_ddl(dialect: str) -> list[str]:
    """The statements that make audit_entry append-only on this database."""
    return {"sqlite": SQLITE_GUARD_DDL, "postgresql": POSTGRES_GUARD_DDL}.get(dialect, [])


def guard_drop_ddl(dialect: str) -> list[str]:
    """The statements that take the guard away (downgrade; tests that play the tamperer)."""
    return {"sqlite": SQLITE_GUARD_DROP, "postgresql": POSTGRES_GUARD_DROP}.get(dialect, [])


def _create_guard(_metadata, connection, **_kw) -> None:
    """After `create_all` (tests, the browser test server): the same guard as the migration."""
    for statement in guard_ddl(connection.dialect.name):
        connection.execute(DDL(statement))


event.listen(SQLModel.metadata, "after_create", _create_guard)
