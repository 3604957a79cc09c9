"""Running the suite in parallel (pytest-xdist, `make test`): in which order tests are handed
out and which run alone. Registered by `tests/conftest.py`; imports nothing of Lantern.

- `slow` tests (real processes, long waits) are handed out first, so the long ones do not make
  the tail of the run; they run beside other tests;
- `browser` tests (tests/e2e/) come next, spread over every worker like the rest: each worker
  has its own launcher, `lantern demo` template, servers on reserved ports and Chromium, and
  every test its own server, database and browser contexts. At 5 to 60 s each they are the
  longest tests after the slow ones, so they too go out before the short ones;
- `alone` tests (a latency measured against a baseline, a tight time bound) run with no other
  test beside them: the CPU another test takes would show in what they measure. They are
  handed out last, when the test each waits for on the other workers is a short one (first,
  one waited a minute behind a slow test with its own worker idle).
"""

from __future__ import annotations

import fcntl
import os

import pytest

BROWSER_TESTS = "tests/e2e/"


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` tests first, then the browser tests, `alone` tests last, otherwise in collection
    order (every worker sorts alike, as xdist requires). xdist hands tests out in this order (each
    test a unit of its own under `--dist loadgroup`), so a 50-second test starts while the other
    workers still have hundreds of short ones to do, not at the end."""

    def turn(item: pytest.Item) -> int:
        if item.get_closest_marker("alone"):
            return 3
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.nodeid.startswith(BROWSER_TESTS) else 2

    items.sort(key=turn)


@pytest.fixture(autouse=True)
def _alone_if_marked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """An `alone` test runs alone: under xdist it waits for the other workers' current tests and
    holds them until it ends. Every other test takes the same lock shared. The turnstile keeps a
    waiting `alone` test from starving behind them."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    run_dir = tmp_path_factory.getbasetemp().parent  # shared by the workers of one run
    alone = request.node.get_closest_marker("alone") is not None
    with open(run_dir / "alone.turnstile", "a") as turnstile, open(run_dir / "alone.lock", "a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        if alone:
            fcntl.flock(lock, fcntl.LOCK_EX)
        else:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
