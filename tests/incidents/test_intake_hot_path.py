"""Intake's hot path: few statements, the incident written once in its final state, nothing
written twice, and still all or nothing (the jobs included) when a write fails.

Statements are counted with a `before_cursor_execute` listener on the app's engine, on SQLite
and PostgreSQL (bench/statements.py prints the same count and the CPU per intake).
"""

from __future__ import annotations

import contextlib
import re
import uuid

import aiosqlite
import pytest
from sqlalchemy import event, func, select

from api.handover.models import Clock, HandoverItem
from api.incidents.models import IdempotencyRecord, Incident, IncidentIndicator, IncidentTeam, TimelineEvent
from api.jobs.models import Job
from api.paging.models import Page
from api.people.models import YoungPerson
from tests.incident_payloads import report

# New person, two indicators, one team: BEGIN (SQLite) or pg_notify at commit (PostgreSQL),
# the person query, the reference, then one INSERT per table (person, incident, indicators,
# team, page, handover item, clocks, timeline, job, audit, referral), and the audit chain's head
# read (hash-chained audit trail, issue 10). Was 19 before the flows work; 14 before every
# incident made its referral to the front door (issue 13: one INSERT INTO referrals; its clock
# and timeline event share the clocks' and the timeline's INSERTs).
BUDGET = 15
# A known person also costs the count of earlier missing episodes and the allocated team named on
# their latest referral (where the referral goes when nobody names the team this time).
KNOWN_PERSON_BUDGET = BUDGET + 1


@contextlib.contextmanager
def statements(db):
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _matching(seen: list[str], pattern: str) -> list[str]:
    return [s for s in seen if re.search(pattern, s, re.IGNORECASE)]


async def _post(client, custody, body) -> dict:
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_intake_stays_within_its_statement_budget(client, custody, db):
    await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))
    with statements(db) as seen:
        created = await _post(client, custody, report(young_person={"first_name": "Ada", "last_name": "New"}))
    assert created["state"] == "paging"
    assert len(seen) <= BUDGET, "\n".join(seen)
    assert _matching(seen, r"^UPDATE incidents") == []  # inserted in its final state
    assert _matching(seen, r"FROM users") == []  # the actor came from the cache
    assert _matching(seen, r"FROM escalation_policies") == []  # so did the policy
    assert _matching(seen, r"FROM incidents") == []  # a new person has no earlier episodes
    assert _matching(seen, r"FROM referrals") == []  # a new person has no earlier referral
    for table in ("timeline_events", "incident_indicators", "clocks", "referrals"):
        assert len(_matching(seen, rf"^INSERT INTO {table}\b")) == 1, table  # one statement each


async def test_the_incident_is_written_once_in_its_final_state(client, custody, db):
    created = await _post(client, custody, report())
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(created["id"]))
        moves = (
            await session.execute(
                select(TimelineEvent.detail).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.action == "state.changed"
                )
            )
        ).scalars()
        actions = (
            await session.execute(
                select(TimelineEvent.action)
                .where(TimelineEvent.incident_id == incident.id)
                .order_by(TimelineEvent.at, TimelineEvent.id)
            )
        ).scalars()
        assert (incident.state, incident.version) == ("paging", 2)
        assert list(moves) == [{"from": "reported", "to": "paging"}]
        assert list(actions) == [
            "incident.reported",
            "incident.triaged",
            "page.started",
            "state.changed",
            "handover.queued",
            "clocks.started",
            "referral.made",
        ]


async def test_earlier_episodes_are_counted_not_fetched_and_a_known_person_is_not_rewritten(
    client, custody, db
):
    person = {
        "first_name": "Kim",
        "last_name": "Known",
        "la_reference": "LA-HOT-1",
        "date_of_birth": "2010-05-05",
    }
    first = await _post(client, custody, report(young_person=person))
    async with db.session() as session:
        before = (
            await session.get(
                YoungPerson, (await session.get(Incident, uuid.UUID(first["id"]))).young_person_id
            )
        ).updated_at
    with statements(db) as seen:
        await _post(client, custody, report(young_person=person))
    assert len(_matching(seen, r"^SELECT count\(\*\)")) == 1
    assert _matching(seen, r"^SELECT incidents\.id FROM incidents") == []
    assert _matching(seen, r"^UPDATE young_people") == []  # nothing new: no write
    assert len(_matching(seen, r"^SELECT referrals\.allocated_team")) == 1
    assert len(seen) <= KNOWN_PERSON_BUDGET, "\n".join(seen)
    with statements(db) as seen:
        await _post(client, custody, report(young_person={**person, "learning_disability": True}))
    assert len(_matching(seen, r"^UPDATE young_people")) == 1  # something new: written
    async with db.session() as session:
        row = (
            await session.execute(select(YoungPerson).where(YoungPerson.la_reference == "LA-HOT-1"))
        ).scalar_one()
    assert row.learning_disability is True and row.updated_at > before


