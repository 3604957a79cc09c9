"""Running the suite in parallel (pytest-xdist, `make test`): which tests run on one worker,
which start first and which run alone. Registered by `tests/conftest.py`; imports nothing of
Lantern.

- `browser` tests (tests/e2e/) run one after another on one worker;
- `slow` tests (real processes, long waits) are handed out first, so the long ones do not make
  the tail of the run; they run beside other tests;
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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under `--dist loadgroup` (`make test`), the browser tests are one group: they run one after
    another on one worker, while the other workers share out the rest test by test. They share
    one `lantern demo` template and never run two Chromiums at once. xdist hands out the largest
    groups first (`--loadscope-reorder`, its default), so the browser group starts at once.

    Grouped here, in the controller, by path: pytest 9.2 ignores the node id suffix through which
    xdist's own `xdist_group` marks reach the scheduler (pytest-dev/pytest-xdist#1386), so those
    marks alone silently group nothing. They still count where they do reach it."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "browser" if nodeid.startswith(BROWSER_TESTS) else super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` tests first and `alone` tests last, otherwise in collection order (every worker
    sorts alike, as xdist requires). xdist hands tests out in this order, so a 50-second test
    starts while the other workers still have hundreds of short ones to do, not at the end."""

    def turn(item: pytest.Item) -> int:
        if item.get_closest_marker("alone"):
            return 2
        return 0 if item.get_closest_marker("slow") else 1

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
