"""PostgreSQL restarted under a stream of intakes: fail fast, report it, recover, lose nothing.

A private PostgreSQL server (initdb into a temporary folder, its own port) is really stopped
and started again while custody keeps reporting, so the suite's shared server is untouched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.auth.models import User
from api.auth.tokens import issue_access_token
from api.db import Database
from api.incidents.models import Incident
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings
from api.teams import service as teams
from tests.conftest import VAPID_PEM
from tests.incident_payloads import report

pytestmark = pytest.mark.slow

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin, self.data, self.port = bin_dir, root / "data", port
        self.log = root / "server.log"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivateServer]:
    if PG_BIN is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        if os.environ.get("LANTERN_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries are needed for the restart test")
        pytest.skip("no PostgreSQL server binaries on this machine")
    root = Path(tempfile.mkdtemp(prefix="lantern-pg-restart-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PrivateServer(PG_BIN, root, _free_port())
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


async def _custody_headers(database: Database, settings: Settings) -> dict[str, str]:
    """The demo geography and one custody officer at Euston Street."""
    from api.demo import AREAS, STATIONS, demo_teams

    async with database.session() as session:
        areas = {slug: await teams.ensure_area(session, slug, name) for slug, name in AREAS}
        for slug, name, area in STATIONS:
            await teams.ensure_station(session, slug, name, areas[area])
        for slug, name, specialism, area in demo_teams():
            await teams.create_team(session, slug=slug, name=name, specialism=specialism, area_slug=area)
        station = await teams.station_by_slug(session, "euston-street")
        user = User(
            username="custody-restart",
            display_name="Custody",
            roles=["police"],
            password_hash="unused",
            station_id=station.id,
        )
        session.add(user)
        await session.flush()
    return {"Authorization": f"Bearer {issue_access_token(settings, user.id).token}"}


async def test_intakes_survive_a_database_restart(private_postgres, tmp_path):
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{private_postgres.port}/postgres"
    database = Database(url)
    await upgrade(database.engine)
    await database.dispose()
    settings = Settings(
        env="test",
        database_url=url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        custody = await _custody_headers(app.state.database, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://lantern.test", timeout=30
        ) as client:
            bodies = [report(police_reference=f"RESTART-{i}") for i in range(30)]  # a retry resends the same
            outcomes: dict[str, int] = {}
            slowest_failure = 0.0
            ready_while_down = None

            async def send(i: int) -> int:
                nonlocal slowest_failure
                started = time.monotonic()
                response = await client.post(
                    "/api/v1/incidents",
                    json=bodies[i],
                    headers={**custody, "Idempotency-Key": f"restart-{i}"},
                )
                if response.status_code == 503:
                    assert response.headers["content-type"].startswith("application/problem+json")
                    assert "Retry-After" in response.headers
                    slowest_failure = max(slowest_failure, time.monotonic() - started)
                return response.status_code

            for i in range(10):
                outcomes[f"{i}"] = await send(i)
            private_postgres.stop()
            for i in range(10, 20):
                outcomes[f"{i}"] = await send(i)
            while_down = dict(outcomes)
            ready_while_down = (await client.get("/readyz")).status_code
            private_postgres.start()

            # The same process recovers on its own: retry every failed one with its key.
            deadline = time.monotonic() + 30
            for i in range(20, 30):
                outcomes[f"{i}"] = await send(i)
            while any(code == 503 for code in outcomes.values()) and time.monotonic() < deadline:
                for key, code in list(outcomes.items()):
                    if code == 503:
                        outcomes[key] = await send(int(key))
                await asyncio.sleep(0.2)
            # And a replay of everything answers the stored result, creating nothing new.
            replays = {await send(int(key)) for key in outcomes}
            ready_after = (await client.get("/readyz")).status_code

        async with app.state.database.session() as session:
            stored = (await session.execute(select(func.count()).select_from(Incident))).scalar_one()
            references = (await session.execute(select(Incident.police_references))).scalars().all()

    assert [while_down[f"{i}"] for i in range(10)] == [201] * 10
    assert [while_down[f"{i}"] for i in range(10, 20)] == [503] * 10
    assert ready_while_down == 503
    assert ready_after == 200
    assert slowest_failure < 5.0, f"a request took {slowest_failure:.1f}s to fail"
    assert set(outcomes.values()) <= {200, 201}, outcomes
    assert replays == {200}
    assert stored == 30
    assert sorted(r[0] for r in references) == sorted(f"RESTART-{i}" for i in range(30))
