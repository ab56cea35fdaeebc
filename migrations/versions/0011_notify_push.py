"""notify push: which VAPID key each device subscribed with and its last error; an index for stale claims

Revision ID: 0011_notify_push
Revises: 0009_ops
Create Date: 2026-12-03 07:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011_notify_push'
down_revision: Union[str, None] = '0009_ops'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_claimed', ['status', 'claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_claimed')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('key_id')
