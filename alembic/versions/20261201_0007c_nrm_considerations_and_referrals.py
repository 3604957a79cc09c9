"""nrm considerations and referrals: the NRM action on an incident, the referral to the front door

Incidents reported before this revision have no referral record (only new reports make one).

Revision ID: 0007c
Revises: 0007e
Create Date: 2026-12-01 18:14:30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import api.db

revision: str = '0007c'
down_revision: str | None = '0007e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('nrm_considerations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('reasons', JSON, nullable=False),
    sa.Column('raised_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('s45_flagged_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('referral_reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('referred_on', sa.Date(), nullable=True),
    sa.Column('not_referred_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IS NULL OR decision IN ('referred', 'not_referred')", name=op.f('ck_nrm_considerations_decision')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_nrm_considerations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_nrm_considerations_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nrm_considerations')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_nrm_considerations_incident_id'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('young_person_id', sa.Uuid(), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('authority_id', sa.Uuid(), nullable=True),
    sa.Column('receiving_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('receiving_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('allocated_team', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('host_authority_id', sa.Uuid(), nullable=True),
    sa.Column('reasons', JSON, nullable=False),
    sa.Column('referred_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decision_due_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('received_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('receipt_recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('decided_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decision_recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IS NULL OR decision IN ('no_further_action', 'early_help', 'child_and_family_assessment', 's47_enquiry', 'strategy_discussion')", name=op.f('ck_referrals_decision')),
    sa.CheckConstraint("receiving_kind IN ('front_door', 'allocated_team')", name=op.f('ck_referrals_receiving_kind')),
    sa.CheckConstraint("route IN ('not_known', 'known', 'looked_after_out_of_area')", name=op.f('ck_referrals_route')),
    sa.ForeignKeyConstraint(['authority_id'], ['areas.id'], name=op.f('fk_referrals_authority_id_areas')),
    sa.ForeignKeyConstraint(['decision_recorded_by_id'], ['users.id'], name=op.f('fk_referrals_decision_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['host_authority_id'], ['areas.id'], name=op.f('fk_referrals_host_authority_id_areas')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_referrals_incident_id_incidents')),
    sa.ForeignKeyConstraint(['receipt_recorded_by_id'], ['users.id'], name=op.f('fk_referrals_receipt_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_people.id'], name=op.f('fk_referrals_young_person_id_young_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_referrals_incident_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_decision_due_at'), ['decision_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_young_person_id'), ['young_person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_young_person_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_decision_due_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_authority_id'))

    op.drop_table('referrals')
    op.drop_table('nrm_considerations')