async def test_repeat_missing_episodes_still_start_the_review_clock(client, custody, db):
    person = {"first_name": "Rey", "last_name": "Peat", "date_of_birth": "2011-03-03"}
    for _ in range(3):
        created = await _post(client, custody, report(young_person=person))
    async with db.session() as session:
        kinds = set(
            (
                await session.execute(select(Clock.kind).where(Clock.incident_id == uuid.UUID(created["id"])))
            ).scalars()
        )
    assert "repeat_missing_review" in kinds


async def test_a_failing_last_write_leaves_no_incident_no_page_and_no_job(client, custody, db):
    await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))
    tables = (
        Incident,
        IncidentIndicator,
        IncidentTeam,
        TimelineEvent,
        Page,
        Job,
        HandoverItem,
        Clock,
        YoungPerson,
    )

    async def counts() -> list[int]:
        async with db.session() as session:
            return [(await session.execute(select(func.count()).select_from(t))).scalar_one() for t in tables]

    before = await counts()
    dialect = db.engine.sync_engine.dialect
    real = dialect.do_execute

    def refuse_audit(cursor, statement, parameters, context=None):
        # The database refuses the audit row, the last write (after the jobs): the whole
        # intake must go with it.
        if statement.startswith("INSERT INTO audit_events"):
            raise dialect.loaded_dbapi.OperationalError("injected: the disk is full")
        return real(cursor, statement, parameters, context)

    dialect.do_execute = refuse_audit
    try:
        response = await client.post(
            "/api/v1/incidents",
            json=report(young_person={"first_name": "Lost", "last_name": "Write"}),
            headers=custody.headers,
        )
    finally:
        dialect.do_execute = real
    assert response.status_code == 503, response.text
    assert await counts() == before
    # And the next report goes through.
    await _post(client, custody, report(young_person={"first_name": "Next", "last_name": "One"}))


async def test_resolving_the_place_costs_no_statement_while_the_place_list_is_cached(
    client, custody, db, make_user
):
    worker = await make_user("worker", teams_=["city-cce"])
    created = await client.post(
        "/api/v1/places",
        json={"name": "Leicester railway station", "area": "leicester-city", "type": "transport_hub"},
        headers=worker.headers,
    )
    assert created.status_code == 201, created.text
    # The warm-up reads the place list once (its one extra statement on a cold cache).
    with statements(db) as cold:
        await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))
    assert len(_matching(cold, r"FROM places")) == 1
    body = report(
        young_person={"first_name": "Ada", "last_name": "New"},
        location={"description": "Leicester railway station, platform 2", "area": "leicester-city"},
    )
    with statements(db) as seen:
        linked = await _post(client, custody, body)
    assert len(seen) <= BUDGET, "\n".join(seen)
    assert _matching(seen, r"FROM places") == []
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(linked["id"]))
    assert incident.place_id == uuid.UUID(created.json()["id"])


# SQLite: an intake's statements reach aiosqlite's thread in few hand-offs (each is a wake-up of
# that thread and then of the event loop: most of a short statement's cost). BEGIN with the
# person, the reference, then the INSERTs with the audit chain's head, then the audit row with
# the COMMIT. Was 57 with an Idempotency-Key (3-4 per statement), before issue 17's hot path
# work; 5 before BEGIN went with the transaction's first statement.
HAND_OFFS = 4
HAND_OFFS_WITH_KEY = HAND_OFFS + 1  # the key's claim (its answer goes with the INSERTs)


