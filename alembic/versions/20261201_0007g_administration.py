"""administration: rotations can be edited (a version) and areas and stations retired

Revision ID: 0007g
Revises: 0007c
Create Date: 2026-12-01 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = "0007g"
down_revision: str | None = "0007c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rotations", schema=None) as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("updated_at", api.db.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("areas", schema=None) as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("stations", schema=None) as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch:
        batch.drop_column("active")
    with op.batch_alter_table("areas", schema=None) as batch:
        batch.drop_column("active")
    with op.batch_alter_table("rotations", schema=None) as batch:
        batch.drop_column("updated_at")
        batch.drop_column("version")
