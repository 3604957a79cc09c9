"""sign-in throttle pairs and revoked sessions

Revision ID: 0006a
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import api.db

revision: str = '0006a'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signin_failures',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username', 'client_address', name=op.f('pk_signin_failures'))
    )
    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_failures_client_address'), ['client_address'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_failures_last_failure_at'), ['last_failure_at'], unique=False)

    op.create_table('session_revocations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('issued_before', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('revoked_by_id', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_session_revocations_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_revocations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_revocations'))
    )
    with op.batch_alter_table('session_revocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_revocations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_revocations_token_id'), ['token_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_revocations_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('session_revocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_revocations_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_revocations_token_id'))
        batch_op.drop_index(batch_op.f('ix_session_revocations_expires_at'))
    op.drop_table('session_revocations')

    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_failures_last_failure_at'))
        batch_op.drop_index(batch_op.f('ix_signin_failures_client_address'))
    op.drop_table('signin_failures')
