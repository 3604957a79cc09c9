"""Search latency over 10,000 synthetic incidents, on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/search.py [--databases sqlite,postgres] [--incidents 10000] [--repeats 25]

For each database: a fresh one (a SQLite file in a temporary folder; a PostgreSQL database
created here and dropped at the end), migrated and loaded with the demo teams and users, then
seeded with synthetic incidents (people, teams, indicators) spread over the last 365 days.
`lantern serve --no-worker` answers on loopback; each representative query is sent
`--repeats` times, one at a time, as the demo duty manager (every team: the widest scope),
through POST /api/v1/incidents/query. Beside each HTTP figure, the raw SQL of the same search
(the scoped, ordered, limited statement api.search.service builds) is timed in this process
on its own connection, so the two can be compared, and its plan (EXPLAIN) names the indexes
the database chose. Bounded: about a minute per database on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlmodel import col

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import api.models  # noqa: E402,F401
from api.auth.dependencies import Actor  # noqa: E402
from api.auth.models import Membership, User  # noqa: E402
from api.db import Database, table_of  # noqa: E402
from api.demo import DEMO_PASSWORD  # noqa: E402
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam  # noqa: E402
from api.people.models import YoungPerson  # noqa: E402
from api.places.models import Place  # noqa: E402
from api.search import service  # noqa: E402
from api.search.schemas import IncidentQuery  # noqa: E402
from api.teams.models import Station, Team  # noqa: E402
from api.triage.catalogue import load_catalogue  # noqa: E402
from bench.common import bench_env, free_port, make_database, run_cli, server  # noqa: E402

USER = "manager.duty"
# (location text, the place it is linked to, the place's type); None: no place record.
PLACES = [
    ("Leicester railway station", "Leicester railway station", "transport_hub"),
    ("Leicester railway station, platform 2", "Leicester railway station", "transport_hub"),
    ("Haymarket bus station", "Haymarket bus station", "transport_hub"),
    ("St Margaret's bus station", "St Margaret's bus station", "transport_hub"),
    ("Highcross shopping centre", "Highcross shopping centre", "other"),
    ("Fosse Park retail park", None, None),
    ("Southfields Park, Loughborough", "Southfields Park", "park_or_open_space"),
    ("Queen's Park, Loughborough", "Queen's Park", "park_or_open_space"),
    ("Loughborough bus station", "Loughborough bus station", "transport_hub"),
    ("Loughborough railway station", "Loughborough railway station", "transport_hub"),
    ("Chicken shop, London Road", "London Road chicken shop", "takeaway_or_shop"),
    ("Takeaway, Narborough Road", "Narborough Road takeaway", "takeaway_or_shop"),
    ("Travelodge, Leicester Central", "Travelodge Leicester Central", "hotel_or_short_let"),
    ("Short-let flat, Belgrave", None, None),
    ("Abbey Park", "Abbey Park", "park_or_open_space"),
    ("Victoria Park", "Victoria Park", "park_or_open_space"),
    ("Oakham town centre", None, None),
    ("Rutland Water car park", None, None),
    ("Hinckley bus station", "Hinckley bus station", "transport_hub"),
    ("Coalville market", None, None),
]
FIRST = [
    "Jordan",
    "Casey",
    "Riley",
    "Kai",
    "Amira",
    "Tyler",
    "Leah",
    "Mason",
    "Zara",
    "Ellis",
    "Noah",
    "Maya",
]
LAST = ["Reyes", "Lee", "Hart", "Okafor", "Shah", "Bennett", "Morgan", "Dale", "Patel", "Nowak", "Khan"]


def queries(person_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The representative searches (label, body)."""
    return [
        ("everything, last 28 days", {"last_days": 28}),
        (
            "CCE indicators in the county, 28 days",
            {"indicator_categories": ["cce"], "areas": ["leicestershire"], "last_days": 28},
        ),
        ("one indicator code, all time", {"indicators": ["ITM-WEAPON"]}),
        ("harm group, P1, 90 days", {"indicator_groups": ["harm"], "priorities": ["P1"], "last_days": 90}),
        ("one young person", {"young_person_id": person_id}),
        (
            "CCE at transport hubs, 28 days",
            {"indicator_categories": ["cce"], "place_types": ["transport_hub"], "last_days": 28},
        ),
        ("place name or alias 'bus station'", {"place_name": "bus station"}),
        ("location contains 'railway'", {"location_contains": "railway"}),
        ("team + kind + 180 days", {"teams": ["city-cse"], "kinds": ["arrest"], "last_days": 180}),
        ("no filter, page of 200", {"limit": 200}),
    ]


