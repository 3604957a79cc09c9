"""The suite's own speed-ups give the answers they replace: the compiled-statement cache the
engines of a test process share (tests/compile_once.py), and the launcher that runs `lantern`
commands as forked children (tests/launcher.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import literal, select, util
from sqlalchemy.engine.interfaces import CacheStats

from api.db import Database
from tests.launcher import LANTERN_COMMAND, run_lantern


async def _cache_of_first_run(database: Database, statement) -> tuple[CacheStats, int]:
    async with database.engine.connect() as conn:
        result = await conn.execute(statement)
        return result.context.cache_hit, result.scalar_one()


async def test_a_new_engine_runs_a_statement_another_engine_compiled(tmp_path: Path):
    statement = select(literal(41) + 1)
    first = Database(f"sqlite+aiosqlite:///{tmp_path / 'first.db'}")
    second = Database(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}")
    try:
        assert (await _cache_of_first_run(first, statement))[1] == 42
        assert await _cache_of_first_run(second, statement) == (CacheStats.CACHE_HIT, 42)
        # An engine with a cache of its own (as in production) compiles it again: what the
        # shared cache saves each test.
        second.engine.sync_engine._compiled_cache = util.LRUCache(500)
        assert await _cache_of_first_run(second, statement) == (CacheStats.CACHE_MISS, 42)
    finally:
        await first.dispose()
        await second.dispose()


async def test_different_dialects_do_not_share_compiled_statements(test_database, tmp_path: Path):
    """SQLite and PostgreSQL engines compile the same statement apart (their SQL differs)."""
    statement = select(literal("a").concat("b"))
    sqlite = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    other = Database(test_database.template_url) if test_database.kind == "postgres" else None
    try:
        assert (await _cache_of_first_run(sqlite, statement))[1] == "ab"
        if other is not None:
            assert await _cache_of_first_run(other, statement) == (CacheStats.CACHE_MISS, "ab")
            assert await _cache_of_first_run(other, statement) == (CacheStats.CACHE_HIT, "ab")
    finally:
        await sqlite.dispose()
        if other is not None:
            await other.dispose()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": "cli-test-secret-" + "x" * 40,
        "LANTERN_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def test_a_launched_command_answers_as_a_new_process_would(tmp_path: Path):
    """Same status, output and error; arguments and paths relative to the directory given."""
    args = ["setup", "import", "missing.yaml"]
    launched = run_lantern(args, env=_env(tmp_path), cwd=tmp_path, timeout=120)
    spawned = subprocess.run(
        [*LANTERN_COMMAND, *args],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert launched.returncode == 2
    assert "setup import: cannot read missing.yaml: FileNotFoundError" in launched.stderr
    assert (launched.returncode, launched.stdout, launched.stderr) == (
        spawned.returncode,
        spawned.stdout,
        spawned.stderr,
    )


def test_each_launched_command_has_its_own_environment(tmp_path: Path):
    (tmp_path / "empty.yaml").write_text("{}\n")
    args = ["setup", "import", "empty.yaml"]
    bad = run_lantern(args, env=_env(tmp_path, LANTERN_WORKER_POLL_SECONDS="soon"), cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert "configuration error" in bad.stderr and "LANTERN_WORKER_POLL_SECONDS" in bad.stderr
    good = run_lantern(args, env=_env(tmp_path), cwd=tmp_path, timeout=120)
    assert "configuration error" not in good.stderr  # the previous command's setting did not stay
    assert good.returncode in (0, 1), good.stderr
