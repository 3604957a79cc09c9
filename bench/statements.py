"""SQL statements and CPU per intake, in process, on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/statements.py [--databases sqlite,postgres] [--intakes 200] [--show]

For each database: a fresh migrated database with the demo data, one police user, and the real
app (its lifespan, no worker) reached through httpx's ASGITransport. After a few warm-up
intakes it counts the statements one POST /api/v1/incidents sends (a SQLAlchemy
`before_cursor_execute` listener on the engine; an executemany counts once) and the commits,
for a young person seen for the first time and for one already known (matched by LA
reference), then the CPU of this process (`time.process_time`, every thread: the event loop
and aiosqlite's) over `--intakes` sequential intakes. PostgreSQL's own CPU is not included.
`--show` prints the statements.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.auth.tokens import issue_access_token  # noqa: E402
from api.db import Database  # noqa: E402
from api.demo import load_demo  # noqa: E402
from api.main import create_app  # noqa: E402
from api.migrations import upgrade  # noqa: E402
from api.settings import Settings, _new_vapid_private_pem  # noqa: E402
from api.teams import service as teams  # noqa: E402
from bench.common import make_database  # noqa: E402
from workers.runtime import Worker  # noqa: E402


def body(i: int, *, la_reference: str | None = None) -> dict:
    person = {"first_name": f"Bench{i}", "last_name": "Person", "date_of_birth": "2010-01-01"}
    if la_reference:
        person = {"first_name": "Known", "last_name": "Person", "la_reference": la_reference}
    return {
        "kind": "missing_return",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "police_station": "euston-street",
        "young_person": person,
        "location": {"description": "Bench street", "area": "leicester-city"},
        "indicators": [{"code": "MOV-OUT-OF-AREA"}, {"code": "ITM-UNEXPLAINED-MONEY"}],
        "custody_status": "released",
    }


class Counter:
    def __init__(self, engine) -> None:
        self.on = False
        self.statements: list[str] = []
        self.commits = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            first = " ".join(statement.split())[:110]
            self.statements.append(("[many] " if executemany else "") + first)

    def _commit(self, conn) -> None:
        if self.on:
            self.commits += 1

    def start(self) -> None:
        self.statements, self.commits, self.on = [], 0, True

    def stop(self) -> tuple[int, int]:
        self.on = False
        return len(self.statements), self.commits


@contextlib.asynccontextmanager
async def lantern_in_process(kind: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient, str]]:
    """A fresh migrated database with the demo data and one police user, and the real app (its
    lifespan, no worker) reached through httpx's ASGITransport: (app, client, database URL)."""
    url, drop = await make_database(kind)
    var_dir = Path(tempfile.mkdtemp(prefix="lantern-bench-var-"))
    settings = Settings(
        env="test",
        database_url=url,
        var_dir=var_dir,
        secret_key="bench-secret-" + "b" * 40,
        vapid_private_key=_new_vapid_private_pem(),
        run_worker=False,
        pwa_dist=var_dir / "no-pwa",
    )
    try:
        database = Database(url)
        await upgrade(database.engine)
        await database.dispose()
        await load_demo(settings)
        database = Database(url)
        async with database.session() as session:
            user = await teams.create_user(
                session,
                username=f"bench.police.{uuid.uuid4().hex[:6]}",
                display_name="Bench police",
                password=None,
                roles=["police"],
                station_slug="euston-street",
            )
        await database.dispose()
        headers = {"Authorization": f"Bearer {issue_access_token(settings, user.id).token}"}
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as c:
                yield app, c, url
    finally:
        await drop()


async def post_intake(client: httpx.AsyncClient, payload: dict) -> dict:
    response = await client.post("/api/v1/incidents", json=payload)
    if response.status_code != 201:
        raise RuntimeError(f"{response.status_code} {response.text[:300]}")
    return response.json()


async def run(kind: str, intakes: int, show: bool) -> dict:
    async with lantern_in_process(kind) as (app, c, _):
        counter = Counter(app.state.database.engine)

        async def post(payload: dict) -> None:
            await post_intake(c, payload)

        for i in range(5):  # warm up: caches, the reference counter, the known person
            await post(body(i))
        await post(body(0, la_reference="BENCH-LA-1"))
        result: dict = {"database": kind}
        for label, payload in (
            ("new person", body(10_000)),
            ("known person", body(0, la_reference="BENCH-LA-1")),
        ):
            counter.start()
            await post(payload)
            statements, commits = counter.stop()
            result[label] = (statements, commits)
            if show:
                print(f"-- {kind}, {label}: {statements} statements, {commits} commit(s)")
                for s in counter.statements:
                    print("   ", s)
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        for i in range(intakes):
            await post(body(20_000 + i))
        cpu = time.process_time() - started_cpu
        wall = time.perf_counter() - started_wall
        result["cpu_ms"] = cpu / intakes * 1000
        result["wall_ms"] = wall / intakes * 1000
        # The worker's share: paging one incident (the demo's on-call people have no phones
        # here, so each is reached on the fallback channel, the log: no network in the figure).
        worker = Worker(app.state.database, app.state.settings)
        try:
            await worker.drain()
            await post(body(30_000))
            counter.start()
            ran = await worker.drain()
            statements, commits = counter.stop()
            result["paging"] = (statements, commits, ran)
            if show:
                print(
                    f"-- {kind}, paging one incident: {ran} jobs, {statements} statements, {commits} commits"
                )
                for s in counter.statements:
                    print("   ", s)
            cpu_total, pages = 0.0, min(intakes, 50)
            for i in range(pages):
                await post(body(40_000 + i))
                started_cpu = time.process_time()
                await worker.drain()
                cpu_total += time.process_time() - started_cpu
            result["paging_cpu_ms"] = cpu_total / pages * 1000
        finally:
            await worker.aclose()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--intakes", type=int, default=200)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    rows = [await run(kind, args.intakes, args.show) for kind in args.databases.split(",")]
    print(f"{'database':<10} {'new person':>22} {'known person':>22} {'CPU/intake':>12} {'wall/intake':>12}")
    for r in rows:
        new, known = r["new person"], r["known person"]
        print(
            f"{r['database']:<10} {f'{new[0]} stmts, {new[1]} commit':>22} "
            f"{f'{known[0]} stmts, {known[1]} commit':>22} {r['cpu_ms']:>9.2f} ms {r['wall_ms']:>9.2f} ms"
        )
    print("worker, paging one incident (in process, fallback channel):")
    for r in rows:
        statements, commits, ran = r["paging"]
        print(
            f"{r['database']:<10} {ran} jobs, {statements} statements, {commits} commits; "
            f"CPU {r['paging_cpu_ms']:.2f} ms per incident"
        )


if __name__ == "__main__":
    asyncio.run(main())
