"""Place matching: what resolving a location and suggesting places cost, in process.

Usage: .venv/bin/python bench/place_matching.py [--places 1000] [--repeat 200]

Builds `--places` synthetic places (three words each from a small vocabulary, one alias each,
so many names share words, as real ones do) plus "Leicester railway station", then times the
matcher's construction (once per cached place list), intake's resolution of "Found at
Leicester railway station, platform 2" and a suggestion for "leicester rail".
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.places.matching import Candidate, Matcher  # noqa: E402

WORDS = (
    "north south east west park road street lane station market bridge hill green court house "
    "mill church school college bus car takeaway chicken flat shop"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1)
    places = [
        Candidate(
            uuid.uuid4(),
            " ".join(rng.choice(WORDS).title() for _ in range(3)),
            (" ".join(rng.choice(WORDS) for _ in range(2)),),
            None,
            "other",
        )
        for _ in range(args.places)
    ]
    places.append(
        Candidate(uuid.uuid4(), "Leicester railway station", ("Leicester station",), None, "transport_hub")
    )
    started = time.perf_counter()
    matcher = Matcher(places)
    built = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for _ in range(args.repeat):
        found = matcher.resolve("Found at Leicester railway station, platform 2")
    resolve_ms = (time.perf_counter() - started) / args.repeat * 1000
    assert found is not None and found.place.name == "Leicester railway station"
    started = time.perf_counter()
    for _ in range(args.repeat):
        matcher.suggest("leicester rail")
    suggest_ms = (time.perf_counter() - started) / args.repeat * 1000
    print(
        f"{len(places)} places: build {built:.1f} ms, resolve {resolve_ms:.2f} ms, suggest {suggest_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
