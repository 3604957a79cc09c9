"""The database's own cost of an intake: its SQL statements replayed with the plain `sqlite3`.

One real intake (the app in process, an Idempotency-Key sent as the benches send one) is
captured statement by statement with its bound parameters, as SQLAlchemy hands them to the
driver. The replay runs them again in one `BEGIN IMMEDIATE … COMMIT` per intake, on the same
database file with the same pragmas, sequentially in one thread. Every value that must be
unique is made new for each replay (the rows' ids wherever they appear, also inside JSON and
dedupe keys, the incident reference, the idempotency key, the audit sequence number); all
parameter sets are built before the clock starts, so the figure is sqlite3's alone.

Usage: .venv/bin/python bench/replay.py [--transactions 2000] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.db import SQLITE_WAIT_SECONDS  # noqa: E402
from bench.statements import body, lantern_in_process  # noqa: E402

_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\)", re.IGNORECASE)


@dataclass
class Captured:
    statement: str
    parameters: Any  # a tuple, or a list of tuples for an executemany
    many: bool


def _columns(statement: str) -> tuple[str, list[str]] | None:
    match = _INSERT.match(statement)
    if match is None:
        return None
    return match.group(1), [c.strip() for c in match.group(2).split(",")]


def _rows(captured: Captured) -> list[tuple]:
    return list(captured.parameters) if captured.many else [tuple(captured.parameters)]


def fresh_plans(captured: list[Captured], reference: str, key: str, count: int) -> list[list[Captured]]:
    """`count` copies of the captured unit of work, each with its own unique values."""
    new_ids: set[str] = set()
    seq_base = 0
    for item in captured:
        columns = _columns(item.statement)
        if columns is None:
            continue
        table, names = columns
        for row in _rows(item):
            if "id" in names:
                new_ids.add(row[names.index("id")])
            if table == "audit_events" and "seq" in names:
                seq_base = max(seq_base, row[names.index("seq")])
    plans = []
    for n in range(count):
        mapping: dict[str, str] = {reference: f"{reference}-{n}", key: f"{key}-{n}"}
        for old in new_ids:
            fresh = uuid.uuid4()
            mapping[old] = fresh.hex
            mapping[str(uuid.UUID(old))] = str(fresh)
        pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))

        def swap(
            value: Any, table: str | None, name: str | None, n: int = n, pattern=pattern, mapping=mapping
        ) -> Any:
            if table == "audit_events" and name == "seq":
                return seq_base + 1 + n
            if isinstance(value, str) and pattern.search(value):
                return pattern.sub(lambda m: mapping[m.group(0)], value)
            return value

        plan = []
        for item in captured:
            columns = _columns(item.statement)
            table, names = columns if columns else (None, [])
            rows = [
                tuple(swap(v, table, names[i] if i < len(names) else None) for i, v in enumerate(row))
                for row in _rows(item)
            ]
            plan.append(Captured(item.statement, rows if item.many else rows[0], item.many))
        plans.append(plan)
    return plans


def replay(path: str, plans: list[list[Captured]]) -> dict[str, float]:
    """Run each plan as one transaction; transactions/s and CPU per transaction."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_WAIT_SECONDS)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    cursor = connection.cursor()
    wall, cpu = time.perf_counter(), time.process_time()
    for plan in plans:
        cursor.execute("BEGIN IMMEDIATE")
        for item in plan:
            if item.many:
                cursor.executemany(item.statement, item.parameters)
            else:
                cursor.execute(item.statement, item.parameters)
                cursor.fetchall()
        cursor.execute("COMMIT")
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    connection.close()
    return {"tps": len(plans) / wall, "cpu_ms": cpu * 1000 / len(plans), "statements": len(plans[0])}


async def sqlite_replay(transactions: int, show: bool = False) -> dict[str, float]:
    async with lantern_in_process("sqlite") as (app, client, url):
        for i in range(5):
            await client.post("/api/v1/incidents", json=body(i), headers={"Idempotency-Key": f"warm-{i}"})
        captured: list[Captured] = []

        def listen(conn, cursor, statement, parameters, context, executemany) -> None:
            if not statement.startswith("BEGIN"):
                captured.append(Captured(statement, parameters, executemany))

        engine = app.state.database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", listen)
        key = f"replay-{uuid.uuid4().hex}"
        response = await client.post("/api/v1/incidents", json=body(99), headers={"Idempotency-Key": key})
        event.remove(engine, "before_cursor_execute", listen)
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        if show:
            for item in captured:
                print(("[many] " if item.many else "") + " ".join(item.statement.split())[:110])
        plans = fresh_plans(captured, response.json()["reference"], key, transactions)
        path = url.split(":///", 1)[1]
        return await asyncio.to_thread(replay, path, plans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(sqlite_replay(args.transactions, args.show))
    print(
        f"sqlite3 replay of one intake ({result['statements']:.0f} statements + BEGIN/COMMIT): "
        f"{result['tps']:.0f} transactions/s, {result['cpu_ms']:.3f} ms CPU each"
    )


if __name__ == "__main__":
    main()
