"""notify: the outbox (notification, delivery), push devices, channel preferences, SMS counts;
the in-app notices move into notification and their table goes

Revision ID: 0008_notify
Revises: 0005_role_scope
Create Date: 2026-12-02 23:01:13.440207
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0008_notify'
down_revision: Union[str, None] = '0005_role_scope'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('scheduled', sa.Boolean(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('important', sa.Boolean(), nullable=False),
    sa.Column('event_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'purpose', 'key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_member_due', ['member_id', 'due_at'], unique=False)
        batch_op.create_index('ix_notification_subject', ['subject'], unique=False)

    op.create_table('notify_preference',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'purpose', 'channel')
    )
    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('endpoint_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('p256dh', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('auth', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint_hash')
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_member_id'), ['member_id'], unique=False)

    op.create_table('sms_quota',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'day')
    )
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('next_attempt_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('sent_to', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('small', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_id', 'channel')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_claim', ['claim_token'], unique=False)
        batch_op.create_index('ix_delivery_member', ['member_id', 'channel', 'status'], unique=False)
        batch_op.create_index('ix_delivery_ready', ['status', 'next_attempt_at'], unique=False)

    # the in-app notices of study become notifications (already due, read state kept)
    op.execute(sa.text(
        "INSERT INTO notification (member_id, purpose, key, subject, scheduled, title, body, url, important, "
        "event_at, due_at, created_at, read_at, withdrawn_at) "
        "SELECT member_id, CASE WHEN key LIKE '%study-remind%' THEN 'study_due' ELSE 'study_review' END, "
        "COALESCE(key, 'notice:' || id), NULL, false, title, body, link, false, NULL, created_at, created_at, "
        "read_at, NULL FROM notice"))
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_member_id'))

    op.drop_table('notice')


def downgrade() -> None:
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'key')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_member_id'), ['member_id'], unique=False)
    # the inbox goes back to notices (study's only; the other purposes did not exist before)
    op.execute(sa.text(
        "INSERT INTO notice (member_id, title, body, link, key, created_at, read_at) "
        "SELECT member_id, title, body, url, CASE WHEN key LIKE 'notice:%' THEN NULL ELSE substr(key, 1, 120) END, "
        "due_at, read_at FROM notification WHERE purpose IN ('study_due', 'study_review')"))

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_ready')
        batch_op.drop_index('ix_delivery_member')
        batch_op.drop_index('ix_delivery_claim')

    op.drop_table('delivery')
    op.drop_table('sms_quota')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscription_member_id'))

    op.drop_table('push_subscription')
    op.drop_table('notify_preference')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_subject')
        batch_op.drop_index('ix_notification_member_due')

    op.drop_table('notification')
