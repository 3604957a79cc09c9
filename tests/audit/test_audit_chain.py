"""Finding 6: the audit trail is a hash chain. Any change, removal or REPLACE of a row is
refused by the database or named by `lantern audit verify`; appends from several replicas
form one chain; on PostgreSQL the application's role cannot UPDATE, DELETE or TRUNCATE it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.audit import chain
from api.audit import service as audit
from api.audit.models import AuditEvent, AuditSubject
from api.audit.privileges import grant_statements, grants_sql
from api.db import Database
from tests.conftest import PG_ADMIN_DSN
from tests.incident_payloads import report
from tests.launcher import run_lantern

ROOT = Path(__file__).resolve().parents[2]


def lantern(settings, tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `lantern` command line against the test's database (or a SQLite file in tmp_path)."""
    url = settings.database_url if settings else f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": "cli-test-secret-" + "x" * 40,
        "LANTERN_VAR_DIR": str(tmp_path / "cli-var"),
        "LANTERN_LOG_LEVEL": "WARNING",
    }
    return run_lantern(list(args), cwd=ROOT, env=env, timeout=timeout)


async def _some_history(client, make_user) -> None:
    """Intakes, list and detail reads, a failed sign-in: a mix of audited events."""
    police = await make_user("police", station="euston-street")
    worker = await make_user("worker", teams_=["city-cce"])
    for _ in range(3):
        assert (
            await client.post("/api/v1/incidents", json=report(), headers=police.headers)
        ).status_code == 201
    listed = (await client.get("/api/v1/incidents", headers=worker.headers)).json()["items"]
    await client.get(f"/api/v1/incidents/{listed[0]['id']}", headers=worker.headers)
    await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong password!"})


async def _rows(db) -> list[AuditEvent]:
    async with db.sessionmaker() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def _as_owner(db, settings, statements: list[str]) -> None:
    """Tamper as someone with the owner's rights would: switch the guard off, act, switch it on."""
    async with db.engine.connect() as conn:
        if settings.is_sqlite:
            saved = (
                await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
            ).all()
            for name, _ in saved:
                await conn.execute(text(f"DROP TRIGGER {name}"))
            for statement in statements:
                await conn.execute(text(statement))
            for _, sql in saved:
                await conn.execute(text(sql))
            await conn.commit()
        else:
            await conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            await conn.execute(text("ALTER TABLE audit_subjects DISABLE TRIGGER USER"))
            try:
                for statement in statements:
                    await conn.execute(text(statement))
            finally:
                await conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
                await conn.execute(text("ALTER TABLE audit_subjects ENABLE TRIGGER USER"))
            await conn.commit()


def _uuid_literal(settings, value: uuid.UUID) -> str:
    return f"'{value.hex}'" if settings.is_sqlite else f"'{value}'"


