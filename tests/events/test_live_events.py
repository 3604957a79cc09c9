"""Live events: who receives what, published only after commit, and the SSE stream itself.

Streams in these tests end by themselves (a short maximum connection age), so none can hang.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from api.events.bus import Audience, Envelope, LiveEvent, publish
from api.events.hub import EventHub, Viewer, hub, may_receive
from api.events.listener import APPLICATION_NAME, PgListener, asyncpg_dsn
from api.main import create_app
from tests.conftest import PG_ADMIN_DSN
from tests.support_helpers import attended_incident, offer_body, offer_url, parse_sse, wait_until

CITY = uuid.uuid4()
COUNTY = uuid.uuid4()
STATION = uuid.uuid4()


def viewer(*roles, teams=(), station=None, user_id=None) -> Viewer:
    return Viewer(
        user_id=user_id or uuid.uuid4(), roles=frozenset(roles), team_ids=frozenset(teams), station_id=station
    )


def event(name="incident.updated", *, teams=(), stations=(), users=(), managers=False) -> LiveEvent:
    return LiveEvent(
        name,
        {"incident_id": str(uuid.uuid4())},
        Audience(frozenset(teams), frozenset(stations), frozenset(users), managers),
    )


# --- who receives what ----------------------------------------------------------------------


def test_staff_receive_the_events_of_their_teams_only():
    for role in ("worker", "day_team", "manager"):
        assert may_receive(viewer(role, teams=[CITY]), event(teams=[CITY]))
        assert not may_receive(viewer(role, teams=[COUNTY]), event(teams=[CITY]))
    assert not may_receive(viewer("admin"), event(teams=[CITY]))


def test_police_receive_status_events_of_their_station_only():
    officer = viewer("police", station=STATION)
    assert may_receive(officer, event("incident.created", stations=[STATION]))
    assert may_receive(officer, event("incident.updated", stations=[STATION]))
    assert may_receive(officer, event("page.acknowledged", stations=[STATION]))
    assert not may_receive(officer, event("support.recorded", stations=[STATION], teams=[CITY]))
    assert not may_receive(officer, event("page.sent", stations=[STATION]))
    assert not may_receive(viewer("police", station=uuid.uuid4()), event(stations=[STATION]))
    assert not may_receive(officer, event(teams=[CITY], managers=True))


def test_flags_reach_every_manager_and_named_users_reach_them():
    flag = event("incident.uncovered", teams=[CITY], managers=True)
    assert may_receive(viewer("manager", teams=[COUNTY]), flag)
    assert may_receive(viewer("admin"), flag)
    assert not may_receive(viewer("worker", teams=[COUNTY]), flag)
    named = uuid.uuid4()
    assert may_receive(viewer("worker", user_id=named), event("page.sent", users=[named]))


async def test_a_slow_subscriber_is_dropped_not_buffered_forever():
    local = EventHub(queue_size=2)
    slow = local.subscribe(viewer("worker", teams=[CITY]))
    for _ in range(3):
        local.deliver(Envelope(uuid.uuid4().hex, event(teams=[CITY])))
    assert slow.closed
    assert slow.queue.get_nowait() is None  # the stream ends; the client reconnects and refetches


def test_an_event_name_outside_the_contract_is_refused():
    with pytest.raises(ValueError):
        publish(None, event("incident.deleted"))  # type: ignore[arg-type]


# --- published after commit only ----------------------------------------------------------


async def _received(subscription, within: float = 2.0) -> list[Envelope]:
    """What reached `subscription` within `within` s (the PostgreSQL path goes through NOTIFY)."""
    got = []
    try:
        async with asyncio.timeout(within):
            while True:
                got.append(await subscription.queue.get())
    except TimeoutError:
        pass
    return got


async def test_events_are_delivered_after_commit_and_never_on_rollback(app, db, world):
    team = world.teams["city-cce"].id
    subscription = hub.subscribe(viewer("worker", teams=[team]))
    try:
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                publish(session, event("incident.updated", teams=[team]))
                await session.execute(text("SELECT 1"))
                raise RuntimeError("the change failed")
        async with db.session() as session:
            publish(session, event("incident.created", teams=[team]))
            await session.execute(text("SELECT 1"))
            assert subscription.queue.empty()  # not before the commit
        got = await _received(subscription, within=1.0)
    finally:
        hub.unsubscribe(subscription)
    assert [e.event.name for e in got] == ["incident.created"]


# --- the SSE stream through the app ---------------------------------------------------------


@pytest.fixture
async def short_streams(settings):
    """The app with streams that end after a second, keep-alives every 0.2 s."""
    quick = settings.model_copy(update={"events_keepalive_seconds": 0.2, "events_max_age_seconds": 1.2})
    application = create_app(quick)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://lantern.test"
        ) as client:
            yield client


async def _open_streams(client, *people) -> list[asyncio.Task]:
    before = hub.subscriber_count
    tasks = [asyncio.create_task(client.get("/api/v1/events", headers=p.headers)) for p in people]
    await wait_until(lambda: hub.subscriber_count >= before + len(people))
    return tasks


async def test_a_worker_sees_support_recorded_live_and_another_team_sees_nothing(
    short_streams, app, world, make_user, db
):
    client = short_streams
    incident, worker, police = await attended_incident(db, world, make_user)
    colleague = await make_user("manager", teams_=("city-cce",))
    other_team = await make_user("worker", teams_=("county-cce",))
    other_station = await make_user("police", station="loughborough")
    streams = await _open_streams(client, colleague, other_team, police, other_station)

    offer_id = uuid.uuid4()
    put = await client.put(offer_url(incident.id, offer_id), json=offer_body(), headers=worker.headers)
    assert put.status_code == 201
    colleague_stream, other_stream, police_stream, other_station_stream = await asyncio.gather(*streams)

    assert colleague_stream.status_code == 200
    assert colleague_stream.headers["content-type"].startswith("text/event-stream")
    events, others = parse_sse(colleague_stream.text)
    assert others[0].startswith("retry: ")
    assert ": keep-alive" in others
    names = {e["event"]: e for e in events}
    assert set(names) == {"incident.updated", "support.recorded"}
    assert names["support.recorded"]["data"] == {
        "incident_id": str(incident.id),
        "offer_id": str(offer_id),
        "version": 1,
    }
    assert all(e["id"] for e in events) and len({e["id"] for e in events}) == len(events)

    assert parse_sse(other_stream.text)[0] == []
    police_events = parse_sse(police_stream.text)[0]
    assert [e["event"] for e in police_events] == ["incident.updated"]  # status only, no support details
    assert parse_sse(other_station_stream.text)[0] == []


async def test_the_stream_needs_a_bearer_token(short_streams):
    response = await short_streams.get("/api/v1/events")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    response = await short_streams.get("/api/v1/events?access_token=abc")
    assert response.status_code == 401


async def test_the_stream_does_not_hold_a_database_connection(short_streams, app, world, make_user, db):
    # On SQLite an open transaction would hold the write lock for the stream's whole life.
    worker = await make_user("worker", teams_=("city-cce",))
    streams = await _open_streams(short_streams, worker)
    async with asyncio.timeout(1.0):
        async with db.session() as session:
            updated = await session.execute(text("UPDATE users SET active = active"))
    assert updated.rowcount >= 1  # the write got the lock while the streams were open
    await asyncio.gather(*streams)


# --- PostgreSQL: the listening connection comes back after the database drops it --------------


async def test_the_listener_reconnects_and_ends_streams_after_its_connection_is_killed(
    app, db, world, settings
):
    if settings.is_sqlite:
        pytest.skip("SQLite has an in-process bus only")
    local = EventHub()
    listener = PgListener(asyncpg_dsn(settings.database_url), local, ping_seconds=0.5)
    await listener.start()
    team = world.teams["city-cce"].id
    try:
        assert listener.connections == 1
        before = local.subscribe(viewer("worker", teams=[team]))
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            pids = await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
                APPLICATION_NAME,
                settings.database_url.rsplit("/", 1)[1],
            )
            assert pids
            for row in pids:
                await admin.execute("SELECT pg_terminate_backend($1)", row["pid"])
        finally:
            await admin.close()
        await wait_until(lambda: listener.connections >= 2 and listener.connected.is_set(), within=10)
        # Streams open across the gap are ended so their clients refetch what they missed.
        assert before.closed
        after = local.subscribe(viewer("worker", teams=[team]))
        async with db.session() as session:
            publish(session, event("incident.updated", teams=[team]))
        got = await _received(after, within=1.0)
        assert [e.event.name for e in got] == ["incident.updated"]
    finally:
        await listener.stop()
