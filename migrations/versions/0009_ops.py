"""operations: a change counter per table, bumped by triggers (stations first)

Revision ID: 0009_ops
Revises: 0008_notify
Create Date: 2026-12-02 23:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# (written out here rather than imported, so that this migration stays as it was when models/ops.py changes)
VERSIONED_TABLES = ('station',)
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_table_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO table_version (name, version) VALUES (TG_TABLE_NAME, 1)
  ON CONFLICT (name) DO UPDATE SET version = table_version.version + 1;
  RETURN NULL;
END $$
"""


def sqlite_trigger_ddl(table: str) -> list[str]:
    bump = (f"INSERT INTO table_version (name, version) VALUES ('{table}', 1) "
            f"ON CONFLICT (name) DO UPDATE SET version = version + 1;")
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_version_{kind.lower()} AFTER {kind} ON {table} "
            f"BEGIN {bump} END" for kind in ('INSERT', 'UPDATE', 'DELETE')]


def sqlite_drop_ddl(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_version_{kind}" for kind in ('insert', 'update', 'delete')]


def postgres_trigger_ddl(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_version ON {table}",
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION bump_table_version()"]


def postgres_drop_ddl(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_version ON {table}"]

revision: str = '0009_ops'
down_revision: Union[str, None] = '0008_notify'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'table_version',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(POSTGRES_FUNCTION)
    for table in VERSIONED_TABLES:
        op.execute(sa.text(f"INSERT INTO table_version (name, version) VALUES ('{table}', 1)"))
        for statement in (postgres_trigger_ddl(table) if dialect == 'postgresql' else sqlite_trigger_ddl(table)):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in VERSIONED_TABLES:
        for statement in (postgres_drop_ddl(table) if dialect == 'postgresql' else sqlite_drop_ddl(table)):
            op.execute(statement)
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS bump_table_version()')
    op.drop_table('table_version')
