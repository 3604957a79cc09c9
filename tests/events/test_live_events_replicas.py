"""Two real `lantern serve` processes on one PostgreSQL: a change on one is seen live on the other."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.incident_payloads import report
from tests.ports import ReservedPort
from tests.support_helpers import attended_incident, offer_body, offer_url, parse_sse

# Alone: a change must reach another process's client within a second.
pytestmark = [pytest.mark.slow, pytest.mark.alone]

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def _serve(settings, tmp_path: Path, name: str):
    """A `lantern serve --no-worker` process on a loopback port; yields its base URL."""
    reserved = ReservedPort()
    port = reserved.port
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": settings.secret_key,
        "LANTERN_VAPID_PRIVATE_KEY": settings.vapid_private_key,
        "LANTERN_VAR_DIR": str(tmp_path / f"var-{name}"),
        "LANTERN_PWA_DIST": str(tmp_path / "no-pwa"),
        "LANTERN_LOG_LEVEL": "WARNING",
        "LANTERN_EVENTS_KEEPALIVE_SECONDS": "0.5",
        "LANTERN_EVENTS_MAX_AGE_SECONDS": "6",
    }
    log = (tmp_path / f"{name}.log").open("wb")
    lantern = Path(sys.executable).with_name("lantern")
    command = [str(lantern)] if lantern.exists() else [sys.executable, "-m", "workers.cli"]
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for over HTTP below
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"{name} exited: {(tmp_path / f'{name}.log').read_text()[-2000:]}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{name} never became ready"
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), timeout=10)
        except TimeoutError:
            process.kill()
            await asyncio.to_thread(process.wait)
        log.close()
        reserved.release()


class _Listener:
    """Reads one SSE stream in the background, noting when each event arrived."""

    def __init__(self, base: str, person) -> None:
        self.base = base
        self.person = person
        self.text = ""
        self.connected = asyncio.Event()
        self.arrived: dict[str, float] = {}
        self.task: asyncio.Task | None = None

    async def _read(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=httpx.Timeout(10, read=10)) as client:
            async with client.stream("GET", "/api/v1/events", headers=self.person.headers) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_text():
                    self.text += chunk
                    if ": connected" in self.text:
                        self.connected.set()
                    for line in chunk.splitlines():
                        if line.startswith("event: "):
                            self.arrived.setdefault(line.removeprefix("event: "), time.monotonic())

    async def __aenter__(self) -> _Listener:
        self.task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), timeout=10)
        return self

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self.task


async def test_a_change_on_one_replica_reaches_a_client_of_another_within_a_second(
    settings, world, make_user, db, tmp_path
):
    if settings.is_sqlite:
        pytest.skip("replicas share PostgreSQL; SQLite is one process")
    incident, worker, police = await attended_incident(db, world, make_user)
    manager = await make_user("manager", teams_=("city-cce",))
    other_team = await make_user("worker", teams_=("county-cse",))

    async with (
        _serve(settings, tmp_path, "replica-a") as replica_a,
        _serve(settings, tmp_path, "replica-b") as replica_b,
    ):
        async with _Listener(replica_a, manager) as watching, _Listener(replica_a, other_team) as elsewhere:
            async with _Listener(replica_a, police) as custody:
                async with httpx.AsyncClient(base_url=replica_b, timeout=5) as phone:
                    offer_id = uuid.uuid4()
                    response = await phone.put(
                        offer_url(incident.id, offer_id), json=offer_body(), headers=worker.headers
                    )
                    committed = time.monotonic()
                assert response.status_code == 201, response.text
                async with asyncio.timeout(1.0):
                    while {"incident.updated", "support.recorded"} - set(watching.arrived):  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
                assert max(watching.arrived.values()) - committed < 1.0

                # Custody staff report a new incident on replica B: the team's manager on A sees it.
                async with httpx.AsyncClient(base_url=replica_b, timeout=10) as custody_desk:
                    created = await custody_desk.post(
                        "/api/v1/incidents", json=report(), headers=police.headers
                    )
                    committed = time.monotonic()
                assert created.status_code == 201, created.text
                assert "city-cce" in {t["slug"] for t in created.json()["teams"]}
                async with asyncio.timeout(1.0):
                    while "incident.created" not in watching.arrived:  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
                assert watching.arrived["incident.created"] - committed < 1.0
                # Nothing for another team, whatever we wait; custody staff see the status change only.
                await asyncio.sleep(0.3)
        # Clients that went away are forgotten (no subscriber left behind on the replica).
        async with httpx.AsyncClient(base_url=replica_a, timeout=2) as probe:
            async with asyncio.timeout(5):
                while "lantern_sse_subscribers 0.0" not in (await probe.get("/metrics")).text:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
    events, _ = parse_sse(watching.text)
    assert {"incident.updated", "support.recorded", "incident.created"} <= {e["event"] for e in events}
    assert {"incident_id": created.json()["id"]}.items() <= next(
        e["data"] for e in events if e["event"] == "incident.created"
    ).items()
    assert parse_sse(elsewhere.text)[0] == []
    custody_events = [e["event"] for e in parse_sse(custody.text)[0]]
    assert custody_events[0] == "incident.updated" and "incident.created" in custody_events
    assert "support.recorded" not in custody_events and "page.sent" not in custody_events
    assert "retry: " in watching.text
