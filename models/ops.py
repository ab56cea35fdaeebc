"""A change counter per table, bumped by the database itself on every write to the table.

Each process keeps copies of the stations (services.stations.catalogue); it compares the
counter with the one its copy was built from, twice a second, so a station closed or a
poster renewed on one host is seen by every host and worker within a second. The counter is
bumped by triggers (created by migration 0009_ops, and by `create_all` through the DDL below),
so every write counts: ORM, Core, another host, or SQL typed by hand.
"""
from sqlalchemy import DDL, event
from sqlmodel import Field, SQLModel

VERSIONED_TABLES = ("station",)


class TableVersion(SQLModel, table=True):
    """How many writes a table has seen (per table, not per row)."""

    __tablename__ = "table_version"

    name: str = Field(primary_key=True, max_length=40)
    version: int = Field(default=0)


def sqlite_trigger_ddl(table: str) -> list[str]:
    """SQLite: one trigger per kind of write (row-level; SQLite has no statement triggers)."""
    bump = (f"INSERT INTO table_version (name, version) VALUES ('{table}', 1) "
            f"ON CONFLICT (name) DO UPDATE SET version = version + 1;")
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_version_{kind.lower()} AFTER {kind} ON {table} "
            f"BEGIN {bump} END" for kind in ("INSERT", "UPDATE", "DELETE")]


def sqlite_drop_ddl(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_version_{kind}" for kind in ("insert", "update", "delete")]


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_table_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO table_version (name, version) VALUES (TG_TABLE_NAME, 1)
  ON CONFLICT (name) DO UPDATE SET version = table_version.version + 1;
  RETURN NULL;
END $$
"""


def postgres_trigger_ddl(table: str) -> list[str]:
    """PostgreSQL: one statement-level trigger (an import of 2,300 rows bumps the counter once)."""
    return [f"DROP TRIGGER IF EXISTS {table}_version ON {table}",
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION bump_table_version()"]


def postgres_drop_ddl(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_version ON {table}"]


def _create_triggers(_metadata, connection, **_kw) -> None:
    """After `create_all` (tests, the browser test server): the same triggers as the migration."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = [s for t in VERSIONED_TABLES for s in sqlite_trigger_ddl(t)]
    elif dialect == "postgresql":
        statements = [POSTGRES_FUNCTION] + [s for t in VERSIONED_TABLES for s in postgres_trigger_ddl(t)]
    else:  # pragma: no cover
        return
    for statement in statements:
        connection.execute(DDL(statement))


event.listen(SQLModel.metadata, "after_create", _create_triggers)
