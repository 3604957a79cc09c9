"""How statements reach the database driver (api/db.py): SQLite's BEGIN goes with the
transaction's first statement, and statements SQLAlchemy cannot key for its compiled cache are
compiled once (`compiled_once`) yet run as before on both databases."""

from __future__ import annotations

import aiosqlite
import pytest
from sqlalchemy import func, select, text

from api.db import compiled_once, table_of
from api.incidents import idempotency
from api.incidents.models import IdempotencyRecord
from api.jobs import service as jobs
from api.jobs.models import Job


@pytest.fixture
async def hand_offs(db, monkeypatch) -> list[object]:
    if not db.is_sqlite:
        pytest.skip("aiosqlite's thread is SQLite's")
    seen: list[object] = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        if getattr(self, "counted", True):  # not the test's own second connection
            seen.append(fn)
        return await real(self, fn, *args, **kwargs)

    async with db.session() as session:  # the pool's connection is open and set up
        await session.execute(text("SELECT 1"))
    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_on_sqlite_begin_goes_with_the_first_statement_and_holds_the_write_lock(db, hand_offs):
    async with db.session() as session:
        await session.connection()  # the transaction has begun, for SQLAlchemy
        assert hand_offs == []  # … and nothing reached the driver yet
        await session.execute(text("SELECT 1"))
        assert len(hand_offs) == 1  # BEGIN IMMEDIATE and the SELECT, one hand-off
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        assert raw._conn.in_transaction  # the SELECT ran inside the write transaction
        # The write lock is held: another connection cannot begin a write of its own.
        other = aiosqlite.connect(db.url.split("///", 1)[1], timeout=0.05)
        other.counted = False
        async with other:
            await other.execute("PRAGMA busy_timeout=50")
            with pytest.raises(aiosqlite.OperationalError, match="locked"):
                await other.execute("BEGIN IMMEDIATE")
    assert len(hand_offs) == 2  # and the COMMIT


async def test_on_sqlite_a_unit_of_work_that_runs_no_statement_reaches_no_driver(db, hand_offs):
    async with db.session() as session:
        await session.connection()
    assert hand_offs == []
    with pytest.raises(RuntimeError, match="undone"):
        async with db.session() as session:
            await session.connection()
            raise RuntimeError("undone")
    assert hand_offs == []
    async with db.session() as session:  # the connection is sound for the next one
        assert (await session.execute(select(func.count()).select_from(Job))).scalar_one() >= 0


async def test_the_key_claim_and_the_jobs_insert_are_compiled_once_and_work_on_both_databases(db, make_user):
    dialect = db.engine.dialect.name
    claim = idempotency._claim_statement(dialect)
    assert claim is idempotency._claim_statement(dialect)
    assert claim._generate_cache_key() is not None  # keyed: compiled once, then cached
    many = jobs._many_unless_taken(dialect)
    assert many._generate_cache_key() is not None
    # The columns the jobs statement names are exactly those every new job's values give.
    assert tuple(jobs._values(jobs.NewJob("test.kind", {})).keys()) == jobs._COLUMNS

    actor = (await make_user("manager")).user.id
    async with db.session() as session:
        first = await idempotency.claim(session, actor, "test", "k-1", "hash")
        assert isinstance(first, IdempotencyRecord)
        await idempotency.complete(session, first, 201, {"ok": True})
        await jobs.enqueue_many(
            session,
            [jobs.NewJob("test.kind", {"n": 1}, dedupe_key="d-1"), jobs.NewJob("test.kind", {"n": 2})],
        )
    async with db.session() as session:
        again = await idempotency.claim(session, actor, "test", "k-1", "hash")
        assert isinstance(again, idempotency.Replay) and again.response == {"ok": True}
        await jobs.enqueue_many(session, [jobs.NewJob("test.kind", {"n": 3}, dedupe_key="d-1")])  # taken
    async with db.session() as session:
        payloads = (
            await session.execute(select(table_of(Job).c.payload).where(table_of(Job).c.kind == "test.kind"))
        ).scalars()
        assert sorted(p["n"] for p in payloads) == [1, 2]


def test_compiled_once_keeps_typed_binds_and_returning_for_both_dialects():
    from sqlalchemy.dialects import postgresql, sqlite

    table = table_of(IdempotencyRecord)
    for name, module in (("sqlite", sqlite), ("postgresql", postgresql)):
        clause = compiled_once(module.insert(table).on_conflict_do_nothing().returning(table.c.id), name)
        binds = clause.element._bindparams  # type: ignore[attr-defined]
        assert set(binds) == {c.key for c in table.columns}
        assert all(binds[c.key].type._compare_type_affinity(c.type) for c in table.columns)
        assert [c.name for c in clause.selected_columns] == ["id"]


def test_a_transient_model_object_is_the_one_its_constructor_makes():
    # api.db.transient: the values straight into the object (hot path), same result as __init__.
    from datetime import UTC, datetime
    from uuid import uuid4

    from api.db import transient

    values = {
        "actor_id": uuid4(),
        "scope": "s",
        "key": "k",
        "request_hash": "h",
        "status_code": 0,
        "expires_at": datetime.now(UTC),
    }
    made, fast = IdempotencyRecord(**values), transient(IdempotencyRecord, **values)
    assert fast.model_dump(exclude={"id", "created_at"}) == made.model_dump(exclude={"id", "created_at"})
    assert fast.id is not None and fast.id != made.id and fast.created_at is not None
    assert fast.model_fields_set == made.model_fields_set
    fast.status_code = 201  # later assignments behave as on any model object
    assert fast.status_code == 201


async def test_a_unit_of_work_deferring_its_writes_sends_them_plain_and_still_counts_them(db):
    # api.db.PlainWriter (SQLite, under defer_inserts): the writes pass the cursor events (the
    # statement counts see them) and land with the commit; PostgreSQL keeps session.execute.
    from sqlalchemy import event

    from api.db import defer_inserts, plain_writer

    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with db.session() as session:
            await defer_inserts(session)
            assert (plain_writer(session) is not None) == db.is_sqlite
            await jobs.enqueue_many(
                session, [jobs.NewJob("test.plain", {"n": 1}), jobs.NewJob("test.plain", {"n": 2})]
            )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    assert len([s for s in seen if s.startswith("INSERT INTO jobs")]) == 1
    async with db.session() as session:
        payloads = (await session.execute(select(Job.payload).where(Job.kind == "test.plain"))).scalars()
        assert sorted(p["n"] for p in payloads) == [1, 2]
        assert plain_writer(session) is None  # a new unit of work does not defer unless asked
