"""Claiming and finishing outbox jobs.

A claim is one short transaction: due jobs (pending and `run_at` passed, or running with an
expired lease: their worker died) are marked running with a lease, `attempts + 1`. On
PostgreSQL the candidate rows are taken `FOR UPDATE SKIP LOCKED`, so concurrent workers never
claim the same job and never wait on each other; on SQLite the transaction starts with
`BEGIN IMMEDIATE` (see api.db), which serialises claims. The handler then runs outside that
transaction, and the job is finished only by the worker that still holds its lease.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.db import Database, rows_affected
from api.jobs.models import Job, JobState


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one
    max_attempts: int
    # A delivery written and prepared by this worker in the transaction that just committed
    # (see handlers.page_level): what `deliveries.prepare` would read again. Never set for a
    # job claimed from the table (a retry, or one taken over after a lease expired).
    prepared: Any = None
    # A `page.level` started in the claim's own transaction (see `claim_or_next_due`'s `start`):
    # what its handler needs to send the level's deliveries. Never set otherwise.
    started: Any = None


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(Job.state) == JobState.PENDING, col(Job.run_at) <= now),
        and_(col(Job.state) == JobState.RUNNING, col(Job.lease_until) < now),
    )


async def claim(
    database: Database, worker_id: str, *, now: datetime, limit: int, lease_seconds: float
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for `worker_id`, oldest due first."""
    async with database.session() as session:
        return await _claim_in(session, worker_id, now=now, limit=limit, lease_seconds=lease_seconds)


StartInClaim = Callable[[AsyncSession, list[ClaimedJob]], Awaitable[list[ClaimedJob]]]


async def claim_or_next_due(
    database: Database,
    worker_id: str,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    start: StartInClaim | None = None,
) -> tuple[list[ClaimedJob], datetime | None]:
    """`claim`, then `next_due` in the same transaction: a worker's wake-up costs one short
    transaction, and it knows when to look again. `start` may begin claimed jobs inside that
    transaction (a page's level: see Worker.start_in_claim); it returns the jobs to run."""
    async with database.session() as session:
        claimed = await _claim_in(session, worker_id, now=now, limit=limit, lease_seconds=lease_seconds)
        if start is not None and claimed:
            claimed = await start(session, claimed)
        due = await _next_due_in(session)
    return claimed, due


async def _claim_in(
    session: AsyncSession, worker_id: str, *, now: datetime, limit: int, lease_seconds: float
) -> list[ClaimedJob]:
    if limit <= 0:
        return []
    candidates = (
        select(col(Job.id))
        .where(_claimable(now))
        .order_by(col(Job.run_at), col(Job.id))
        .limit(limit)
        # Ignored on SQLite, where BEGIN IMMEDIATE already makes claims take turns.
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Job)
        .where(col(Job.id).in_(candidates.scalar_subquery()))
        .values(
            state=JobState.RUNNING,
            lease_until=now + timedelta(seconds=lease_seconds),
            leased_by=worker_id,
            attempts=col(Job.attempts) + 1,
        )
        .returning(
            col(Job.id),
            col(Job.kind),
            col(Job.payload),
            col(Job.attempts),
            col(Job.max_attempts),
            col(Job.run_at),
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted((await session.execute(statement)).all(), key=lambda r: (r.run_at, r.id))
    return [ClaimedJob(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in rows]


def done_values(now: datetime) -> dict[str, Any]:
    return {"state": JobState.DONE, "finished_at": now, "lease_until": None, "last_error": None}


def retry_values(run_at: datetime, error: str | None) -> dict[str, Any]:
    return {
        "state": JobState.PENDING,
        "run_at": run_at,
        "lease_until": None,
        "leased_by": None,
        "last_error": (error or "")[:2000] or None,
    }


async def settle_in(session: AsyncSession, job: ClaimedJob, worker_id: str, values: dict[str, Any]) -> bool:
    """Settle the job inside `session`'s transaction, if `worker_id` still holds its lease.

    Settling in the handler's own transaction makes its effects and the job's end one commit.
    """
    result = await session.execute(
        update(Job)
        .where(col(Job.id) == job.id, col(Job.leased_by) == worker_id, col(Job.state) == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result) == 1


async def _finish(database: Database, job: ClaimedJob, worker_id: str, values: dict[str, Any]) -> bool:
    async with database.session() as session:
        return await settle_in(session, job, worker_id, values)


async def complete(database: Database, job: ClaimedJob, worker_id: str, *, now: datetime) -> bool:
    """Mark the job done; False when the lease was lost to another worker meanwhile."""
    return await _finish(database, job, worker_id, done_values(now))


async def retry(
    database: Database, job: ClaimedJob, worker_id: str, *, run_at: datetime, error: str | None
) -> bool:
    return await _finish(database, job, worker_id, retry_values(run_at, error))


async def fail(database: Database, job: ClaimedJob, worker_id: str, *, now: datetime, error: str) -> bool:
    values = {"state": JobState.FAILED, "finished_at": now, "lease_until": None, "last_error": error[:2000]}
    return await _finish(database, job, worker_id, values)


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter: uniform in [d/2, d], d = min(cap, base * 2^(n-1))."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return (rng or random).uniform(ceiling / 2, ceiling)


async def next_due(database: Database) -> datetime | None:
    """When the next job becomes claimable: the earliest pending run time, or the earliest
    lease to expire (a worker that died mid-job), so a sleeping worker wakes just then."""
    async with database.session() as session:
        return await _next_due_in(session)


async def _next_due_in(session: AsyncSession) -> datetime | None:
    # Two index look-ups, one round trip.
    pending = select(func.min(Job.run_at)).where(col(Job.state) == JobState.PENDING).scalar_subquery()
    leased = select(func.min(Job.lease_until)).where(col(Job.state) == JobState.RUNNING).scalar_subquery()
    times = [t for t in (await session.execute(select(pending, leased))).one() if t is not None]
    return min(times) if times else None


async def stuck_counts(database: Database, *, now: datetime, overdue_after: timedelta) -> dict[str, int]:
    """Work that should have run by now and has not: overdue pending jobs, expired leases."""
    async with database.session() as session:
        overdue = (
            await session.execute(
                select(func.count()).where(
                    col(Job.state) == JobState.PENDING, col(Job.run_at) < now - overdue_after
                )
            )
        ).scalar_one()
        expired = (
            await session.execute(
                select(func.count()).where(col(Job.state) == JobState.RUNNING, col(Job.lease_until) < now)
            )
        ).scalar_one()
        failed = (
            await session.execute(
                select(func.count()).where(
                    col(Job.state) == JobState.FAILED, col(Job.finished_at) > now - timedelta(days=1)
                )
            )
        ).scalar_one()
    return {"overdue": overdue, "lease_expired": expired, "failed_last_day": failed}
