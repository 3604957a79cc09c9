"""`lantern backup` and `lantern restore` for the embedded SQLite database.

The copy is taken with SQLite's online backup API in one step: it reads one consistent
snapshot while the service keeps writing (WAL mode lets readers and a writer run together),
so every transaction committed before the copy started is in it and none is half in it.
PostgreSQL is backed up with its own tools (pg_dump, base backups and WAL archiving).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

POSTGRES_ADVICE = (
    "DATABASE_URL is PostgreSQL: back it up with its own tools, not this command: "
    "`pg_dump --format=custom --file=lantern.dump DBNAME` for a consistent logical copy "
    "(restore with pg_restore into an empty database), and a base backup (pg_basebackup) "
    "with WAL archiving for point-in-time recovery. See the README, 'Operations'."
)
# Tables whose rows make a database "not empty" for restore (a migrated, unused one has none).
_DATA_TABLES = ("users", "incidents", "audit_events", "teams")


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


@dataclass(frozen=True)
class Summary:
    path: Path
    bytes: int
    revisions: tuple[str, ...]
    incidents: int
    audit_rows: int


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL); in-memory databases are refused."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up or restored")
    return Path(path).expanduser().resolve()


def _connect(path: Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return connection


def _count(connection: sqlite3.Connection, table: str) -> int:
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
    except sqlite3.OperationalError:
        return 0


def _summary(path: Path, connection: sqlite3.Connection) -> Summary:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")
    try:
        revisions = tuple(r[0] for r in connection.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError as exc:
        raise BackupError(f"{path} is not a Lantern database (no migration table)") from exc
    return Summary(
        path=path,
        bytes=path.stat().st_size,
        revisions=revisions,
        incidents=_count(connection, "incidents"),
        audit_rows=_count(connection, "audit_events"),
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(database_url: str, destination: Path, *, force: bool = False) -> Summary:
    """Copy the live database to `destination` (one self-contained file), atomically."""
    source = sqlite_path(database_url)
    if source is None:
        raise BackupError(POSTGRES_ADVICE)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    destination = destination.expanduser().resolve()
    if destination == source:
        raise BackupError("the backup must not be the database itself")
    if destination.exists() and not force:
        raise BackupError(f"{destination} exists; choose another path or pass --force to replace it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    live = _connect(source)
    copy = _connect(partial)
    try:
        live.backup(copy)  # pages=-1: the whole database in one step, one read snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
        summary = _summary(partial, copy)
    except BaseException:
        copy.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        live.close()
    copy.close()
    _fsync(partial)
    os.replace(partial, destination)
    _fsync(destination.parent)
    return Summary(
        destination, destination.stat().st_size, summary.revisions, summary.incidents, summary.audit_rows
    )


def _in_use(path: Path) -> bool:
    """Whether another connection (a running service) has the database open.

    Leaving WAL mode needs the database to itself, so that is the question asked.
    """
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            return False
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            return True
        connection.execute("PRAGMA journal_mode=WAL")
        return False
    finally:
        connection.close()


@dataclass(frozen=True)
class Restored:
    summary: Summary
    replaced: bool
    was_in_use: bool


def restore(database_url: str, source: Path, *, force: bool = False) -> Restored:
    """Bring the backup at `source` back as the configured database."""
    target = sqlite_path(database_url)
    if target is None:
        raise BackupError(POSTGRES_ADVICE)
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if source == target:
        raise BackupError("the backup is the configured database itself")
    with open(source, "rb") as head:
        if head.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{source} is not a SQLite database")
    backup_connection = _connect(source)
    try:
        _summary(source, backup_connection)  # refuse a damaged or foreign file before touching anything
        replaced = was_in_use = False
        if target.exists() and target.stat().st_size > 0:
            current = _connect(target, timeout=5)
            try:
                rows = sum(_count(current, table) for table in _DATA_TABLES)
            finally:
                current.close()
            was_in_use = _in_use(target)
            if (rows or was_in_use) and not force:
                why = "is open by a running service" if was_in_use else f"holds data ({rows} rows)"
                raise BackupError(
                    f"{target} {why}; stop the service and pass --force to replace it with the backup"
                )
            replaced = True
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = _connect(target)
        try:
            backup_connection.backup(destination)  # page by page, in one transaction on the target
            destination.execute("PRAGMA journal_mode=WAL")
            summary = _summary(target, destination)
        finally:
            destination.close()
    finally:
        backup_connection.close()
    return Restored(summary, replaced, was_in_use)
