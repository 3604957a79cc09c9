"""Enqueueing work in the outbox, and waking the workers once it is committed.

A job is written in the caller's transaction, so it exists exactly when the change that caused
it does. Wake-ups: on PostgreSQL a `NOTIFY lantern_jobs` issued inside that transaction (the
server delivers it on commit, to every `LISTEN`ing worker on any host); in this process an
asyncio event set after the commit (the embedded default, and any worker living beside the API).
Workers poll as well, so a lost wake-up only costs latency.

Only a job due now wakes anyone. A job for later (a level's acknowledgement timer, a
reachability check) tells the workers when it falls due instead (the NOTIFY's payload, or
`hint_local` here): a sleeping worker shortens its sleep to that time and claims nothing before
it. Waking them for it cost every worker a claim that found nothing, on every page.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit, compiled_once, new_id, notify_on_commit, plain_writer, table_of, utcnow
from api.jobs.models import Job, JobState

CHANNEL = "lantern_jobs"

_local_waiters: set[asyncio.Event] = set()
_local_hints: set[Callable[[datetime], None]] = set()


def subscribe() -> asyncio.Event:
    """An event set whenever a transaction of this process commits new jobs."""
    event = asyncio.Event()
    _local_waiters.add(event)
    return event


def unsubscribe(event: asyncio.Event) -> None:
    _local_waiters.discard(event)


def wake_local() -> None:
    for event in list(_local_waiters):
        event.set()


def subscribe_due(callback: Callable[[datetime], None]) -> None:
    """`callback(run_at)` whenever a transaction of this process commits a job due later."""
    _local_hints.add(callback)


def unsubscribe_due(callback: Callable[[datetime], None]) -> None:
    _local_hints.discard(callback)


def hint_local(run_at: datetime) -> None:
    for callback in list(_local_hints):
        callback(run_at)


def due_hint(payload: str) -> datetime | None:
    """The time a NOTIFY's payload says its job falls due; None: a job due now (wake up)."""
    if not payload:
        return None
    try:
        run_at = datetime.fromisoformat(payload)
    except ValueError:
        return None
    return run_at if run_at.tzinfo is not None else None


@dataclass
class Claimant:
    """A worker enqueueing work it will run itself right after its commit (a page level's
    deliveries): the jobs are written already leased to it, so no claim round trip is needed,
    and if the worker dies they are taken over when the lease expires, like any other job."""

    worker_id: str
    lease_until: datetime
    claimed: list[tuple[uuid.UUID, str, dict[str, Any], int]] = field(default_factory=list)


@dataclass(frozen=True)
class NewJob:
    """A job for `enqueue_many` (the arguments of `enqueue`)."""

    kind: str
    payload: dict[str, Any]
    run_at: datetime | None = None
    dedupe_key: str | None = None
    max_attempts: int | None = None


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _values(job: NewJob) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "kind": job.kind,
        "payload": job.payload,
        "state": JobState.PENDING,
        "run_at": job.run_at or now,
        "attempts": 0,
        "max_attempts": (
            job.max_attempts if job.max_attempts is not None else Job.model_fields["max_attempts"].default
        ),
        "dedupe_key": job.dedupe_key,
        "created_at": now,
    }


_COLUMNS = (
    "id",
    "kind",
    "payload",
    "state",
    "run_at",
    "attempts",
    "max_attempts",
    "dedupe_key",
    "created_at",
)


def _insert_unless_taken(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """INSERT INTO jobs … ON CONFLICT (dedupe_key) DO NOTHING, for either database."""
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table_of(Job))
    elif dialect == "sqlite":
        statement = sqlite.insert(table_of(Job))
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])


@cache
def _many_unless_taken(dialect: str) -> Executable:
    """`_insert_unless_taken` compiled once per dialect for `_values`' columns (api.db.compiled_once:
    SQLAlchemy's compiled cache keys no INSERT … ON CONFLICT, so it was compiled on every intake)."""
    return compiled_once(_insert_unless_taken(dialect), dialect, _COLUMNS)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
    claimant: Claimant | None = None,
) -> uuid.UUID | None:
    """Add a job to the caller's transaction; returns its id.

    With `dedupe_key`, a second enqueue of the same work is a no-op and returns None (the key
    stays taken after the job finished, so a repeated cause never redoes finished work).
    With `claimant`, the job is written leased to that worker (see Claimant).
    """
    values = _values(NewJob(kind, payload, run_at, dedupe_key, max_attempts))
    job_id = values["id"]
    if claimant is not None:
        values.update(
            state=JobState.RUNNING, attempts=1, leased_by=claimant.worker_id, lease_until=claimant.lease_until
        )
    dialect = dialect_name(session)
    # The jobs table references nothing, so the caller's pending rows need not be flushed
    # first: they go in the caller's next flush, batched with the rest of its rows.
    no_flush = {"autoflush": False}
    if dedupe_key is None:
        await session.execute(insert(Job).values(**values), execution_options=no_flush)
    else:
        statement = _insert_unless_taken(dialect).values(**values).returning(table_of(Job).c.id)
        if (await session.execute(statement, execution_options=no_flush)).scalar_one_or_none() is None:
            return None
    if claimant is not None:
        claimant.claimed.append((job_id, kind, payload, values["max_attempts"]))
        return job_id  # nobody else needs waking: it is ours
    await _wake_on_commit(session, dialect, values["run_at"])
    return job_id


async def enqueue_many(session: AsyncSession, jobs: Sequence[NewJob]) -> None:
    """Add several jobs to the caller's transaction in one statement, with one wake-up.

    A job whose `dedupe_key` is taken is skipped, as `enqueue` skips it.
    """
    if not jobs:
        return
    dialect = dialect_name(session)
    rows = [_values(job) for job in jobs]
    due = min(row["run_at"] for row in rows)
    writer = plain_writer(session)  # SQLite, the caller deferring its INSERTs (intake)
    if writer is not None:
        writer.send(_many_unless_taken(dialect), rows)
    else:
        await session.execute(_many_unless_taken(dialect), rows, execution_options={"autoflush": False})
    await _wake_on_commit(session, dialect, due)


async def _wake_on_commit(session: AsyncSession, dialect: str, run_at: datetime) -> None:
    """Wake the workers when this transaction commits, for a job due now; for a job due later,
    tell them when (once per transaction, unless a later job in it is due sooner)."""
    transaction = session.sync_session.get_transaction()
    # (transaction, None when a wake-up is queued, else the earliest due time told of)
    queued = session.info.get("jobs_wake_transaction")
    told = queued[1] if queued is not None and queued[0] is transaction else _NOTHING_YET
    if told is None:
        return  # a wake-up is on its way: the claim it causes also looks at what is due later
    if run_at.tzinfo is None or run_at <= utcnow():
        session.info["jobs_wake_transaction"] = (transaction, None)
        if dialect == "postgresql":
            # Transactional: delivered to listeners only if and when this transaction commits.
            notify_on_commit(session, CHANNEL)
        after_commit(session, _wake_local_async)
        return
    if told is not _NOTHING_YET and told <= run_at:
        return
    session.info["jobs_wake_transaction"] = (transaction, run_at)
    if dialect == "postgresql":
        notify_on_commit(session, CHANNEL, run_at.isoformat())

    async def hint() -> None:
        hint_local(run_at)

    after_commit(session, hint)


_NOTHING_YET: Any = object()


async def _wake_local_async() -> None:
    wake_local()
