"""Does an intake cost more as the database grows? In process, SQLite and PostgreSQL.

For each database: the real app (no worker) through httpx's ASGITransport, like
bench/statements.py. CPU (`time.process_time` of this process: app and client, not
PostgreSQL's own) and wall time per intake, over `--intakes` sequential intakes, for:
1. a new young person, and a known one (matched by LA reference, one earlier episode), on the
   fresh demo database;
2. a known young person with a long history: `--history` earlier intakes about them (real
   intakes, each a missing episode within the last 30 days);
3. again 1., after seeding `--seed` incidents about as many other young people (copies of a
   real row with new ids, references, names and dates, written in batches).

Usage: .venv/bin/python bench/growth.py [--databases sqlite,postgres] [--intakes 100]
                                        [--history 500] [--seed 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.db import table_of  # noqa: E402
from api.incidents.models import Incident  # noqa: E402
from api.people.models import YoungPerson  # noqa: E402
from bench.common import load_average  # noqa: E402
from bench.statements import body, lantern_in_process, post_intake  # noqa: E402

BATCH = 5_000


async def per_intake(client: httpx.AsyncClient, make, count: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per intake over `count` sequential intakes of `make(i)`."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await post_intake(client, make(i))
    return (time.process_time() - cpu) * 1000 / count, (time.perf_counter() - wall) * 1000 / count


async def seed(app, count: int) -> float:
    """`count` incidents about as many new young people, copied from a real pair of rows."""
    started = time.perf_counter()
    people, incidents = table_of(YoungPerson), table_of(Incident)
    database = app.state.database
    async with database.session() as session:
        incident = dict((await session.execute(select(incidents).limit(1))).mappings().one())
        person = dict(
            (await session.execute(select(people).where(people.c.id == incident["young_person_id"])))
            .mappings()
            .one()
        )
    rng = random.Random(17)
    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        person_rows, incident_rows = [], []
        for i in range(start, min(count, start + BATCH)):
            person_id = uuid.uuid4()
            at = now - timedelta(minutes=rng.randrange(60, 2 * 365 * 24 * 60))
            person_rows.append(
                {
                    **person,
                    "id": person_id,
                    "first_name": f"Seed{i}",
                    "match_name": f"seed{i} person",
                    "la_reference": None,
                    "date_of_birth": date(2007, 1, 1) + timedelta(days=rng.randrange(0, 3650)),
                    "created_at": at,
                    "updated_at": at,
                }
            )
            incident_rows.append(
                {
                    **incident,
                    "id": uuid.uuid4(),
                    "reference": f"S{i:09d}",
                    "young_person_id": person_id,
                    "occurred_at": at,
                    "reported_at": at,
                    "updated_at": at,
                }
            )
        async with database.session() as session:
            await session.execute(insert(people), person_rows)
            await session.execute(insert(incidents), incident_rows)
    return time.perf_counter() - started


async def run(kind: str, intakes: int, history: int, seeded: int) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    async with lantern_in_process(kind) as (app, client, _):
        for i in range(5):  # warm up
            await post_intake(client, body(i))
        await post_intake(client, body(0, la_reference="GROWTH-SHORT"))

        def new(offset: int):
            return lambda i: body(offset + i)

        def known(reference: str):
            return lambda i: body(0, la_reference=reference)

        rows.append(("fresh database, new person", *await per_intake(client, new(100_000), intakes)))
        rows.append(
            ("fresh database, known person", *await per_intake(client, known("GROWTH-SHORT"), intakes))
        )
        for _ in range(history):
            await post_intake(client, body(0, la_reference="GROWTH-LONG"))
        rows.append(
            (
                f"known person with {history} earlier episodes",
                *await per_intake(client, known("GROWTH-LONG"), intakes),
            )
        )
        took = await seed(app, seeded)
        async with app.state.database.session() as session:
            total = (await session.execute(select(func.count()).select_from(table_of(Incident)))).scalar_one()
        print(f"  {kind}: seeded {seeded} incidents in {took:.1f} s ({total} in the database)")
        rows.append((f"{total} incidents, new person", *await per_intake(client, new(200_000), intakes)))
        rows.append(
            (f"{total} incidents, known person", *await per_intake(client, known("GROWTH-SHORT"), intakes))
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--intakes", type=int, default=100)
    parser.add_argument("--history", type=int, default=500)
    parser.add_argument("--seed", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    for kind in args.databases.split(","):
        rows = asyncio.run(run(kind, args.intakes, args.history, args.seed))
        print(f"{kind}: per intake, {args.intakes} sequential intakes each")
        for label, cpu, wall in rows:
            print(f"  {label:<44} CPU {cpu:6.2f} ms   wall {wall:6.2f} ms")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
