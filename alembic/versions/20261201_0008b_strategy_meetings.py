"""strategy meetings about a place: the meeting (attendees, concerns, review clock) and its
agreed actions

Revision ID: 0008b
Revises: 0007b
Create Date: 2026-12-01 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import api.db

revision: str = '0008b'
down_revision: str | None = '0007b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('strategy_meetings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendees', JSON, nullable=False),
    sa.Column('concerns', sa.Text(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('review_starts_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('review_due_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('review_met_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('review_met_by_id', sa.Uuid(), nullable=True),
    sa.Column('review_met_note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_strategy_meetings_place_id_places')),
    sa.ForeignKeyConstraint(['review_met_by_id'], ['users.id'], name=op.f('fk_strategy_meetings_review_met_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_strategy_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_meetings'))
    )
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_meetings_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_meetings_review_due_at'), ['review_due_at'], unique=False)

    op.create_table('strategy_actions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_user_id', sa.Uuid(), nullable=True),
    sa.Column('owner_text', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('done_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('patrols', 'licensing_review', 'community_protection_notice', 'closure_order', 'outreach', 'work_with_venue', 'other')", name=op.f('ck_strategy_actions_kind')),
    sa.CheckConstraint("status IN ('open', 'done')", name=op.f('ck_strategy_actions_status')),
    sa.CheckConstraint('owner_user_id IS NOT NULL OR owner_text IS NOT NULL', name=op.f('ck_strategy_actions_owner')),
    sa.ForeignKeyConstraint(['meeting_id'], ['strategy_meetings.id'], name=op.f('fk_strategy_actions_meeting_id_strategy_meetings')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_strategy_actions_place_id_places')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_strategy_actions_owner_user_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_strategy_actions_done_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_actions'))
    )
    with op.batch_alter_table('strategy_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_actions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_actions_place_id'), ['place_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('strategy_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_actions_place_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_actions_meeting_id'))
    op.drop_table('strategy_actions')
    with op.batch_alter_table('strategy_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_meetings_review_due_at'))
        batch_op.drop_index(batch_op.f('ix_strategy_meetings_place_id'))
    op.drop_table('strategy_meetings')
