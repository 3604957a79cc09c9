"""The short per-process caches of the acting user and of the escalation policies.

Promise: a change made in this process applies to the next request at once; a change made
elsewhere (another replica: simulated by writing through a bare connection, which no session
of this process sees) applies within the cache's TTL; a value read while a change was in
flight is not kept; each request gets its own copy of the user.
"""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

from sqlalchemy import event, select, update

from api.auth import actors
from api.auth.models import Membership, User
from api.incidents.models import Incident
from api.paging import policy as policies
from api.paging.models import EscalationPolicy, Page
from api.platform import cache as cache_module
from api.platform.cache import MISSING, ProcessCache
from tests.incident_payloads import report


async def _me(client, person):
    return await client.get("/api/v1/me", headers=person.headers)


def _user_reads(db):
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(db.engine.sync_engine, "before_cursor_execute", listen)


async def test_the_actor_is_read_once_then_served_from_the_cache(client, db, world, make_user):
    worker = await make_user("worker", teams_=["city-cce"])
    seen, stop = _user_reads(db)
    try:
        assert (await _me(client, worker)).status_code == 200
        assert (await _me(client, worker)).status_code == 200
    finally:
        stop()
    assert len(seen) == 1


async def test_a_membership_changed_in_this_process_applies_at_once(client, db, world, make_user):
    worker = await make_user("worker", teams_=["city-cce"])
    assert [t["slug"] for t in (await _me(client, worker)).json()["teams"]] == ["city-cce"]
    async with db.session() as session:
        session.add(Membership(user_id=worker.id, team_id=world.teams["city-cse"].id))
    assert [t["slug"] for t in (await _me(client, worker)).json()["teams"]] == ["city-cce", "city-cse"]
    async with db.session() as session:
        row = await session.get(User, worker.id)
        row.active = False
    assert (await _me(client, worker)).status_code == 401


async def test_a_change_made_elsewhere_applies_within_the_ttl(client, db, world, make_user, monkeypatch):
    monkeypatch.setattr(actors._actors, "ttl", 0.5)
    worker = await make_user("worker", teams_=["city-cce"])
    assert (await _me(client, worker)).status_code == 200
    async with db.engine.begin() as conn:  # not a session: this process's caches do not hear of it
        await conn.execute(
            update(User.__table__).where(User.__table__.c.id == worker.id).values(active=False)
        )
    assert (await _me(client, worker)).status_code == 200  # still the cached copy
    await asyncio.sleep(0.6)
    assert (await _me(client, worker)).status_code == 401


async def test_each_request_gets_its_own_copy_of_the_user(db, world, make_user):
    worker = await make_user("worker", teams_=["city-cce"])
    async with db.session() as session:
        await actors.user_and_teams(session, worker.id)  # cached from here on
    async with db.sessionmaker() as one, db.sessionmaker() as two:
        a, teams_a = await actors.user_and_teams(one, worker.id)
        b, _ = await actors.user_and_teams(two, worker.id)
        assert a is not b and a in one and b in two
        a.roles.append("admin")
        a.display_name = "Changed in one session"
        assert b.roles == ["worker"] and b.display_name == "Test worker"
        assert teams_a == frozenset({world.teams["city-cce"].id})
        await one.rollback()
    async with db.sessionmaker() as three:
        c, _ = await actors.user_and_teams(three, worker.id)
        assert c.roles == ["worker"] and c.display_name == "Test worker"
        assert not three.dirty  # merged as read: nothing to write


def test_a_value_read_while_a_change_was_in_flight_is_not_kept():
    cache = ProcessCache(f"test-{uuid.uuid4().hex}", (Page,), ttl=60)

    class FakeSession:
        def get_bind(self):
            return engine

    engine = type("Engine", (), {})()  # any weak-referenceable key
    session = FakeSession()
    generation = cache.generation
    cache.invalidate()  # a change was flushed after the read began
    cache.put(session, "k", "old", generation)
    assert cache.get(session, "k") is MISSING
    cache.put(session, "k", "new", cache.generation)
    assert cache.get(session, "k") == "new"


async def _page_policy(client, police, db) -> dict:
    response = await client.post("/api/v1/incidents", json=report(), headers=police.headers)
    assert response.status_code == 201, response.text
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(response.json()["id"]))
        return (
            await session.execute(select(Page.policy).where(Page.incident_id == incident.id))
        ).scalar_one()


async def test_a_policy_set_in_this_process_applies_to_the_next_page(client, db, world, police, make_user):
    manager = await make_user("manager", teams_=["city-cce"])
    team = world.teams["city-cce"]
    assert [lvl["target"] for lvl in (await _page_policy(client, police, db))["levels"]] == [
        "primary",
        "secondary",
        "managers",
    ]
    response = await client.put(
        f"/api/v1/teams/{team.id}/escalation-policy",
        json={"levels": [{"target": "managers", "ack_timeout_seconds": 120}], "repeat": 1},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    assert await _page_policy(client, police, db) == {
        "levels": [{"target": "managers", "ack_timeout_seconds": 120}],
        "repeat": 1,
    }


async def test_a_policy_changed_elsewhere_applies_within_the_ttl(client, db, world, police, monkeypatch):
    monkeypatch.setattr(policies._policies, "ttl", 0.5)
    # The cache's own clock, moved by hand: a loaded machine cannot let the TTL run out early.
    now = [1000.0]
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    team = world.teams["city-cce"]
    levels = [{"target": "primary", "ack_timeout_seconds": 300}]
    async with db.session() as session:
        session.add(EscalationPolicy(team_id=team.id, levels=levels, repeat=0))
    assert (await _page_policy(client, police, db))["repeat"] == 0
    table = EscalationPolicy.__table__
    async with db.engine.begin() as conn:  # another process's change
        await conn.execute(update(table).where(table.c.team_id == team.id).values(repeat=2))
    assert (await _page_policy(client, police, db))["repeat"] == 0
    now[0] += 0.6
    assert (await _page_policy(client, police, db))["repeat"] == 2
