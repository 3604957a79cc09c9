"""places and people of concern: places, their merges, persons of concern, who was present
at an incident, and the incident's place

Revision ID: 0007a
Revises: 0007d
Create Date: 2026-12-01 18:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import api.db

revision: str = '0007a'
down_revision: str | None = '0007d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('persons_of_concern',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('nickname', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('vehicle', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('phone_last_digits', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('area_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_persons_of_concern_area_id_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_persons_of_concern_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons_of_concern'))
    )
    with op.batch_alter_table('persons_of_concern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_of_concern_area_id'), ['area_id'], unique=False)

    op.create_table('places',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('aliases', JSON, nullable=False),
    sa.Column('area_id', sa.Uuid(), nullable=True),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('grid_reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('postcode_district', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('retired_by_id', sa.Uuid(), nullable=True),
    sa.Column('merged_into_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint("type IN ('transport_hub', 'takeaway_or_shop', 'park_or_open_space', 'hotel_or_short_let', 'private_address', 'school_or_college', 'online_platform', 'other')", name=op.f('ck_places_type')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_places_area_id_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_places_created_by_id_users')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['places.id'], name=op.f('fk_places_merged_into_id_places')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'], name=op.f('fk_places_retired_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_places_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_places_merged_into_id'), ['merged_into_id'], unique=False)

    op.create_table('place_merges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('into_id', sa.Uuid(), nullable=False),
    sa.Column('incident_ids', JSON, nullable=False),
    sa.Column('aliases_added', JSON, nullable=False),
    sa.Column('merged_by_id', sa.Uuid(), nullable=False),
    sa.Column('merged_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('undone_by_id', sa.Uuid(), nullable=True),
    sa.Column('undone_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['into_id'], ['places.id'], name=op.f('fk_place_merges_into_id_places')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_place_merges_merged_by_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_merges_place_id_places')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_place_merges_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_merges'))
    )
    with op.batch_alter_table('place_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_merges_into_id'), ['into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_merges_place_id'), ['place_id'], unique=False)

    op.create_table('incident_people',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('young_person_id', sa.Uuid(), nullable=True),
    sa.Column('person_of_concern_id', sa.Uuid(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(young_person_id IS NULL) <> (person_of_concern_id IS NULL)', name=op.f('ck_incident_people_one_person')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incident_people_created_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_people_incident_id_incidents')),
    sa.ForeignKeyConstraint(['person_of_concern_id'], ['persons_of_concern.id'], name=op.f('fk_incident_people_person_of_concern_id_persons_of_concern')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_people.id'], name=op.f('fk_incident_people_young_person_id_young_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_people')),
    sa.UniqueConstraint('incident_id', 'person_of_concern_id', name=op.f('uq_incident_people_incident_id_person_of_concern_id')),
    sa.UniqueConstraint('incident_id', 'young_person_id', name=op.f('uq_incident_people_incident_id_young_person_id'))
    )
    with op.batch_alter_table('incident_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_people_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_people_person_of_concern_id'), ['person_of_concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_people_young_person_id'), ['young_person_id'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_place_id'), ['place_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_incidents_place_id_places'), 'places', ['place_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_incidents_place_id_places'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_incidents_place_id'))
        batch_op.drop_column('place_id')

    with op.batch_alter_table('incident_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_people_young_person_id'))
        batch_op.drop_index(batch_op.f('ix_incident_people_person_of_concern_id'))
        batch_op.drop_index(batch_op.f('ix_incident_people_incident_id'))

    op.drop_table('incident_people')
    with op.batch_alter_table('place_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_merges_place_id'))
        batch_op.drop_index(batch_op.f('ix_place_merges_into_id'))

    op.drop_table('place_merges')
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_places_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_places_area_id'))

    op.drop_table('places')
    with op.batch_alter_table('persons_of_concern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_of_concern_area_id'))

    op.drop_table('persons_of_concern')
