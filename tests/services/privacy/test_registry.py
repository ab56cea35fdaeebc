"""The export registry names every table that holds something about a member."""
import re

from sqlmodel import SQLModel

import models  # noqa: F401  (every table)
from services.privacy import registry

MEMBERISH = re.compile(r"(^|_)member_id$|^(actor_id|created_by|uploaded_by|decided_by|reviewed_by|answered_by|"
                       r"marked_by|locked_by|updated_by|leave_decided_by|staff_id|host_id|recorder_id)$")


def member_columns(table) -> set[str]:
    """Columns that point at a member: a foreign key to member.id, or a name that says so."""
    found = set()
    for column in table.c:
        if any(fk.column.table.name == "member" for fk in column.foreign_keys) or MEMBERISH.search(column.name):
            found.add(column.name)
    return found


def test_every_table_with_a_member_column_is_in_the_export():
    """Does the registry list every table (and every member column) the models have? A new table fails here."""
    sources = registry.by_table()
    missing, partial = [], []
    for name, table in SQLModel.metadata.tables.items():
        columns = member_columns(table)
        if name == "member":
            columns = {"id"}
        if name == "audit_entry":
            columns |= {"actor_id"}
        if name in registry.NOT_EXPORTED:
            continue
        if not columns:
            continue
        if name not in sources:
            missing.append(name)
        elif not columns <= set(sources[name].columns):
            partial.append((name, sorted(columns - set(sources[name].columns))))
    assert not missing, f"add a line to services/privacy/registry.py for: {missing}"
    assert not partial, f"member columns missing from services/privacy/registry.py: {partial}"


def test_registry_names_real_columns():
    """Does every column the registry names exist (a typo would export nothing)?"""
    tables = SQLModel.metadata.tables
    for source in registry.sources():
        if source.table in tables:
            assert set(source.columns) <= set(tables[source.table].c.keys()), source.table


def test_the_walk_would_notice_a_new_table():
    """Would a table added with a member column fail the walk (the test can fail)?"""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

    meta = MetaData()
    Table("member", meta, Column("id", Integer, primary_key=True))
    extra = Table("push_device_v2", meta, Column("id", Integer, primary_key=True),
                  Column("owner", Integer, ForeignKey("member.id")))
    assert member_columns(extra) == {"owner"} and "push_device_v2" not in registry.by_table()
