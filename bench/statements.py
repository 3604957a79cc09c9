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
from workers import runtime  # noqa: E402
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
        self.begins = self.savepoints = self.checkouts = 0
        event.listen(engine.sync_engine, "begin", self._begin)
        event.listen(engine.sync_engine, "savepoint", self._savepoint)
        event.listen(engine.sync_engine, "release_savepoint", self._savepoint)
        event.listen(engine.sync_engine.pool, "checkout", self._checkout)

    def _begin(self, conn) -> None:
        self.begins += self.on

    def _savepoint(self, conn, name, *_: Any) -> None:
        self.savepoints += self.on

    def _checkout(self, *_: Any) -> None:
        self.checkouts += self.on

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            first = " ".join(statement.split())[:110]
            self.statements.append(("[many] " if executemany else "") + first)

    def _commit(self, conn) -> None:
        if self.on:
            self.commits += 1

    def start(self) -> None:
        self.statements, self.commits, self.on = [], 0, True
        self.begins = self.savepoints = self.checkouts = 0

    def round_trips(self, ping: int) -> int:
        """PostgreSQL round trips: statements, BEGINs, COMMITs, savepoints and the pool's
        pre-ping at each checkout (`ping` round trips each)."""
        return len(self.statements) + self.begins + self.commits + self.savepoints + ping * self.checkouts

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
        result["loop"] = await loop_path(app, counter, post, min(intakes, 50), result["new person"])
    return result


async def loop_path(app: Any, counter: Counter, post: Any, pages: int, intake: tuple[int, int]) -> dict:
    """The worker loop's own path, as `lantern worker` runs it (its own engine, woken by the
    commit, claim and level in one transaction): incidents one at a time, each waited for until
    its delivery is recorded and the worker is idle again. Counts every unit of work of the
    worker for one page (empty claims included) and the CPU of intake plus page."""
    from api.platform.metrics import DELIVERIES

    def recorded() -> float:
        return sum(s.value for m in DELIVERIES.collect() for s in m.samples if s.name.endswith("_total"))

    # SQLite: the API's own engine, as `lantern serve` shares it (its counts then include the
    # intake's, subtracted below); PostgreSQL: an engine of the worker's own.
    shared = app.state.database.is_sqlite
    database = app.state.database if shared else Database(app.state.database.url)
    one_trip = getattr(runtime, "ping_in_one_round_trip", None)  # absent before branch paging
    if one_trip is not None:
        one_trip(database)
    ping = 1 if one_trip is not None else 3
    worker_counter = counter if shared else Counter(database.engine)
    worker = Worker(database, app.state.settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    totals = {"statements": 0, "commits": 0, "checkouts": 0, "round_trips": 0}
    cpu = 0.0
    try:
        await asyncio.sleep(0.5)
        for i in range(pages + 3):
            before = recorded()
            worker_counter.start()
            started = time.process_time()
            await post(body(60_000 + i))
            while recorded() == before:  # noqa: ASYNC110 - a metric moving, not an event
                await asyncio.sleep(0.002)
            await asyncio.sleep(0.1)  # the record's commit, and whatever claims the page caused
            if i >= 3:  # warm-up
                cpu += time.process_time() - started
                totals["statements"] += len(worker_counter.statements)
                totals["commits"] += worker_counter.commits
                totals["checkouts"] += worker_counter.checkouts
                totals["round_trips"] += worker_counter.round_trips(ping)
            worker_counter.stop()
    finally:
        stop.set()
        await task
        await worker.aclose()
        if not shared:
            await database.dispose()
    if shared:
        totals["statements"] -= intake[0] * pages
        totals["commits"] -= intake[1] * pages
    return {k: v / pages for k, v in totals.items()} | {"cpu_ms": cpu / pages * 1000}


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
    print("worker loop, incidents one at a time (its own engine; the worker's units of work per page):")
    for r in rows:
        loop = r["loop"]
        print(
            f"{r['database']:<10} {loop['statements']:.1f} statements, {loop['commits']:.1f} commits, "
            f"{loop['checkouts']:.1f} checkouts, {loop['round_trips']:.1f} round trips (PostgreSQL); "
            f"CPU intake + page {loop['cpu_ms']:.2f} ms, page alone {loop['cpu_ms'] - r['cpu_ms']:.2f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
