"""Paging latency: a burst of incidents against `lantern serve`, paged to a fake push service.

For each incident: POST /api/v1/incidents (police), then wait for the push to the on-call
worker's device at the fake push service (a real HTTP server verifying VAPID and decrypting,
tests/fakes/push_service.py). Prints p50/p99 of incident committed -> push received, where
"committed" is when the 201 came back (the commit happens before it, so this slightly
flatters nothing: it under-counts by the response's trip), and of request sent -> push.

Usage: .venv/bin/python bench/paging.py [--databases sqlite,postgres] [--rate 20] [--count 200]
       [--workers 2]   (PostgreSQL: `serve --no-worker` plus N `lantern worker` processes;
                        0 or SQLite: the worker loop inside `lantern serve`)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.demo import DEMO_PASSWORD, USERS  # noqa: E402
from bench.common import ROOT, bench_env, free_port, load_average, make_database, run_cli, server  # noqa: E402
from tests.fakes.push_service import FakePushService, generate_vapid_key_pair  # noqa: E402

PASSWORD = "bench-password-long"


def report_body(i: int) -> dict:
    return {
        "kind": "arrest",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "police_station": "euston-street",
        "young_person": {"first_name": f"Bench{i}", "last_name": "Person", "date_of_birth": "2010-01-01"},
        "location": {"description": "Bench street", "area": "leicester-city"},
        "indicators": [{"code": "ITM-DRUGS-CASH"}],  # CCE: the city CCE team is paged
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


@contextlib.contextmanager
def workers(count: int, env: dict[str, str]):
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


async def register_devices(base: str, push: FakePushService) -> int:
    registered = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for username, _, roles, _, _ in USERS:
            if "worker" not in roles:
                continue
            token = (
                await client.post(
                    "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
                )
            ).json()["access_token"]
            response = await client.post(
                "/api/v1/push/subscriptions",
                json={**push.new_subscription().subscription_info, "label": "bench phone"},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            registered += 1
    return registered


async def burst(
    base: str, token: str, rate: float, count: int, failed: list[str]
) -> dict[str, tuple[float, float]]:
    """POST `count` incidents at `rate` per second; {incident id: (sent, answered)} in wall time.
    Intakes that fail or time out are added to `failed` (the run goes on)."""
    sent: dict[str, tuple[float, float]] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:
        await client.get("/readyz")

        async def one(i: int) -> None:
            started = time.time()
            try:
                response = await client.post("/api/v1/incidents", json=report_body(i))
            except httpx.HTTPError as exc:  # the API fell behind (30 s): counted, not fatal
                failed.append(f"{type(exc).__name__} after {time.time() - started:.1f} s")
                return
            answered = time.time()
            if response.status_code != 201:
                failed.append(f"{response.status_code} {response.text[:200]}")
                return
            sent[response.json()["id"]] = (started, answered)

        t0 = time.monotonic()
        tasks = []
        for i in range(count):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return sent


async def run(kind: str, rate: float, count: int, worker_count: int) -> None:
    print(f"{kind}: load average at start {load_average()}", flush=True)
    url, drop = await make_database(kind)
    vapid = generate_vapid_key_pair()
    push = FakePushService(expected_vapid_public_key=vapid.public_key).start()
    try:
        env = bench_env(
            url,
            LANTERN_VAPID_PRIVATE_KEY=vapid.private_pem,
            LANTERN_PUSH_ALLOWED_HOSTS=json.dumps([push.host]),
            LANTERN_REACHABILITY_CHECK_ENABLED="false",
            LANTERN_SIGNIN_MAX_FAILURES="1000",
        )
        run_cli(["demo"], env)
        run_cli(
            ["users", "create", "bench.police", "--role", "police", "--station", "euston-street"],
            {**env, "LANTERN_PASSWORD": PASSWORD},
        )
        separate = kind == "postgres" and worker_count > 0
        port = free_port()
        cmd = [sys.executable, "-m", "workers.cli", "serve", "--port", str(port)]
        if separate:
            cmd.append("--no-worker")
        with server(cmd, env, port) as api, workers(worker_count if separate else 0, env) as loops:
            base = f"http://127.0.0.1:{port}"
            if separate:
                # As the API's /readyz is waited for: the burst starts once every worker listens
                # (a worker process starting up after the burst began made the first pages wait).
                waited = await wait_for_listeners(url, len(loops))
                print(f"  workers listening {waited:.1f} s after the API was ready", flush=True)
            await register_devices(base, push)
            token = httpx.post(
                f"{base}/api/v1/auth/token", data={"username": "bench.police", "password": PASSWORD}
            ).json()["access_token"]
            pids = {"api": [api.pid], "workers": [p.pid for p in loops]}
            cpu_before = {k: sum(cpu_seconds(pid) for pid in v) for k, v in pids.items()}
            started = time.monotonic()
            failed: list[str] = []
            sent = await burst(base, token, rate, count, failed)
            elapsed = time.monotonic() - started
            await asyncio.to_thread(push.wait_for, len(sent), 60)
            cpu = {k: sum(cpu_seconds(pid) for pid in v) - cpu_before[k] for k, v in pids.items()}
            await asyncio.sleep(1)
            level_jobs = await page_level_jobs(url) if kind == "postgres" else {}
            worker_pids = {str(p.pid): f"w{n}" for n, p in enumerate(loops)}
    finally:
        push.stop()
        await drop()

    first: dict[str, float] = {}
    for received in push.received:
        incident_id = received.payload.get("incident_id")
        if incident_id in sent:
            first[incident_id] = min(first.get(incident_id, float("inf")), received.received_at)
    committed = [(first[i] - answered) * 1000 for i, (_, answered) in sent.items() if i in first]
    t_first = min((started_at for started_at, _ in sent.values()), default=0.0)
    from_request = [(first[i] - started_at) * 1000 for i, (started_at, _) in sent.items() if i in first]
    mode = f"serve --no-worker + {worker_count} workers" if separate else "serve with its in-process worker"
    unpaged = len(sent) - len(first)
    print(
        f"\n{kind} ({mode}): {len(sent)} incidents in {elapsed:.1f} s ({len(sent) / elapsed:.1f}/s), "
        f"{len(first)} paged, UNPAGED: {unpaged}, failures at the push service: {len(push.failures)}; "
        f"load average {load_average()}"
    )
    per = max(1, len(sent))
    cpu_line = f"  CPU per incident: API process {cpu['api'] / per * 1000:.1f} ms"
    if separate:
        cpu_line += f", worker processes {cpu['workers'] / per * 1000:.1f} ms"
    else:
        cpu_line += " (intake and page: the worker runs inside it)"
    print(cpu_line)
    if failed:
        print(f"  INTAKES NOT ANSWERED 201: {len(failed)} (first: {failed[0]})")
    if committed:
        print(
            f"  incident committed (201 received) -> push received: p50 {statistics.median(committed):6.1f} ms  "
            f"p99 {percentile(committed, 0.99):6.1f} ms  max {max(committed):6.1f} ms"
        )
        print(
            f"  request sent -> push received:                      p50 {statistics.median(from_request):6.1f} ms  "
            f"p99 {percentile(from_request, 0.99):6.1f} ms  max {max(from_request):6.1f} ms"
        )
        print_tail(sent, first, t_first, level_jobs, worker_pids)


async def wait_for_listeners(url: str, count: int, within: float = 120.0) -> float:
    """Until `count` connections LISTEN for jobs on this database; returns the seconds waited."""
    started = time.monotonic()
    database = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while time.monotonic() - started < within:
            listening = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN %'",
                database,
            )
            if listening >= count:
                return time.monotonic() - started
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    raise RuntimeError(f"fewer than {count} workers listening after {within:.0f} s")


async def page_level_jobs(url: str) -> dict[str, dict]:
    """PostgreSQL: each incident's first `page.level` job (who ran it, when it was written and
    finished, on which attempt), read before the database is dropped: where the tail falls."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT p.incident_id::text AS incident, j.leased_by, j.attempts, j.created_at, j.finished_at,"
            " (SELECT min(e.created_at) FROM jobs e WHERE e.kind = 'page.escalate'"
            "  AND e.payload->>'page_id' = j.payload->>'page_id') AS started"
            " FROM jobs j JOIN pages p ON p.id = (j.payload->>'page_id')::uuid"
            " WHERE j.kind = 'page.level' ORDER BY j.created_at"
        )
        other = await connection.fetch(
            "SELECT kind, count(*) AS n, min(created_at) AS first, max(created_at) AS last"
            " FROM jobs WHERE kind NOT IN ('page.level', 'delivery.send') GROUP BY kind"
        )
        managers = await connection.fetch(
            "SELECT created_at FROM jobs WHERE kind = 'page.managers' ORDER BY created_at"
        )
    finally:
        await connection.close()
    jobs: dict[str, dict] = {}
    for row in rows:
        jobs.setdefault(row["incident"], dict(row))
    jobs["_other"] = {"kinds": [dict(r) for r in other], "managers": [r["created_at"] for r in managers]}
    return jobs


