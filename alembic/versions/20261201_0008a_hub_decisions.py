"""hub decisions

The decisions a weekly hub meeting records about a young person; each one's due date is a
`hub_decision` clock (in the clocks table) owned by the decision's owner.

Revision ID: 0008a
Revises: 0008b
Create Date: 2026-12-01 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import api.db

revision: str = '0008a'
down_revision: str | None = '0008b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hub_decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('young_person_id', sa.Uuid(), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('clock_id', sa.Uuid(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=False),
    sa.Column('decided_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('no_further_action', 'programme_6_weeks', 'programme_12_weeks', 'strategy_discussion', 'context_assessment', 'disruption_action')", name=op.f('ck_hub_decisions_kind')),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_hub_decisions_clock_id_clocks')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_hub_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_hub_decisions_incident_id_incidents')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_hub_decisions_owner_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_hub_decisions_team_id_teams')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_people.id'], name=op.f('fk_hub_decisions_young_person_id_young_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_decisions')),
    sa.UniqueConstraint('clock_id', name=op.f('uq_hub_decisions_clock_id'))
    )
    with op.batch_alter_table('hub_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_hub_decisions_team_week', ['team_id', 'week'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_decisions_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_decisions_young_person_id'), ['young_person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hub_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_decisions_young_person_id'))
        batch_op.drop_index(batch_op.f('ix_hub_decisions_owner_id'))
        batch_op.drop_index('ix_hub_decisions_team_week')
    op.drop_table('hub_decisions')
