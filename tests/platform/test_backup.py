"""`lantern backup` copies the embedded SQLite database while the service takes intakes;
`lantern restore` brings the copy back: every incident acknowledged (201) before the backup
started is there, the schema is at head and the audit chain verifies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.audit import chain
from api.db import Database
from api.incidents.models import Incident
from api.migrations import current_revisions, head_revisions
from tests.incident_payloads import report
from tests.launcher import run_lantern
from workers.backup import BackupError, restore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LANTERN = Path(sys.executable).with_name("lantern")
COMMAND = [str(LANTERN)] if LANTERN.exists() else [sys.executable, "-m", "workers.cli"]


def _env(settings, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": settings.secret_key,
        "LANTERN_VAPID_PRIVATE_KEY": settings.vapid_private_key,
        "LANTERN_VAR_DIR": str(tmp_path / "var-cli"),
        "LANTERN_PWA_DIST": str(tmp_path / "no-pwa"),
        "LANTERN_LOG_LEVEL": "WARNING",
    }


async def _lantern(env: dict[str, str], *args: str, seconds: float = 180) -> tuple[int, str, str]:
    """A one-off `lantern` command, forked from this test process's launcher (tests/launcher.py):
    a process of its own, without importing Lantern again (some 3 s of CPU a start at load 12)."""
    done = await asyncio.to_thread(run_lantern, list(args), env=env, cwd=ROOT, timeout=seconds)
    return done.returncode, done.stdout, done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def _serve(env: dict[str, str], tmp_path: Path):
    """A real `lantern serve --no-worker` on a loopback port; yields its base URL."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for over HTTP below
        [*COMMAND, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"serve exited: {log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, "serve never became ready"
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), timeout=15)
        except TimeoutError:
            process.kill()
            await asyncio.to_thread(process.wait)
        log.close()


async def test_a_backup_taken_under_a_stream_of_intakes_restores_everything_acknowledged(
    settings, world, make_user, db, tmp_path
):
    if not settings.is_sqlite:
        pytest.skip("the embedded SQLite database only; PostgreSQL is backed up with pg_dump (test below)")
    police = await make_user("police", station="euston-street")
    env = _env(settings, settings.database_url, tmp_path)
    backup_file = tmp_path / "backups" / "night.db"
    acknowledged: list[tuple[float, str]] = []
    stop = asyncio.Event()

    async def stream() -> None:
        async with httpx.AsyncClient(timeout=30) as phone:
            while not stop.is_set():
                response = await phone.post(
                    f"{base}/api/v1/incidents",
                    json=report(),
                    headers={**police.headers, "Idempotency-Key": str(uuid.uuid4())},
                )
                assert response.status_code == 201, response.text
                acknowledged.append((time.monotonic(), response.json()["id"]))

    # A long read elsewhere (a report being built) keeps checkpoints from moving what is
    # committed into the main file: the copy has to read through the WAL, as SQLite's backup
    # API does (copying the file would lose every intake below).
    long_reader = sqlite3.connect(str(settings.database_url.split(":///", 1)[1]), isolation_level=None)
    long_reader.execute("BEGIN")
    long_reader.execute("SELECT count(*) FROM incidents").fetchone()
    async with _serve(env, tmp_path) as base:
        streams = [asyncio.create_task(stream()) for _ in range(3)]
        try:
            async with asyncio.timeout(60):
                while len(acknowledged) < 15:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            started = time.monotonic()
            before = {incident_id for at, incident_id in acknowledged if at <= started}
            code, out, err = await _lantern(env, "backup", str(backup_file))
            finished = time.monotonic()
            assert code == 0, err
            assert f"backed up to {backup_file}" in out and "integrity check ok" in out

            # While the service runs, its database is not replaced, even with a good backup.
            with pytest.raises(BackupError, match="running service"):
                restore(settings.database_url, backup_file)
        finally:
            stop.set()
            await asyncio.gather(*streams)
            long_reader.close()
    during = [i for at, i in acknowledged if started < at < finished]
    assert during, "intakes kept being acknowledged while the backup ran"

    fresh_url = f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'lantern.db'}"
    fresh_env = _env(settings, fresh_url, tmp_path)
    code, out, err = await _lantern(fresh_env, "restore", str(backup_file))
    assert code == 0, err
    assert out.startswith(f"restored into {tmp_path / 'restored' / 'lantern.db'}")

    restored = Database(fresh_url)
    try:
        assert await current_revisions(restored.engine) == head_revisions()
        async with restored.sessionmaker() as session:
            present = {str(i) for i in (await session.execute(select(Incident.id))).scalars()}
        missing = before - present
        assert not missing, f"{len(missing)} of {len(before)} acknowledged incidents missing"
        assert len(present) >= len(before)
        verdict = await chain.verify(restored.engine)
        assert verdict.ok and verdict.rows >= len(present)
    finally:
        await restored.dispose()
    code, out, err = await _lantern(fresh_env, "audit", "verify")
    assert code == 0, err
    assert "audit chain verified" in out

    # A restored database now holds data: a second restore is refused, then forced.
    with pytest.raises(BackupError, match="holds data"):
        restore(fresh_url, backup_file)
    forced = restore(fresh_url, backup_file, force=True)
    assert forced.replaced and forced.summary.incidents == len(present)


async def test_backup_and_restore_refuse_what_they_cannot_do_safely(settings, db, tmp_path):
    if settings.is_sqlite:
        not_a_database = tmp_path / "notes.txt"
        not_a_database.write_text("not a database")
        with pytest.raises(BackupError, match="not a SQLite database"):
            restore(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", not_a_database)
        with pytest.raises(BackupError, match="no backup"):
            restore(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path / "missing.db")
        assert not (tmp_path / "x.db").exists()
        return
    # PostgreSQL: the commands say what to use instead, and touch nothing.
    env = _env(settings, settings.database_url, tmp_path)
    code, _, err = await _lantern(env, "backup", str(tmp_path / "pg.db"))
    assert code == 2 and "pg_dump" in err and "point-in-time" in err
    assert not (tmp_path / "pg.db").exists()
