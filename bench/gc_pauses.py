"""Time spent in the garbage collector per intake, with and without `gc.freeze()` after start-up.

In process (the real app through httpx's ASGITransport, SQLite, no worker, as
bench/statements.py), after 10 warm-up intakes: either nothing, or what `lantern serve` does
once started (`api.platform.startup.freeze_after_start_up`). Then `--intakes` sequential intakes
with a `gc.callbacks` hook timing every collection, by generation.

Usage: .venv/bin/python bench/gc_pauses.py [--intakes 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.platform.startup import freeze_after_start_up  # noqa: E402
from bench.statements import body, lantern_in_process, post_intake  # noqa: E402


async def run(freeze: bool, intakes: int) -> None:
    passes: dict[int, list[float]] = {}
    started = [0.0]

    def timing(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            passes.setdefault(info["generation"], []).append(time.perf_counter() - started[0])

    async with lantern_in_process("sqlite") as (_, client, _url):
        for i in range(10):
            await post_intake(client, body(i))
        gc.unfreeze()
        if freeze:
            freeze_after_start_up()
        tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
        gc.callbacks.append(timing)
        try:
            for i in range(intakes):
                await client.post(
                    "/api/v1/incidents", json=body(1000 + i), headers={"Idempotency-Key": uuid.uuid4().hex}
                )
        finally:
            gc.callbacks.remove(timing)
            gc.unfreeze()
    total = sum(sum(v) for v in passes.values())
    by_generation = ", ".join(
        f"gen {g}: {len(v)} passes, longest {max(v) * 1000:.1f} ms" for g, v in sorted(passes.items())
    )
    print(
        f"{'gc.freeze()' if freeze else 'no freeze  '}: {tracked} objects tracked, {frozen} frozen; "
        f"{by_generation}; {total * 1000 / intakes:.2f} ms in the collector per intake"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intakes", type=int, default=300)
    args = parser.parse_args()
    for freeze in (False, True):
        asyncio.run(run(freeze, args.intakes))


if __name__ == "__main__":
    main()
