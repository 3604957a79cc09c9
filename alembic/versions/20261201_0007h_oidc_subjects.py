"""sign-in through the organisation: one user per OpenID subject

Revision ID: 0007h
Revises: 0007g
Create Date: 2026-12-01 19:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007h'
down_revision: str | None = '0007g'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_users_external_subject', 'users', ['external_subject'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_users_external_subject', table_name='users')
