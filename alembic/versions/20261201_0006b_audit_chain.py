"""audit chain: seq, hash and route on audit events; audit_subjects; REPLACE refused

Revision ID: 0006b
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import api.db
from api.audit import chain

revision: str = '0006b'
down_revision: str | None = '0006d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# pg_advisory_xact_lock key of the chain's head ("LANTAUDI"); documented in the README.
HEAD_LOCK_KEY = 0x4C414E5441554449

_OLD_ROWS = sa.table(
    'audit_events',
    sa.column('id', sa.Uuid()),
    sa.column('at', api.db.UtcDateTime()),
    sa.column('actor_id', sa.Uuid()),
    sa.column('actor_username', sa.String()),
    sa.column('action', sa.String()),
    sa.column('resource_type', sa.String()),
    sa.column('resource_id', sa.Uuid()),
    sa.column('young_person_id', sa.Uuid()),
    sa.column('team_id', sa.Uuid()),
    sa.column('client_ip', sa.String()),
    sa.column('request_id', sa.String()),
    sa.column('outcome', sa.String()),
    sa.column('detail', api.db.JsonType),
    sa.column('seq', sa.BigInteger()),
    sa.column('hash', sa.String()),
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table('audit_events', schema=None, recreate='auto') as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_events_seq'), ['seq'], unique=True)

    op.create_table('audit_subjects',
    sa.Column('audit_id', sa.Uuid(), nullable=False),
    sa.Column('young_person_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_events.id'], name=op.f('fk_audit_subjects_audit_id_audit_events')),
    sa.PrimaryKeyConstraint('audit_id', 'young_person_id', name=op.f('pk_audit_subjects'))
    )
    with op.batch_alter_table('audit_subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_subjects_young_person_id'), ['young_person_id'], unique=False)
    _guard()


def _chain_existing_rows() -> None:
    """Rows written before the chain existed are chained in the order they were written."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_OLD_ROWS).order_by(_OLD_ROWS.c.at, _OLD_ROWS.c.id)
    ).mappings().all()
    previous, updates = chain.GENESIS, []
    for seq, row in enumerate(rows, start=1):
        values = {**row, 'seq': seq, 'route': None}
        previous = chain.link(previous, values)
        updates.append({'row_id': row['id'], 'new_seq': seq, 'new_hash': previous})
    if updates:
        bind.execute(
            _OLD_ROWS.update()
            .where(_OLD_ROWS.c.id == sa.bindparam('row_id'))
            .values(seq=sa.bindparam('new_seq'), hash=sa.bindparam('new_hash')),
            updates,
        )


def _guard() -> None:
    """Append-only in the database itself: no UPDATE, no DELETE, no REPLACE, no gap."""
    if _postgres():
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION lantern_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_subjects_append_only BEFORE UPDATE OR DELETE ON audit_subjects "
            "FOR EACH ROW EXECUTE FUNCTION lantern_audit_append_only()"
        )
        op.execute(
            """
            CREATE FUNCTION lantern_audit_in_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.seq IS DISTINCT FROM (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events) THEN
                RAISE EXCEPTION 'audit_events is append-only: seq % does not follow the last row', NEW.seq;
              END IF;
              RETURN NEW;
            END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_in_sequence BEFORE INSERT ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION lantern_audit_in_sequence()"
        )
        # The chain's head for an append: the advisory lock first, then a fresh snapshot
        # (a VOLATILE function's statements each take one), in one round trip.
        op.execute(
            f"""
            CREATE FUNCTION lantern_audit_head() RETURNS TABLE(seq bigint, hash varchar)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              PERFORM pg_advisory_xact_lock({HEAD_LOCK_KEY});
              RETURN QUERY SELECT e.seq, e.hash::varchar FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
            END $$;
            """
        )
        return
    for table in ('audit_events', 'audit_subjects'):
        for verb in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    # INSERT OR REPLACE deletes the row it conflicts with without firing DELETE triggers:
    # refuse any insert whose id is taken, and any whose seq does not follow the last row.
    op.execute(
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
        "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: this id exists'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_in_sequence BEFORE INSERT ON audit_events "
        "WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: seq does not follow the last row'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_subjects_no_replace BEFORE INSERT ON audit_subjects "
        "WHEN EXISTS (SELECT 1 FROM audit_subjects WHERE audit_id = NEW.audit_id "
        "AND young_person_id = NEW.young_person_id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END"
    )


def _drop_append_only_triggers() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def downgrade() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS audit_events_in_sequence ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS lantern_audit_in_sequence()")
        op.execute("DROP FUNCTION IF EXISTS lantern_audit_head()")
        op.execute("DROP TRIGGER IF EXISTS audit_subjects_append_only ON audit_subjects")
    else:
        for name in (
            'audit_events_no_replace',
            'audit_events_in_sequence',
            'audit_subjects_no_update',
            'audit_subjects_no_delete',
            'audit_subjects_no_replace',
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _drop_append_only_triggers()
    with op.batch_alter_table('audit_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_subjects_young_person_id'))
    op.drop_table('audit_subjects')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_seq'))
        batch_op.drop_column('route')
        batch_op.drop_column('hash')
        batch_op.drop_column('seq')
    if _postgres():
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION lantern_audit_append_only()"
        )
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
