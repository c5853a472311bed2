"""change sequence followed by the search index

Revision ID: search_1
Revises: jobs_1
Create Date: 2026-12-01 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'search_1'
down_revision = 'jobs_1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_sequence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('epoch', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_sequence'))
    )
    op.create_table('dataset_change',
    sa.Column('dataset_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('dataset_id', name=op.f('pk_dataset_change'))
    )
    with op.batch_alter_table('dataset_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_change_seq'), ['seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dataset_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_change_seq'))
    op.drop_table('dataset_change')
    op.drop_table('change_sequence')