async def test_on_sqlite_an_intake_reaches_the_driver_thread_in_few_hand_offs(
    client, custody, db, monkeypatch
):
    if not db.is_sqlite:
        pytest.skip("aiosqlite's thread is SQLite's")
    hand_offs: list[object] = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        hand_offs.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))
    hand_offs.clear()
    with statements(db) as seen:
        await _post(client, custody, report(young_person={"first_name": "Ada", "last_name": "New"}))
    assert len(hand_offs) <= HAND_OFFS, hand_offs
    assert len(seen) <= BUDGET  # every statement still passes SQLAlchemy's execution (and its events)
    hand_offs.clear()
    response = await client.post(
        "/api/v1/incidents",
        json=report(young_person={"first_name": "Kay", "last_name": "Keyed"}),
        headers={**custody.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    assert len(hand_offs) <= HAND_OFFS_WITH_KEY, hand_offs


async def test_an_insert_the_database_refuses_after_it_was_held_back_still_undoes_the_intake(
    client, custody, db
):
    # On SQLite the INSERTs are held back and sent with the next reading statement or the
    # COMMIT (api.db.defer_inserts): a refusal by the database itself (here a trigger on the
    # clocks, a middle table) must still fail the request and leave nothing behind, the
    # Idempotency-Key's claim included.
    await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))

    async def counts() -> list[int]:
        async with db.session() as session:
            return [
                (await session.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (
                    Incident,
                    IncidentIndicator,
                    TimelineEvent,
                    Page,
                    Job,
                    HandoverItem,
                    Clock,
                    YoungPerson,
                    IdempotencyRecord,
                )
            ]

    refuse = (
        "CREATE TEMP TRIGGER refuse_clocks BEFORE INSERT ON clocks BEGIN SELECT RAISE(ABORT, 'injected'); END"
        if db.is_sqlite
        else None
    )
    if refuse is None:
        pytest.skip("the held-back INSERTs are SQLite's")
    before = await counts()
    async with db.engine.connect() as connection:  # the pool's one connection: the app's too
        await connection.exec_driver_sql(refuse)
        await connection.commit()
    try:
        response = await client.post(
            "/api/v1/incidents",
            json=report(young_person={"first_name": "Lost", "last_name": "Clock"}),
            headers={**custody.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
    finally:
        async with db.engine.connect() as connection:
            await connection.exec_driver_sql("DROP TRIGGER refuse_clocks")
            await connection.commit()
    # A constraint's refusal is an IntegrityError: a 500, as it is when the INSERT is sent at once.
    assert response.status_code == 500, response.text
    assert await counts() == before
    await _post(client, custody, report(young_person={"first_name": "Next", "last_name": "One"}))


async def test_a_refused_answer_held_back_with_the_inserts_still_undoes_the_intake(client, custody, db):
    # The Idempotency-Key's answer (an UPDATE of the claimed row) is held back on SQLite with the
    # INSERTs (api.db.update_deferred): a refusal when it is finally sent fails the request and
    # leaves neither the incident nor the claim, so the same key can be sent again.
    if not db.is_sqlite:
        pytest.skip("the held-back statements are SQLite's")
    await _post(client, custody, report(young_person={"first_name": "Warm", "last_name": "Up"}))

    async def counts() -> list[int]:
        async with db.session() as session:
            return [
                (await session.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (Incident, IdempotencyRecord, Job)
            ]

    before = await counts()
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql(
            "CREATE TEMP TRIGGER refuse_answers BEFORE UPDATE ON idempotency_records "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
        await connection.commit()
    key = uuid.uuid4().hex
    body = report(young_person={"first_name": "Lost", "last_name": "Answer"})
    try:
        response = await client.post(
            "/api/v1/incidents", json=body, headers={**custody.headers, "Idempotency-Key": key}
        )
    finally:
        async with db.engine.connect() as connection:
            await connection.exec_driver_sql("DROP TRIGGER refuse_answers")
            await connection.commit()
    assert response.status_code == 500, response.text
    assert await counts() == before
    keyed = {**custody.headers, "Idempotency-Key": key}
    again = await client.post("/api/v1/incidents", json=body, headers=keyed)
    assert again.status_code == 201, again.text
    replay = await client.post("/api/v1/incidents", json=body, headers=keyed)
    assert replay.status_code == 200 and replay.json() == again.json()