async def test_every_event_is_chained_in_order_and_the_chain_verifies(
    client, make_user, world, db, settings, tmp_path
):
    await _some_history(client, make_user)
    rows = await _rows(db)
    assert len(rows) >= 6
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    previous = chain.GENESIS
    async with db.sessionmaker() as session:
        subjects = {}
        for audit_id, child in (
            await session.execute(select(AuditSubject.audit_id, AuditSubject.young_person_id))
        ).all():
            subjects.setdefault(audit_id, []).append(child)
    for row in rows:
        values = {name: getattr(row, name) for name in chain.FIELDS}
        assert row.hash == chain.link(previous, values, subjects.get(row.id, ()))
        previous = row.hash
    # The list read named its children; the intakes carry their route template.
    listing = next(r for r in rows if r.action == "incident.list")
    assert len(subjects[listing.id]) >= 1 and listing.route == "GET /api/v1/incidents"
    assert next(r for r in rows if r.action == "incident.create").route == "POST /api/v1/incidents"

    verdict = await chain.verify(db.engine)
    assert verdict.ok and verdict.rows == len(rows) and verdict.head_hash == rows[-1].hash
    done = lantern(settings, tmp_path, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert f"{len(rows)} rows" in done.stdout and rows[-1].hash in done.stdout


@pytest.mark.parametrize("tamper", ["change", "remove", "subject"])
async def test_verify_names_the_first_broken_row(client, make_user, world, db, settings, tmp_path, tamper):
    await _some_history(client, make_user)
    rows = await _rows(db)
    victim = rows[2]
    literal = _uuid_literal(settings, victim.id)
    statement = {
        "change": f"UPDATE audit_events SET actor_username = 'someone-else' WHERE id = {literal}",
        "remove": f"DELETE FROM audit_events WHERE id = {literal}",
        "subject": "INSERT INTO audit_subjects (audit_id, young_person_id) VALUES "
        f"({literal}, {_uuid_literal(settings, uuid.uuid4())})",
    }[tamper]
    await _as_owner(db, settings, [statement])

    verdict = await chain.verify(db.engine, batch=2)  # across batch boundaries too
    assert not verdict.ok
    assert verdict.rows == 2 and verdict.head_hash == rows[1].hash
    if tamper == "remove":
        assert verdict.broken.seq == rows[3].seq and "gap" in verdict.broken.reason
    else:
        assert verdict.broken.seq == victim.seq and verdict.broken.id == victim.id
        assert "hash" in verdict.broken.reason
    if tamper != "change":
        return  # the command line is the same walk; once is enough (each start costs seconds)
    done = lantern(settings, tmp_path, "audit", "verify")
    assert done.returncode == 1, done.stdout
    assert f"BROKEN at seq {verdict.broken.seq} (id {verdict.broken.id})" in done.stderr


async def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(
    client, make_user, world, db, settings
):
    await _some_history(client, make_user)
    rows = await _rows(db)
    victim = rows[1]
    forged = {name: getattr(victim, name) for name in chain.FIELDS} | {"action": "nothing.to.see"}
    new_hash = chain.link(rows[0].hash, forged)
    literal = _uuid_literal(settings, victim.id)
    await _as_owner(
        db,
        settings,
        [f"UPDATE audit_events SET action = 'nothing.to.see', hash = '{new_hash}' WHERE id = {literal}"],
    )
    verdict = await chain.verify(db.engine)
    assert verdict.broken.seq == rows[2].seq  # the forged row holds; the next one names it


async def test_update_delete_and_replace_are_refused_by_the_database(client, make_user, world, db, settings):
    await _some_history(client, make_user)
    rows = await _rows(db)
    first, last = rows[0], rows[-1]
    id_literal = _uuid_literal(settings, first.id)
    fresh = _uuid_literal(settings, uuid.uuid4())
    columns = "(id, seq, hash, at, action, outcome, detail)"
    now = "'2026-12-01 00:00:00.000000'" if settings.is_sqlite else "now()"

    def row(ident: str, seq: int) -> str:
        return f"{columns} VALUES ({ident}, {seq}, 'x', {now}, 'rewritten', 'ok', '{{}}')"

    attempts = [
        f"UPDATE audit_events SET action = 'changed' WHERE id = {id_literal}",
        f"DELETE FROM audit_events WHERE id = {id_literal}",
        # A new row claiming an existing seq, and one leaving a gap.
        f"INSERT INTO audit_events {row(fresh, first.seq)}",
        f"INSERT INTO audit_events {row(fresh, last.seq + 2)}",
        f"UPDATE audit_subjects SET young_person_id = {fresh}",
        "DELETE FROM audit_subjects",
    ]
    if settings.is_sqlite:
        # INSERT OR REPLACE / REPLACE delete the conflicting row without firing DELETE triggers.
        attempts += [
            f"INSERT OR REPLACE INTO audit_events {row(id_literal, first.seq)}",
            f"REPLACE INTO audit_events {row(id_literal, last.seq + 1)}",
            f"INSERT OR REPLACE INTO audit_events {row(fresh, first.seq)}",
        ]
    else:
        attempts += [
            f"INSERT INTO audit_events {row(id_literal, last.seq + 1)} "
            "ON CONFLICT (id) DO UPDATE SET action = 'rewritten'"
        ]
    for statement in attempts:
        with pytest.raises((IntegrityError, DBAPIError)) as refused:
            async with db.session() as session:
                await session.execute(text(statement))
        assert "append-only" in str(refused.value), statement  # the guard refused it, not a constraint
    assert [(r.id, r.action, r.hash) for r in await _rows(db)] == [(r.id, r.action, r.hash) for r in rows]
    assert (await chain.verify(db.engine)).ok


async def test_rolled_back_work_and_savepoints_leave_the_chain_whole(db):
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            audit.record(session, None, "test.rolled_back", username="x")
            raise RuntimeError("the unit of work fails")
    async with db.session() as session:
        audit.record(session, None, "test.kept", username="x", subjects=[uuid.uuid4(), None])
        try:
            async with session.begin_nested():
                audit.record(session, None, "test.in_failed_savepoint", username="x")
                raise RuntimeError
        except RuntimeError:
            pass
        async with session.begin_nested():
            audit.record(session, None, "test.in_kept_savepoint", username="x")
    rows = await _rows(db)
    assert [r.action for r in rows] == ["test.kept", "test.in_kept_savepoint"]
    assert [r.seq for r in rows] == [1, 2]
    assert (await chain.verify(db.engine)).ok


async def test_appends_from_several_replicas_at_once_form_one_chain(settings, db):
    replicas = [Database(settings.database_url, pool_size=4) for _ in range(3)]

    async def append(replica: Database, n: int) -> None:
        async with replica.session() as session:
            for i in range(n % 3 + 1):
                audit.record(session, None, f"test.replica.{n}.{i}", username="x", subjects=[uuid.uuid4()])

    try:
        await asyncio.gather(*(append(replicas[n % 3], n) for n in range(60)))
    finally:
        for replica in replicas:
            await replica.dispose()
    rows = await _rows(db)
    assert len(rows) == sum(n % 3 + 1 for n in range(60))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    verdict = await chain.verify(db.engine)
    assert verdict.ok and verdict.rows == len(rows)


async def test_postgres_head_lock_holds_a_second_appender_until_the_first_commits(settings, db):
    if settings.is_sqlite:
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await first.execute("BEGIN")
        assert await first.fetch("SELECT seq, hash FROM lantern_audit_head()") == []
        await second.execute("BEGIN")
        waiting = asyncio.create_task(second.fetchrow("SELECT seq, hash FROM lantern_audit_head()"))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the second appender waits for the head
        await first.execute(
            "INSERT INTO audit_events (id, seq, hash, at, action, outcome, detail) "
            "VALUES ($1, 1, $2, now(), 'test.first', 'ok', '{}')",
            uuid.uuid4(),
            "a" * 64,
        )
        await first.execute("COMMIT")
        # ... and then sees the row committed while it waited (a fresh snapshot after the lock).
        head = await asyncio.wait_for(waiting, timeout=5)
        assert (head["seq"], head["hash"]) == (1, "a" * 64)
        await second.execute("ROLLBACK")
    finally:
        await first.close()
        await second.close()


async def test_postgres_least_privilege_role_may_append_but_not_rewrite(settings, db, world):
    if settings.is_sqlite:
        pytest.skip("roles and grants are PostgreSQL's")
    role = f"lantern_app_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    await admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        for statement in grant_statements(role):
            await admin.execute(statement)
        sql_lines = [line for line in grants_sql(role).splitlines() if not line.startswith("--")]
        assert sql_lines == [f"{statement};" for statement in grant_statements(role)]
        # The application, as that role, appends (through the head function) and reads.
        async with db.session() as session:
            await session.execute(text(f'SET LOCAL ROLE "{role}"'))
            audit.record(session, None, "test.as_app_role", username="x", subjects=[uuid.uuid4()])
        async with db.session() as session:
            await session.execute(text(f'SET LOCAL ROLE "{role}"'))
            assert (await session.execute(select(AuditEvent.action))).scalars().all() == ["test.as_app_role"]
            await session.execute(text("UPDATE teams SET name = name"))  # the case tables stay writable
        for statement in (
            "UPDATE audit_events SET action = 'changed'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events CASCADE",
            "UPDATE audit_subjects SET young_person_id = audit_id",
            "DELETE FROM audit_subjects",
            "TRUNCATE audit_subjects",
            "DELETE FROM alembic_version",
        ):
            async with admin.transaction():
                await admin.execute(f'SET LOCAL ROLE "{role}"')
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await admin.execute(statement)
        assert (await chain.verify(db.engine)).ok
    finally:
        await admin.execute(f'DROP OWNED BY "{role}"')
        await admin.execute(f'DROP ROLE "{role}"')
        await admin.close()


def test_grants_refuse_a_role_name_that_is_not_an_identifier():
    with pytest.raises(ValueError, match="identifiers"):
        grant_statements('app"; DROP TABLE audit_events; --')


def test_lantern_db_grants_prints_the_tested_statements(tmp_path):
    done = lantern(None, tmp_path, "db", "grants", "lantern_app")
    assert done.returncode == 0, done.stderr
    assert done.stdout == grants_sql("lantern_app")
    assert 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "public".audit_events' in done.stdout


async def test_rows_written_before_the_chain_are_chained_by_the_migration(
    test_database, tmp_path, pytestconfig
):
    """An installation upgraded from 0005 keeps its history: old rows are chained in order."""
    from api.migrations import downgrade, upgrade
    from tests.platform.test_migrations import _fresh_url

    url, pg_name = await _fresh_url(test_database, tmp_path, pytestconfig)
    database = Database(url)
    try:
        await upgrade(database.engine)
        await downgrade(database.engine, "0005")
        async with database.engine.begin() as conn:
            for n, at in enumerate(["2026-11-30 22:00:00", "2026-11-30 21:00:00", "2026-11-30 23:30:00"]):
                stamp = f"'{at}'" if database.is_sqlite else f"TIMESTAMPTZ '{at}+00'"
                ident = uuid.uuid4()
                detail = f'{{"n": {n}, "x": 1.0, "list": [1, 2.5]}}'
                literal = f"'{ident.hex}'" if database.is_sqlite else f"'{ident}'"
                await conn.execute(
                    text(
                        "INSERT INTO audit_events (id, at, action, outcome, detail, actor_username) "
                        f"VALUES ({literal}, {stamp}, 'old.{n}', 'ok', '{detail}', 'someone')"
                    )
                )
        await upgrade(database.engine)
        rows = await _rows(database)
        assert [r.action for r in rows] == ["old.1", "old.0", "old.2"]  # in the order they were written
        assert [r.seq for r in rows] == [1, 2, 3]
        async with database.session() as session:
            audit.record(session, None, "new.after_upgrade", username="x")
        verdict = await chain.verify(database.engine)
        assert verdict.ok and verdict.rows == 4
    finally:
        await database.dispose()
        if pg_name:
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()
