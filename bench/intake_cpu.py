"""CPU per intake in process, with an Idempotency-Key on every request (as the PWA sends).

Usage: .venv/bin/python bench/intake_cpu.py [--intakes 300]

The app, database and body of bench/statements.py (SQLite, demo data, no worker, reached
through httpx's ASGITransport): 20 warm-up intakes, then `--intakes` sequential ones, timed
with `time.process_time` (every thread of this process: the event loop and aiosqlite's) and
the wall clock. Run it alternately against two checkouts to compare them under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import load_average  # noqa: E402
from bench.statements import body, lantern_in_process  # noqa: E402


async def run(intakes: int) -> None:
    async with lantern_in_process("sqlite") as (_, client, _url):

        async def post(i: int) -> None:
            response = await client.post(
                "/api/v1/incidents", json=body(i), headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")

        for i in range(20):
            await post(i)
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        for i in range(intakes):
            await post(100 + i)
        cpu = (time.process_time() - started_cpu) / intakes * 1000
        wall = (time.perf_counter() - started_wall) / intakes * 1000
        print(f"CPU/intake {cpu:.2f} ms wall {wall:.2f} ms ({intakes} intakes; load {load_average()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intakes", type=int, default=300)
    asyncio.run(run(parser.parse_args().intakes))


if __name__ == "__main__":
    main()
