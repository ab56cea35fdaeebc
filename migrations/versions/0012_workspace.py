"""workspace: the branch committee's term, the members' yearly evaluation (who answered, apart from what)

Revision ID: 0012_workspace
Revises: 0011_notify_push
Create Date: 2026-12-03 07:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0012_workspace'
down_revision: Union[str, None] = '0011_notify_push'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('branch_term',
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('elected_on', sa.Date(), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_unit_id')
    )
    with op.batch_alter_table('branch_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_term_org_unit_id'), ['org_unit_id'], unique=False)

    op.create_table('evaluation_ballot',
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'year')
    )
    with op.batch_alter_table('evaluation_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_ballot_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_ballot_org_unit_id'), ['org_unit_id'], unique=False)

    op.create_table('evaluation_answer',
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_answer_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_answer_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluation_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_answer_year'))
        batch_op.drop_index(batch_op.f('ix_evaluation_answer_org_unit_id'))
    op.drop_table('evaluation_answer')
    with op.batch_alter_table('evaluation_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_ballot_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_ballot_member_id'))
    op.drop_table('evaluation_ballot')
    with op.batch_alter_table('branch_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_term_org_unit_id'))
    op.drop_table('branch_term')
