"""equality monitoring: optional ethnicity and sex on young people (never used by triage)

Revision ID: 0007d
Revises: 0006h
Create Date: 2026-12-01 18:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import api.db

revision: str = '0007d'
down_revision: str | None = '0006h'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('young_people') as batch:
        batch.add_column(sa.Column('ethnicity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.add_column(sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column('monitoring_updated_at', api.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('young_people') as batch:
        batch.drop_column('monitoring_updated_at')
        batch.drop_column('sex')
        batch.drop_column('ethnicity')
