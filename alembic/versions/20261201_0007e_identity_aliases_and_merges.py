"""identity: alias keys, confirmed merges (reversible), decided possible matches

A young person's aliases get matching keys of their own (young_person_names) so intake can
match them; records of one child are merged by a pointer (young_people.merged_into_id) with a
merge record that remembers how to undo it; a possible match remembers who decided it and when.
The alias keys of existing records are computed here with the key rule of 0006h (copied, so
this migration never changes when api.people.service.normalise_name does).

Revision ID: 0007e
Revises: 0007a
Create Date: 2026-12-01 18:30:00
"""
import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import api.db

revision: str = '0007e'
down_revision: str | None = '0007a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H"}
)


def _marks_are_accents(base: str) -> bool:
    code = ord(base)
    return code < 0x0250 or 0x0370 <= code < 0x0530 or 0x0600 <= code < 0x0700


def _key(text: str) -> str:
    out: list[str] = []
    base = " "
    for char in unicodedata.normalize("NFKD", text).translate(_UNDECOMPOSED):
        if unicodedata.category(char).startswith("M"):
            if not _marks_are_accents(base):
                out.append(char)
            continue
        base = char
        out.append(char if char.isalnum() else " ")
    folded = unicodedata.normalize("NFC", "".join(out)).casefold()
    return re.sub(r"\s+", " ", folded).strip()


def upgrade() -> None:
    op.create_table('young_person_names',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('young_person_id', sa.Uuid(), nullable=False),
    sa.Column('match_name', sa.String(length=170), nullable=False),
    sa.Column('created_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_people.id'], name=op.f('fk_young_person_names_young_person_id_young_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_young_person_names')),
    sa.UniqueConstraint('young_person_id', 'match_name', name=op.f('uq_young_person_names_young_person_id_match_name'))
    )
    with op.batch_alter_table('young_person_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_young_person_names_match_name'), ['match_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_young_person_names_young_person_id'), ['young_person_id'], unique=False)

    with op.batch_alter_table('young_people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_young_people_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_young_people_merged_into_id_young_people'), 'young_people', ['merged_into_id'], ['id'],
            ondelete='SET NULL',
        )

    with op.batch_alter_table('possible_matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', api.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_possible_matches_decided_by_id_users'), 'users', ['decided_by_id'], ['id']
        )

    op.create_table('young_person_merges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('possible_match_id', sa.Uuid(), nullable=False),
    sa.Column('survivor_id', sa.Uuid(), nullable=False),
    sa.Column('merged_id', sa.Uuid(), nullable=False),
    sa.Column('moved', JSON, nullable=False),
    sa.Column('merged_by_id', sa.Uuid(), nullable=False),
    sa.Column('merged_at', api.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('undone_by_id', sa.Uuid(), nullable=True),
    sa.Column('undone_at', api.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_young_person_merges_merged_by_id_users')),
    sa.ForeignKeyConstraint(['merged_id'], ['young_people.id'], name=op.f('fk_young_person_merges_merged_id_young_people')),
    sa.ForeignKeyConstraint(['possible_match_id'], ['possible_matches.id'], name=op.f('fk_young_person_merges_possible_match_id_possible_matches')),
    sa.ForeignKeyConstraint(['survivor_id'], ['young_people.id'], name=op.f('fk_young_person_merges_survivor_id_young_people')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_young_person_merges_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_young_person_merges'))
    )
    with op.batch_alter_table('young_person_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_young_person_merges_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_young_person_merges_possible_match_id'), ['possible_match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_young_person_merges_survivor_id'), ['survivor_id'], unique=False)

    # The aliases already recorded get their matching keys.
    people = sa.table('young_people', sa.column('id', sa.Uuid()), sa.column('aliases', JSON))
    names = sa.table(
        'young_person_names',
        sa.column('id', sa.Uuid()),
        sa.column('young_person_id', sa.Uuid()),
        sa.column('match_name', sa.String()),
        sa.column('created_at', api.db.UtcDateTime(timezone=True)),
    )
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = []
    for row in conn.execute(sa.select(people.c.id, people.c.aliases)).fetchall():
        keys = {_key(alias) for alias in (row.aliases or []) if isinstance(alias, str)}
        rows += [
            {"id": uuid.uuid4(), "young_person_id": row.id, "match_name": key[:170], "created_at": now}
            for key in sorted(keys)
            if key
        ]
    if rows:
        conn.execute(sa.insert(names), rows)


def downgrade() -> None:
    with op.batch_alter_table('young_person_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_young_person_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_young_person_merges_possible_match_id'))
        batch_op.drop_index(batch_op.f('ix_young_person_merges_merged_id'))
    op.drop_table('young_person_merges')

    with op.batch_alter_table('possible_matches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_possible_matches_decided_by_id_users'), type_='foreignkey')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')

    with op.batch_alter_table('young_people', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_young_people_merged_into_id_young_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_young_people_merged_into_id'))
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('young_person_names', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_young_person_names_young_person_id'))
        batch_op.drop_index(batch_op.f('ix_young_person_names_match_name'))
    op.drop_table('young_person_names')
