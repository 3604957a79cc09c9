"""Memory: the RSS of the API process after 100 intakes and after many more.

`lantern serve` on SQLite with its in-process worker (the embedded default: every intake is
paged), loaded by an httpx client at c=4 (a count, not a duration: the server's memory is
measured, not its speed; a unique Idempotency-Key and young person per request); the RSS is
read from /proc after the first 100 intakes, then after every `--step` more, up to `--intakes`.
The goal: the RSS after 10,000 stays within 20% of the RSS after 100.

Usage: .venv/bin/python bench/memory.py [--databases sqlite] [--intakes 10000] [--step 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import httpx  # noqa: E402

from bench.common import load, load_average, rss_mib  # noqa: E402
from bench.intake import body_template, lantern  # noqa: E402


async def intakes(base: str, headers: dict[str, str], template: str, count: int) -> tuple[int, int]:
    """`count` intakes at c=4: (answered 201, other answers)."""
    # A generous timeout: the server's memory is measured, not its speed (on a loaded machine an
    # intake can wait more than 30 s); a request that fails anyway is counted, not fatal.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:

        async def send() -> bool:
            key = uuid.uuid4().hex
            try:
                response = await client.post(
                    "/api/v1/incidents",
                    content=template.replace("@KEY@", key),
                    headers={"Idempotency-Key": key, "Content-Type": "application/json"},
                )
            except httpx.HTTPError:
                return False
            return response.status_code == 201

        stats = await load(send, 4, count, timeout_s=3600)
    return int(stats["n"] - stats["errors"]), int(stats["errors"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--intakes", type=int, default=10_000)
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--mode", default="worker", choices=["worker", "no-worker"])
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    for kind in args.databases.split(","):
        with lantern(kind, args.mode) as (base, pid, headers):
            template = body_template()
            done, points = 0, []
            for target in [100, *range(args.step, args.intakes + 1, args.step)]:
                want = target - done
                if want <= 0:
                    continue
                ok, errors = asyncio.run(intakes(base, headers, template, want))
                done += ok + errors
                points.append((done, rss_mib(pid), errors))
                print(
                    f"  {kind}: {done:>6} intakes  RSS {points[-1][1]:7.1f} MiB  errors {errors}", flush=True
                )
            first, last = points[0], points[-1]
            print(
                f"{kind} ({args.mode}): RSS after {first[0]} intakes {first[1]:.1f} MiB, after {last[0]} "
                f"{last[1]:.1f} MiB: {last[1] / first[1] - 1:+.1%}"
            )
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
