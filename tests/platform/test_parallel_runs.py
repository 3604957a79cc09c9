"""The suite runs in parallel (pytest-xdist): what keeps its workers apart.

Two of these tests run a small pytest session of their own, with two xdist workers, over
`tests/conftest.py`: one where every worker is killed, one that mixes slow, alone, browser and
other tests (browser tests spread over both workers, handed out after the slow ones).
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN, REQUIRE_PG, WANTED, _postgres_answers
from tests.ports import ReservedPort

ROOT = Path(__file__).resolve().parents[2]
INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
addopts = -p no:cacheprovider --strict-markers
markers =
    slow: multi-process or long tests
    alone: tests that run with no test beside them
"""


def _inner_pytest(tmp_path: Path, conftest: str, files: dict[str, str], *args: str, **env: str):
    """Run pytest with two xdist workers over test `files` in a directory of its own."""
    project = tmp_path / "inner"
    project.mkdir()
    (project / "pytest.ini").write_text(INI)
    (project / "conftest.py").write_text(textwrap.dedent(conftest))
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LANTERN_TEST"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--basetemp", str(tmp_path / "base"), *args],
        cwd=project,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_reserved_port_is_handed_to_no_one_else_but_a_server_can_listen_on_it():
    with ReservedPort() as reserved:
        # What another worker's "free port" would get: never the reserved one.
        for _ in range(3000):
            with socket.socket() as other:
                other.bind(("127.0.0.1", 0))
                assert other.getsockname()[1] != reserved.port
        with socket.socket() as other, pytest.raises(OSError) as refused:
            other.bind(("127.0.0.1", reserved.port))
        assert refused.value.errno == errno.EADDRINUSE
        # `lantern serve` (uvicorn listens with SO_REUSEADDR) takes it, twice over a restart.
        for _ in range(2):
            with socket.socket() as server:
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind(("127.0.0.1", reserved.port))
                server.listen()
                with socket.create_connection(("127.0.0.1", reserved.port), timeout=5):
                    accepted, _ = server.accept()
                    accepted.close()


async def _databases_like(pattern: str) -> list[str]:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", pattern)
    finally:
        await admin.close()
    return sorted(r["datname"] for r in rows)


async def test_each_worker_has_its_own_databases_and_none_outlives_a_killed_worker(tmp_path):
    if "postgres" not in WANTED or not await _postgres_answers():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL does not answer and LANTERN_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL does not answer")
    records = tmp_path / "records"
    records.mkdir()
    result = await asyncio.to_thread(
        _inner_pytest,
        tmp_path,
        "from tests.conftest import _templates, pytest_configure_node, pytest_sessionfinish\n",
        {
            "test_inner.py": """\
        import json, os
        from pathlib import Path

        async def test_record_then_die(_templates):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            postgres, sqlite = await _templates.get("postgres"), await _templates.get("sqlite")
            record = {"pg": postgres.pg_name, "sqlite": str(sqlite.template_path)}
            (Path(os.environ["RECORDS"]) / worker).write_text(json.dumps(record))
            os._exit(3)  # killed: no teardown runs in this worker
        """
        },
        "--dist",
        "each",
        "--max-worker-restart",
        "0",
        LANTERN_TEST_DATABASES="sqlite,postgres",
        RECORDS=str(records),
    )
    output = result.stdout + result.stderr
    seen = {path.name: json.loads(path.read_text()) for path in records.iterdir()}
    assert sorted(seen) == ["gw0", "gw1"], output
    # Every worker made its own PostgreSQL database and its own SQLite template.
    assert seen["gw0"]["pg"] != seen["gw1"]["pg"]
    assert seen["gw0"]["sqlite"] != seen["gw1"]["sqlite"]
    run = seen["gw0"]["pg"].split("_")[2]
    assert seen["gw1"]["pg"].split("_")[2] == run
    # Both workers died holding them; the controller dropped them at the end of the run.
    assert "dropped 2 PostgreSQL test database(s) left by a worker" in output, output
    assert await _databases_like(f"lantern\\_%\\_{run}\\_%") == []


SPAN = """\
    import os, time, uuid
    from pathlib import Path

    import pytest

    def span(seconds, kind):
        start = time.monotonic()
        time.sleep(seconds)
        name = f"{kind}-{os.environ['PYTEST_XDIST_WORKER']}-{uuid.uuid4().hex}"
        Path(os.environ["SPANS"], name).write_text(f"{start} {time.monotonic()}")
    """


def test_slow_then_browser_tests_start_first_on_every_worker_alone_tests_run_alone(tmp_path):
    spans = tmp_path / "spans"
    spans.mkdir()
    result = _inner_pytest(
        tmp_path,
        "from tests.parallel import _alone_if_marked, pytest_collection_modifyitems\n",
        {
            "test_quick.py": SPAN
            + """
    @pytest.mark.parametrize("n", range(12))
    def test_quick(n):
        span(0.1, "quick")

    @pytest.mark.slow
    @pytest.mark.parametrize("n", range(2))
    def test_slow(n):
        span(0.5, "slow")

    @pytest.mark.alone
    @pytest.mark.parametrize("n", range(2))
    def test_alone(n):
        span(0.5, "alone")
    """,
            "tests/e2e/test_browser.py": SPAN
            + """
    @pytest.mark.parametrize("n", range(4))
    def test_browser(n):
        span(0.2, "browser")
    """,
        },
        "--dist",
        "loadgroup",
        SPANS=str(spans),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ran: dict[str, list[tuple[str, float, float]]] = {"slow": [], "alone": [], "quick": [], "browser": []}
    for path in spans.iterdir():
        kind, worker, _ = path.name.split("-")
        start, end = map(float, path.read_text().split())
        ran[kind].append((worker, start, end))
    assert [len(ran[k]) for k in ("slow", "alone", "quick", "browser")] == [2, 2, 12, 4]
    assert len({worker for worker, _, _ in ran["quick"]}) == 2, "both workers took a share"
    assert len({worker for worker, _, _ in ran["browser"]}) == 2, "both workers took browser tests"
    everything = ran["slow"] + ran["alone"] + ran["quick"] + ran["browser"]

    def overlap(a, b) -> bool:
        return a != b and a[1] < b[2] and b[1] < a[2]

    for alone in ran["alone"]:
        assert not any(overlap(alone, other) for other in everything), "a test ran during an alone one"
    assert any(overlap(slow, other) for slow in ran["slow"] for other in everything), (
        "slow tests run beside others"
    )

    # Written after the quick tests (and the browser tests in a later file), slow tests are
    # handed out first, then the browser tests, and alone tests last: on each worker, the slow
    # ones ran before any browser test, the browser ones before any quick test, and the alone
    # ones after them all.
    def starts(kind: str, worker: str) -> list[float]:
        return [s for w, s, _ in ran[kind] if w == worker]

    for worker in {w for w, _, _ in everything}:
        slow, browser, quick = starts("slow", worker), starts("browser", worker), starts("quick", worker)
        assert max(slow, default=0.0) < min(browser, default=float("inf")), "slow tests first"
        assert max(browser, default=0.0) < min(quick, default=float("inf")), "then browser tests"
        assert min(starts("alone", worker), default=float("inf")) > max(quick, default=0.0)
