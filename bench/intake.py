"""Intake throughput, side by side in one run, with wrk as the load (one thread, loopback).

What runs, each for `--seconds` per concurrency level:
- the yardsticks: a bare FastAPI endpoint taking the same JSON body, served by the same
  uvicorn; the same SQL statements as one intake replayed with plain `sqlite3` (bench/replay.py);
- `lantern serve` on SQLite with its in-process worker (every intake is paged: the worker's CPU
  is in the figure), and with `--no-worker`;
- PostgreSQL, API processes only (`--no-worker`): one process, then two (`uvicorn --factory
  bench.lantern_app:create --workers 2`, one port, as deployed).

Every request carries its own Idempotency-Key and a new young person. CPU per request is the
server's user+system time from /proc (all its processes) over the run, divided by the requests.

Usage: .venv/bin/python bench/intake.py [--only bare,replay,sqlite,sqlite-no-worker,pg,pg2]
                                        [--levels 1,8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_env, free_port, load_average, make_database, run_cli, server  # noqa: E402
from bench.wrk import WrkResult, require_wrk, run_wrk  # noqa: E402

PASSWORD = "bench-password-long"
READY_SECONDS = 180
ALL = ("bare", "replay", "sqlite", "sqlite-no-worker", "pg", "pg2")


def body_template() -> str:
    """An intake body with `@KEY@` where wrk puts each request's unique key."""
    return json.dumps(
        {
            "kind": "missing_return",
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "police_station": "euston-street",
            "young_person": {"first_name": "B@KEY@", "last_name": "Person", "date_of_birth": "2010-01-01"},
            "location": {"description": "Bench street", "area": "leicester-city"},
            "indicators": [{"code": "MOV-OUT-OF-AREA"}, {"code": "ITM-UNEXPLAINED-MONEY"}],
            "custody_status": "released",
        }
    )


def police_token(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "bench.police", "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return response.json()["access_token"]


@contextlib.contextmanager
def lantern(kind: str, mode: str) -> Iterator[tuple[str, int, dict[str, str]]]:
    """A database with the demo data, served as `mode` ("worker", "no-worker", "two");
    yields (base URL, server pid, headers)."""
    url, drop = asyncio.run(make_database(kind))
    try:
        env = bench_env(url, LANTERN_SIGNIN_MAX_FAILURES="1000")
        run_cli(["demo"], env)
        run_cli(
            ["users", "create", "bench.police", "--role", "police", "--station", "euston-street"],
            {**env, "LANTERN_PASSWORD": PASSWORD},
        )
        port = free_port()
        if mode == "two":
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.lantern_app:create",
                "--workers",
                "2",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            env = {**env, "LANTERN_RUN_WORKER": "false"}
        else:
            cmd = [sys.executable, "-m", "workers.cli", "serve", "--port", str(port)]
            if mode == "no-worker":
                cmd.append("--no-worker")
        # A crowded machine can take over a minute to import and start the app.
        with server(cmd, env, port, ready_seconds=READY_SECONDS) as process:
            base = f"http://127.0.0.1:{port}"
            yield base, process.pid, {"Authorization": f"Bearer {police_token(base)}"}
    finally:
        asyncio.run(drop())


def measure(label: str, base: str, path: str, pid: int, headers: dict, levels: list[int], seconds: float):
    template = body_template()
    run_wrk("warm-up", base, path, template, headers=headers, connections=2, seconds=1, server_pid=pid)
    return [
        run_wrk(label, base, path, template, headers=headers, connections=c, seconds=seconds, server_pid=pid)
        for c in levels
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(ALL))
    parser.add_argument("--levels", default="1,8")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--replay-transactions", type=int, default=2000)
    args = parser.parse_args()
    only = args.only.split(",")
    levels = [int(x) for x in args.levels.split(",")]
    require_wrk()
    print(f"load average at start: {load_average()}")
    results: list[WrkResult] = []
    replay = None
    path = "/api/v1/incidents"
    if "bare" in only:
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port)]
        cmd += ["--log-level", "warning", "--no-access-log"]
        with server(cmd, bench_env("sqlite://"), port) as process:
            results += measure(
                "bare FastAPI endpoint",
                f"http://127.0.0.1:{port}",
                "/echo",
                process.pid,
                {},
                levels,
                args.seconds,
            )
    if "replay" in only:
        from bench.replay import sqlite_replay

        replay = asyncio.run(sqlite_replay(args.replay_transactions))
    for name, kind, mode, label in (
        ("sqlite", "sqlite", "worker", "intake, SQLite, serve (in-process worker)"),
        ("sqlite-no-worker", "sqlite", "no-worker", "intake, SQLite, serve --no-worker"),
        ("pg", "postgres", "no-worker", "intake, PostgreSQL, 1 API process"),
        ("pg2", "postgres", "two", "intake, PostgreSQL, 2 API processes"),
    ):
        if name in only:
            with lantern(kind, mode) as (base, pid, headers):
                measured = measure(label, base, path, pid, headers, levels, args.seconds)
            for result in measured:  # as it comes: a later server that fails to start loses nothing
                print("  " + result.line(), flush=True)
            results += measured
    print(f"\nwrk -t1, {args.seconds:g} s per line; load average at the end: {load_average()}")
    for result in results:
        print("  " + result.line())
    if replay:
        print(
            f"  sqlite3 replay of one intake's {replay['statements']:.0f} statements, one transaction each: "
            f"{replay['tps']:.0f} transactions/s, {replay['cpu_ms']:.2f} ms CPU each"
        )
    best = {r.label: max(x.rps for x in results if x.label == r.label) for r in results}
    bare = best.get("bare FastAPI endpoint")
    for label, rps in best.items():
        parts = []
        if bare and label != "bare FastAPI endpoint":
            parts.append(f"{rps / bare:.1%} of the bare endpoint")
        if replay and "SQLite" in label:
            parts.append(f"{rps / replay['tps']:.2f}x the sqlite3 replay")
        if parts:
            print(f"  {label}: best {rps:.1f} req/s = " + ", ".join(parts))


if __name__ == "__main__":
    main()
