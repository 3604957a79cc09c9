"""safeguarding rules: the child's situation on incidents, clock outcomes, repeat-missing rename

Revision ID: 0006g
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import api.db

revision: str = '0006g'
down_revision: str | None = '0006b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
OLD_REPEAT_KIND = 'strategy_meeting'
NEW_REPEAT_KIND = 'repeat_missing_review'
OFFER_OUTCOMES_BEFORE = "outcome IN ('accepted', 'declined', 'not_possible')"
# An appropriate adult is requested, attends or is not available (never declined).
OFFER_OUTCOMES = (
    "outcome IN ('accepted', 'declined', 'not_possible', 'requested', 'attended', 'not_available')"
)
NEW_REPEAT_LABEL = 'Repeat missing: local review (not the statutory strategy discussion)'
OLD_REPEAT_LABEL = 'Repeat missing: strategy meeting'


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('was_missing', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('charged_at', api.db.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('released_at', api.db.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('returned_home_at', api.db.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('assault_at', api.db.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('clocks') as batch:
        batch.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.add_column(sa.Column('detail', JSON, server_default='{}', nullable=False))
    with op.batch_alter_table('support_offers') as batch:
        batch.drop_constraint(op.f('ck_support_offers_outcome'), type_='check')
        batch.create_check_constraint(op.f('ck_support_offers_outcome'), OFFER_OUTCOMES)
    # A missing return was always a missing episode.
    op.execute("UPDATE incidents SET was_missing = true WHERE kind = 'missing_return'")
    # The local repeat-missing flag is not the statutory strategy discussion: renamed.
    op.execute(
        sa.text("UPDATE clocks SET kind = :new, label = :label WHERE kind = :old").bindparams(
            new=NEW_REPEAT_KIND, label=NEW_REPEAT_LABEL, old=OLD_REPEAT_KIND
        )
    )


def downgrade() -> None:
    op.execute(
        sa.text("UPDATE clocks SET kind = :old, label = :label WHERE kind = :new").bindparams(
            new=NEW_REPEAT_KIND, label=OLD_REPEAT_LABEL, old=OLD_REPEAT_KIND
        )
    )
    op.execute(
        "UPDATE support_offers SET outcome = CASE outcome WHEN 'attended' THEN 'accepted' "
        "WHEN 'requested' THEN 'accepted' ELSE 'not_possible' END "
        "WHERE outcome IN ('requested', 'attended', 'not_available')"
    )
    with op.batch_alter_table('support_offers') as batch:
        batch.drop_constraint(op.f('ck_support_offers_outcome'), type_='check')
        batch.create_check_constraint(op.f('ck_support_offers_outcome'), OFFER_OUTCOMES_BEFORE)
    with op.batch_alter_table('clocks') as batch:
        batch.drop_column('detail')
        batch.drop_column('outcome')
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('assault_at')
        batch.drop_column('returned_home_at')
        batch.drop_column('released_at')
        batch.drop_column('charged_at')
        batch.drop_column('was_missing')
