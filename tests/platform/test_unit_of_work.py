"""A 201 means stored: the request's unit of work commits before its response leaves.

Failures are injected where they happen in production: the database refusing the COMMIT
itself (the dialect's `do_commit`, below the ORM), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid

import httpx
import uvicorn
from sqlalchemy import func, select

from api.events.hub import Viewer, hub
from api.incidents.idempotency import IdempotencyRecord
from api.incidents.models import Incident, TimelineEvent
from api.jobs.models import Job
from tests.incident_payloads import report


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@contextlib.contextmanager
def failing_commits(db, times: int = 1):
    """The database refuses the next `times` COMMITs, as a server going away mid-commit would."""
    dialect = db.engine.sync_engine.dialect
    real = dialect.do_commit
    left = {"n": times}

    def do_commit(dbapi_connection):
        if left["n"] > 0:
            left["n"] -= 1
            raise dialect.loaded_dbapi.OperationalError("injected: the server closed the connection")
        return real(dbapi_connection)

    dialect.do_commit = do_commit
    try:
        yield left
    finally:
        dialect.do_commit = real


async def _drain(subscription, within: float) -> list:
    got = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                got.append(await subscription.queue.get())
    return got


async def test_a_failed_commit_answers_503_and_stores_nothing(client, custody, db, world):
    team = world.teams["city-cce"].id
    subscription = hub.subscribe(Viewer(user_id=uuid.uuid4(), roles=["worker"], team_ids=[team]))
    headers = {**custody.headers, "Idempotency-Key": "uow-commit-fails"}
    try:
        with failing_commits(db) as left:
            response = await client.post("/api/v1/incidents", json=report(), headers=headers)
        assert left["n"] == 0, "the injected failure was not reached"
        events = await _drain(subscription, within=0.5)
    finally:
        hub.unsubscribe(subscription)

    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    assert "reference" not in response.json()
    # Nothing half-written, the key not consumed, no job, no live event announced.
    for model in (Incident, TimelineEvent, IdempotencyRecord, Job):
        assert await _count(db, model) == 0, model.__name__
    assert events == []


async def test_a_replay_after_the_failure_creates_the_incident_once(client, custody, db):
    headers = {**custody.headers, "Idempotency-Key": "uow-replay"}
    body = report()
    with failing_commits(db):
        failed = await client.post("/api/v1/incidents", json=body, headers=headers)
    assert failed.status_code == 503
    first = await client.post("/api/v1/incidents", json=body, headers=headers)
    again = await client.post("/api/v1/incidents", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json() == first.json()
    assert await _count(db, Incident) == 1
    detail = await client.get(f"/api/v1/incidents/{first.json()['id']}/status", headers=custody.headers)
    assert detail.status_code == 200


async def test_a_failed_commit_of_another_write_rolls_it_back(client, custody, db, world, make_user):
    """Not only intake: any write route (here a push subscription) is all or nothing."""
    worker = await make_user("worker", teams_=["city-cce"])
    body = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/uow-" + uuid.uuid4().hex,
        "keys": {
            "p256dh": (
                "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
            ),
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    }
    with failing_commits(db):
        response = await client.post("/api/v1/push/subscriptions", json=body, headers=worker.headers)
    assert response.status_code == 503, response.text
    listed = await client.get("/api/v1/push/subscriptions", headers=worker.headers)
    assert listed.status_code == 200
    assert listed.json() == [] or listed.json().get("items", []) == []


@contextlib.asynccontextmanager
async def served(app):
    """The app (lifespan already running) behind a real uvicorn server on a loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, no event
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task
        sock.close()


async def test_read_your_writes_across_connections(app, custody):
    """200 times: POST on one connection, then at once GET on another sees the write."""
    async with (
        served(app) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as writer,
        httpx.AsyncClient(base_url=base, timeout=10) as reader,
    ):
        missed = []
        for i in range(200):
            created = await writer.post(
                "/api/v1/incidents",
                json=report(police_reference=f"RYW-{i}"),
                headers={**custody.headers, "Idempotency-Key": f"ryw-{i}"},
            )
            assert created.status_code == 201, created.text
            seen = await reader.get(
                f"/api/v1/incidents/{created.json()['id']}/status", headers=custody.headers
            )
            if seen.status_code != 200:
                missed.append((i, seen.status_code))
    assert missed == []
