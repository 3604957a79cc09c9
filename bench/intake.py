"""Intake throughput: POST /api/v1/incidents against `lantern serve`, beside a bare FastAPI endpoint.

Usage: .venv/bin/python bench/intake.py [--databases sqlite,postgres] [--levels 1,4,8,16,32] [--per-level 300]
Prints requests/s and p50/p99 per concurrency level for both, and the ratio at the best level.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_env, free_port, load, make_database, run_cli, server  # noqa: E402

PASSWORD = "bench-password-long"


def report_body(i: int) -> dict:
    return {
        "kind": "missing_return",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "police_station": "euston-street",
        "young_person": {"first_name": f"Bench{i}", "last_name": "Person", "date_of_birth": "2010-01-01"},
        "location": {"description": "Bench street", "area": "leicester-city"},
        "indicators": [{"code": "MOV-OUT-OF-AREA"}, {"code": "ITM-UNEXPLAINED-MONEY"}],
    }


async def measure(
    base: str, path: str, headers: dict, levels: list[int], per_level: int, body_for
) -> list[dict]:
    results = []
    limits = httpx.Limits(max_connections=max(levels) + 4, max_keepalive_connections=max(levels) + 4)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        counter = iter(range(10**9))

        async def send() -> bool:
            response = await client.post(path, json=body_for(next(counter)))
            return response.status_code == 201

        await load(send, 4, 40)  # warm up
        for level in levels:
            stats = await load(send, level, per_level)
            stats["concurrency"] = level
            results.append(stats)
    return results


def show(label: str, rows: list[dict]) -> None:
    print(f"  {label}")
    for r in rows:
        print(
            f"    c={r['concurrency']:>3}  {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  "
            f"p99 {r['p99']:7.1f} ms  errors {r['errors']}"
        )


async def run(kind: str, levels: list[int], per_level: int) -> None:
    url, drop = await make_database(kind)
    try:
        env = bench_env(url, LANTERN_RUN_WORKER="false")
        run_cli(["demo"], env)
        env_pw = {**env, "LANTERN_PASSWORD": PASSWORD}
        run_cli(["users", "create", "bench.police", "--role", "police", "--station", "euston-street"], env_pw)
        port = free_port()
        cmd = [sys.executable, "-m", "workers.cli", "serve", "--port", str(port), "--no-worker"]
        with server(cmd, env, port):
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(
                f"{base}/api/v1/auth/token", data={"username": "bench.police", "password": PASSWORD}
            ).json()["access_token"]
            lantern = await measure(
                base,
                "/api/v1/incidents",
                {"Authorization": f"Bearer {token}"},
                levels,
                per_level,
                report_body,
            )
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        with server(cmd, env, port):
            bare = await measure(f"http://127.0.0.1:{port}", "/echo", {}, levels, per_level, report_body)
    finally:
        await drop()
    print(f"\n{kind}: POST /api/v1/incidents vs bare FastAPI POST (uvicorn, one process, loopback)")
    show("lantern intake", lantern)
    show("bare endpoint", bare)
    best_l = max(lantern, key=lambda r: r["rps"])
    best_b = max(bare, key=lambda r: r["rps"])
    half = [r for r in lantern if r["rps"] <= best_l["rps"] / 2] or lantern[:1]
    print(
        f"  max intake {best_l['rps']:.1f} req/s vs bare {best_b['rps']:.1f} req/s: "
        f"ratio {best_l['rps'] / best_b['rps']:.1%}; p99 near half the max rate "
        f"(c={half[-1]['concurrency']}, {half[-1]['rps']:.1f} req/s): {half[-1]['p99']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--levels", default="1,2,4,8,16,32")
    parser.add_argument("--per-level", type=int, default=300)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    for kind in args.databases.split(","):
        asyncio.run(run(kind, levels, args.per_level))


if __name__ == "__main__":
    main()