async def seed(database: Database, count: int, rng: random.Random) -> str:
    """`count` incidents as intake would leave them; returns one young person's id (several incidents)."""
    async with database.session() as session:
        stations = list((await session.execute(select(Station))).scalars())
        teams = {(t.area_id, t.specialism): t for t in (await session.execute(select(Team))).scalars()}
        reporter = (
            await session.execute(select(User).where(col(User.username) == "custody.euston"))
        ).scalar_one()
    catalogue = load_catalogue()
    codes = [(i.code, i.category) for i in catalogue.all()]
    now = datetime.now(UTC)
    place_rows = {
        name: {"id": uuid.uuid4(), "name": name, "aliases": [], "type": kind, "created_at": now}
        for _, name, kind in PLACES
        if name is not None
    }
    place_of = {text: place_rows[name]["id"] if name else None for text, name, _ in PLACES}
    people = [
        {
            "id": uuid.uuid4(),
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "match_name": "x",
            "aliases": [],
            "legal_status": "unknown",
            "learning_disability": False,
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(count // 3)
    ]
    incidents, links, indicators = [], [], []
    for n in range(count):
        station = rng.choice(stations)
        area_id = station.area_id
        chosen = rng.sample(codes, rng.randint(1, 4))
        categories = sorted({c for _, c in chosen if c in ("cse", "cce")})
        team_ids = [teams[(area_id, c)].id for c in categories] or [teams[(area_id, "general")].id]
        occurred = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
        incident_id = uuid.uuid4()
        harm = any(load_catalogue().require(c).group == "harm" for c, _ in chosen)
        incidents.append(
            {
                "id": incident_id,
                "reference": f"LAN-B-{n:07d}",
                "kind": rng.choice(("missing_return", "arrest", "stop_conversation")),
                "state": rng.choice(("closed", "closed", "handed_over", "picked_up", "acknowledged")),
                "priority": "P1" if harm else rng.choice(("P2", "P2", "P3")),
                "occurred_at": occurred,
                "reported_at": occurred + timedelta(minutes=rng.randint(5, 90)),
                "reporter_id": reporter.id,
                "station_id": station.id,
                "police_references": [],
                "young_person_id": rng.choice(people)["id"],
                "location_description": (where := rng.choice(PLACES)[0]),
                "place_id": place_of[where],
                "location_area_id": area_id,
                "area_id": area_id,
                "custody": {},
                "people_present": [],
                "charged": False,
                "bail_refused": False,
                "was_missing": False,
                "triage": {"categories": categories or ["general"], "reasons": []},
                "needs_manager_review": False,
                "uncovered": False,
                "version": 1,
                "updated_at": occurred,
            }
        )
        links += [
            {"id": uuid.uuid4(), "incident_id": incident_id, "team_id": t, "created_at": occurred}
            for t in team_ids
        ]
        indicators += [
            {
                "id": uuid.uuid4(),
                "incident_id": incident_id,
                "code": code,
                "category": category,
                "provenance": "observed",
                "catalogue_version": catalogue.version,
                "recorded_at": occurred,
            }
            for code, category in chosen
        ]
    async with database.session() as session:
        for model, rows in (
            (Place, list(place_rows.values())),
            (YoungPerson, people),
            (Incident, incidents),
            (IncidentTeam, links),
            (IncidentIndicator, indicators),
        ):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table_of(model)), rows[start : start + 2000])
    if database.engine.dialect.name == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("ANALYZE"))
    else:
        async with database.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    counts: dict[uuid.UUID, int] = {}
    for row in incidents:
        counts[row["young_person_id"]] = counts.get(row["young_person_id"], 0) + 1
    return str(max(counts, key=lambda k: counts[k]))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def time_http(base: str, token: str, body: dict[str, Any], repeats: int) -> tuple[list[float], int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        await client.post("/api/v1/incidents/query", json=body)  # warm
        times, found = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            response = await client.post("/api/v1/incidents/query", json=body)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            found = len(response.json()["items"])
    return times, found


async def time_sql(database: Database, body: dict[str, Any], repeats: int) -> tuple[list[float], list[str]]:
    """The search's own statement (scope, filters, order, limit) and nothing else; and the
    indexes its plan uses."""
    limit = body.get("limit", 50)
    query = IncidentQuery.model_validate({k: v for k, v in body.items() if k != "limit"})
    async with database.session() as session:
        user = (await session.execute(select(User).where(col(User.username) == USER))).scalar_one()
        team_ids = (
            await session.execute(select(col(Membership.team_id)).where(col(Membership.user_id) == user.id))
        ).scalars()
        actor = Actor(user=user, roles=frozenset(user.roles), team_ids=frozenset(team_ids))
        checked = await service.check(session, query)
        stmt = (
            service.statement(query, actor, checked, service.window_of(query, datetime.now(UTC)))
            .order_by(col(Incident.occurred_at).desc(), col(Incident.id).desc())
            .limit(limit + 1)
        )
        await session.execute(stmt)  # warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            (await session.execute(stmt)).scalars().all()
            times.append((time.perf_counter() - started) * 1000)
        dialect = session.get_bind().dialect
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN (COSTS OFF) "
        plan = " ".join(str(row[-1]) for row in (await session.execute(text(explain + sql))).all())
    used = sorted(
        {
            w.strip("()")
            for w in plan.replace("(", " ").split()
            if w.startswith(("ix_", "uq_", "sqlite_autoindex"))
        }
    )
    return times, used


async def run(kind: str, count: int, repeats: int) -> list[dict[str, Any]]:
    url, drop = await make_database(kind)
    rng = random.Random(14)
    results: list[dict[str, Any]] = []
    database: Database | None = None
    try:
        env = bench_env(url, LANTERN_RUN_WORKER="false")
        started = time.perf_counter()
        run_cli(["migrate"], env)
        run_cli(["demo"], env)
        database = Database(url)
        person_id = await seed(database, count, rng)
        print(
            f"{kind}: migrated, demo loaded and {count} incidents seeded in {time.perf_counter() - started:.1f} s"
        )
        port = free_port()
        cmd = [sys.executable, "-m", "workers.cli", "serve", "--port", str(port), "--no-worker"]
        with server(cmd, env, port):
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(
                f"{base}/api/v1/auth/token", data={"username": USER, "password": DEMO_PASSWORD}
            ).json()["access_token"]
            for label, body in queries(person_id):
                http, found = await time_http(base, token, body, repeats)
                sql, used = await time_sql(database, body, repeats)
                results.append({"label": label, "http": http, "sql": sql, "found": found, "indexes": used})
    finally:
        if database is not None:
            await database.dispose()
        await drop()
        if kind == "sqlite":
            shutil.rmtree(Path(url.split("///", 1)[1]).parent, ignore_errors=True)
    return results


def show(kind: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{kind}: POST /api/v1/incidents/query as {USER} (all 9 teams), sequential, loopback")
    print(
        f"  {'query':<40} {'rows':>4}  {'HTTP p50':>9} {'HTTP p95':>9}  {'SQL p50':>8} {'SQL p95':>8}"
        "  indexes in the plan"
    )
    for r in rows:
        print(
            f"  {r['label']:<40} {r['found']:>4}  {statistics.median(r['http']):8.1f}ms {percentile(r['http'], 0.95):8.1f}ms"
            f"  {statistics.median(r['sql']):7.1f}ms {percentile(r['sql'], 0.95):7.1f}ms"
            f"  {', '.join(r['indexes'])}"
        )
    every_http = [t for r in rows for t in r["http"]]
    every_sql = [t for r in rows for t in r["sql"]]
    print(f"  (load average at the end: {os.getloadavg()[0]:.1f})")
    print(
        f"  all queries: HTTP p50 {statistics.median(every_http):.1f} ms, p95 {percentile(every_http, 0.95):.1f} ms;"
        f" SQL p50 {statistics.median(every_sql):.1f} ms, p95 {percentile(every_sql, 0.95):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    started = time.perf_counter()
    for kind in args.databases.split(","):
        show(kind, asyncio.run(run(kind, args.incidents, args.repeats)))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
