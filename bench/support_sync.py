"""Offline sync and live events against `lantern serve` (not a timed test).

1. 500 queued support offers held by 10 simulated phones (50 each, over 5 incidents per
   phone) go through POST /api/v1/sync, every phone sending its whole outbox twice (the
   second time as if it never saw the answer), all phones at once. Timed until every
   offer is stored exactly once, which is then checked in the database.
2. Event latency: a manager's SSE stream is open while a worker records offers one by one
   with PUT; for each, the time from sending the PUT (the commit happens inside it) to the
   `support.recorded` event reaching the SSE client.

Usage: .venv/bin/python bench/support_sync.py [--databases sqlite,postgres] [--events 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.auth.models import User  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from api.db import Database  # noqa: E402
from api.incidents.models import Incident, IncidentTeam  # noqa: E402
from api.people.models import YoungPerson  # noqa: E402
from api.support.models import SupportOffer, SupportOfferVersion  # noqa: E402
from api.teams import service as teams  # noqa: E402
from api.teams.models import Membership  # noqa: E402
from bench.common import bench_env, free_port, make_database, run_cli, server  # noqa: E402

PASSWORD = "bench-password-long"
PHONES = 10
INCIDENTS_PER_PHONE = 5
OFFERS_PER_PHONE = 50
KINDS = ["safe_transport", "appropriate_adult", "food_drink_clothing", "safety_plan", "trusted_adult_call"]


async def _setup(url: str) -> dict:
    """Workers of city-cce who each acknowledged their incidents, and a manager watching."""
    database = Database(url)
    password_hash = hash_password(PASSWORD)
    phones = []
    try:
        async with database.session() as session:
            team = await teams.team_by_slug(session, "city-cce")
            station = await teams.station_by_slug(session, "euston-street")
            police = User(username="bench.police", display_name="Bench police", roles=["police"])
            manager = User(
                username="bench.manager",
                display_name="Bench manager",
                roles=["manager"],
                password_hash=password_hash,
            )
            session.add_all([police, manager])
            await session.flush()
            session.add(Membership(user_id=manager.id, team_id=team.id))
            for p in range(PHONES):
                worker = User(
                    username=f"bench.worker{p}",
                    display_name=f"Worker {p}",
                    roles=["worker"],
                    password_hash=password_hash,
                )
                session.add(worker)
                await session.flush()
                session.add(Membership(user_id=worker.id, team_id=team.id))
                incident_ids = []
                for i in range(INCIDENTS_PER_PHONE):
                    person = YoungPerson(
                        first_name="Bench", last_name=f"P{p}I{i}", match_name=f"bench p{p}i{i}"
                    )
                    session.add(person)
                    await session.flush()
                    incident = Incident(
                        reference=f"LAN-BENCH-{p:02d}{i:02d}{uuid.uuid4().hex[:4]}",
                        kind="missing_return",
                        state="acknowledged",
                        priority="P2",
                        occurred_at=datetime.now(UTC) - timedelta(hours=1),
                        reporter_id=police.id,
                        station_id=station.id,
                        young_person_id=person.id,
                        location_description="Bench street",
                        acknowledged_by_id=worker.id,
                        acknowledged_at=datetime.now(UTC),
                    )
                    session.add(incident)
                    await session.flush()
                    session.add(IncidentTeam(incident_id=incident.id, team_id=team.id))
                    incident_ids.append(incident.id)
                phones.append({"username": worker.username, "incidents": incident_ids})
    finally:
        await database.dispose()
    return {"phones": phones, "manager": "bench.manager"}


async def _stored(url: str) -> tuple[int, int]:
    database = Database(url)
    try:
        async with database.session() as session:
            offers = (await session.execute(select(func.count()).select_from(SupportOffer))).scalar_one()
            versions = (
                await session.execute(select(func.count()).select_from(SupportOfferVersion))
            ).scalar_one()
            return offers, versions
    finally:
        await database.dispose()


def _outbox(incidents: list[uuid.UUID]) -> list[dict]:
    now = datetime.now(UTC)
    return [
        {
            "type": "support_offer",
            "incident_id": str(incidents[n % len(incidents)]),
            "offer_id": str(uuid.uuid4()),
            "body": {
                "kind": KINDS[n % len(KINDS)],
                "outcome": "accepted",
                "offered_at": (now - timedelta(minutes=n)).isoformat(),
                "notes": f"bench offer {n}",
            },
        }
        for n in range(OFFERS_PER_PHONE)
    ]


async def _token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _sync_phase(client: httpx.AsyncClient, phones: list[dict]) -> dict:
    async def phone(p: dict) -> list[str]:
        outbox = _outbox(p["incidents"])
        statuses = []
        for _ in range(2):  # the second time as if the first answer was lost
            response = await client.post("/api/v1/sync", json={"items": outbox}, headers=p["headers"])
            response.raise_for_status()
            statuses += [r["status"] for r in response.json()["results"]]
        return statuses

    started = time.perf_counter()
    per_phone = await asyncio.gather(*(phone(p) for p in phones))
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for statuses in per_phone:
        for s in statuses:
            counts[s] = counts.get(s, 0) + 1
    return {"seconds": elapsed, "statuses": counts}


async def _event_phase(
    client: httpx.AsyncClient, base: str, manager: dict, phone: dict, n: int
) -> list[float]:
    arrived: dict[str, float] = {}
    connected = asyncio.Event()

    async def watch() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=60)) as sse:
            async with sse.stream("GET", "/api/v1/events", headers=manager) as response:
                buffer = ""
                async for chunk in response.aiter_text():
                    now = time.perf_counter()
                    buffer += chunk
                    if ": connected" in buffer:
                        connected.set()
                    *blocks, buffer = buffer.split("\n\n")
                    for block in blocks:
                        if "event: support.recorded" in block:
                            data = block.rsplit("data: ", 1)[1]
                            offer_id = data.split('"offer_id":"', 1)[1].split('"', 1)[0]
                            arrived.setdefault(offer_id, now)

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(connected.wait(), 10)
    latencies = []
    try:
        for k in range(n):
            offer_id = str(uuid.uuid4())
            incident_id = phone["incidents"][k % len(phone["incidents"])]
            body = {
                "kind": "safety_plan",
                "outcome": "declined",
                "offered_at": datetime.now(UTC).isoformat(),
            }
            sent = time.perf_counter()
            response = await client.put(
                f"/api/v1/incidents/{incident_id}/support-offers/{offer_id}",
                json=body,
                headers=phone["headers"],
            )
            assert response.status_code == 201, response.text
            async with asyncio.timeout(5):
                while offer_id not in arrived:  # noqa: ASYNC110
                    await asyncio.sleep(0.0005)
            latencies.append((arrived[offer_id] - sent) * 1000)
    finally:
        watcher.cancel()
        try:
            await watcher
        except (asyncio.CancelledError, httpx.HTTPError):
            pass
    return latencies


async def run(kind: str, events: int) -> None:
    url, drop = await make_database(kind)
    try:
        env = bench_env(url, LANTERN_RUN_WORKER="false")
        run_cli(["demo"], env)
        world = await _setup(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(
            [sys.executable, "-m", "workers.cli", "serve", "--port", str(port), "--no-worker"], env, port
        ):
            limits = httpx.Limits(max_connections=PHONES + 4)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
                for p in world["phones"]:
                    p["headers"] = await _token(client, p["username"])
                manager = await _token(client, world["manager"])
                before = await _stored(url)  # the demo records a few offers of its own
                sync = await _sync_phase(client, world["phones"])
                after = await _stored(url)
                stored = (after[0] - before[0], after[1] - before[1])
                latencies = await _event_phase(client, base, manager, world["phones"][0], events)
    finally:
        await drop()
    latencies.sort()
    total = PHONES * OFFERS_PER_PHONE
    print(f"\n{kind}: `lantern serve --no-worker`, one process, loopback")
    print(
        f"  sync: {total} offers from {PHONES} phones, each outbox sent twice at once: "
        f"{sync['seconds']:.2f} s; statuses {sync['statuses']}; stored offers/versions {stored} "
        f"({'exactly once' if stored == (total, total) else 'WRONG'})"
    )
    print(
        f"  events: PUT sent -> support.recorded at the SSE client over {len(latencies)} offers: "
        f"p50 {statistics.median(latencies):.1f} ms, p99 "
        f"{latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.1f} ms, max {latencies[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    for kind in args.databases.split(","):
        asyncio.run(run(kind, args.events))


if __name__ == "__main__":
    main()
