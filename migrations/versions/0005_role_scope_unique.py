"""roles: one row per member, role and place, NULLs included (the old constraint let NULLs repeat)

Revision ID: 0005_role_scope
Revises: 0003_geo
Create Date: 2026-11-22 03:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005_role_scope'
down_revision: Union[str, None] = '0003_geo'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # keep the oldest of any repeated role before the index can refuse them
    op.execute(sa.text(
        "DELETE FROM role WHERE id NOT IN (SELECT min(id) FROM role GROUP BY member_id, role, "
        "coalesce(org_unit_id, 0), coalesce(station_id, 0))"))
    op.create_index('uq_role_scope', 'role', ['member_id', 'role', sa.text('coalesce(org_unit_id, 0)'),
                                              sa.text('coalesce(station_id, 0)')], unique=True)


def downgrade() -> None:
    op.drop_index('uq_role_scope', table_name='role')
