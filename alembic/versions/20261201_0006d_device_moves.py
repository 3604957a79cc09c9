"""device moves: a shared phone passed between workers

Revision ID: 0006d
Revises: 0005
Create Date: 2026-12-01 15:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0006d'
down_revision: str | None = '0006a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('device_moves',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('from_user_id', sa.Uuid(), nullable=False),
    sa.Column('to_user_id', sa.Uuid(), nullable=False),
    sa.Column('moved_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['push_subscriptions.id'], name=op.f('fk_device_moves_device_id_push_subscriptions')),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_device_moves_from_user_id_users')),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_device_moves_to_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_moves'))
    )
    with op.batch_alter_table('device_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_moves_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_moves_from_user_id'), ['from_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_moves_from_user_id'))
        batch_op.drop_index(batch_op.f('ix_device_moves_device_id'))
    op.drop_table('device_moves')