def print_tail(
    sent: dict[str, tuple[float, float]],
    first: dict[str, float],
    t_first: float,
    level_jobs: dict[str, dict],
    worker_pids: dict[str, str],
) -> None:
    """Where the slow pages fall: by second of the burst, and the slowest ones with their
    index, send time, and (PostgreSQL) which worker ran the level and how long it waited."""
    order = sorted(sent, key=lambda i: sent[i][0])
    rows = []
    for index, incident in enumerate(order):
        if incident not in first:
            continue
        started_at, answered = sent[incident]
        rows.append((index, started_at - t_first, (first[incident] - answered) * 1000, incident))
    by_second: dict[int, list[float]] = {}
    for _, at, latency, _ in rows:
        by_second.setdefault(int(at), []).append(latency)
    print(
        "  by second of the burst (p50/max ms): "
        + "  ".join(f"{s}s {statistics.median(v):.0f}/{max(v):.0f}" for s, v in sorted(by_second.items()))
    )
    other = level_jobs.get("_other")
    if other:
        for kind in other["kinds"]:
            print(
                f"  other jobs: {kind['kind']} x{kind['n']}, written from "
                f"{kind['first'].timestamp() - t_first:.2f} s to {kind['last'].timestamp() - t_first:.2f} s"
            )
        per_second: dict[int, int] = {}
        for at in other["managers"]:
            per_second[int(at.timestamp() - t_first)] = per_second.get(int(at.timestamp() - t_first), 0) + 1
        if per_second:
            print(
                "  page.managers written by second: "
                + "  ".join(f"{s}s x{n}" for s, n in sorted(per_second.items()))
            )
    slow = sorted(rows, key=lambda r: -r[2])[:8]
    by_worker: dict[str, list[float]] = {}
    for _, _, latency, incident in rows:
        job = level_jobs.get(incident)
        if job is not None and ":" in (job["leased_by"] or ""):
            name = worker_pids.get(job["leased_by"].split(":")[1], "?")
            by_worker.setdefault(name, []).append(latency)
    if by_worker:
        print(
            "  by worker (pages, p50/p99/max ms): "
            + "  ".join(
                f"{w} {len(v)} {statistics.median(v):.0f}/{percentile(v, 0.99):.0f}/{max(v):.0f}"
                for w, v in sorted(by_worker.items())
            )
        )
    print(
        "  slowest: index  sent at  201->push  level job: worker  attempt  written->started"
        "  written->done  written->201"
    )
    for index, at, latency, incident in sorted(slow):
        job = level_jobs.get(incident)
        detail = ""
        if job is not None:
            pid = (job["leased_by"] or "?").split(":")[1] if ":" in (job["leased_by"] or "") else "?"
            done = (
                f"{(job['finished_at'] - job['created_at']).total_seconds() * 1000:7.0f} ms"
                if job["finished_at"]
                else "      -"
            )
            to_201 = (sent[incident][1] - job["created_at"].timestamp()) * 1000
            began = (
                f"{(job['started'] - job['created_at']).total_seconds() * 1000:7.0f} ms"
                if job["started"]
                else "      -"
            )
            detail = f"  {worker_pids.get(pid, pid):>6}  {job['attempts']:>7}  {began:>15}  {done:>13}  {to_201:9.0f} ms"
        print(f"  {index:>13}  {at:6.2f} s  {latency:7.0f} ms{detail}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for kind in args.databases.split(","):
        asyncio.run(run(kind, args.rate, args.count, args.workers))


if __name__ == "__main__":
    main()
