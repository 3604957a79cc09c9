"""What each job kind does. The rules live in `api.paging`; handlers only open the
transactions, call the rules, and do the network I/O between them (never inside a transaction).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api import retention
from api.db import Database
from api.jobs.service import Claimant
from api.paging import alerts, deliveries, escalation, partner_pages, reachability
from api.paging.deliveries import DONE, NextStep, PreparedDelivery
from api.settings import Settings
from workers import queue
from workers.queue import ClaimedJob
from workers.sender import Channels

log = logging.getLogger("lantern.worker")


class LeaseLost(Exception):
    """Another worker took the job over (our lease expired): our transaction rolls back."""


@dataclass
class JobContext:
    database: Database
    settings: Settings
    channels: Channels
    clock: Callable[[], datetime]
    job: ClaimedJob
    worker_id: str
    backoff: Callable[[], timedelta]
    run_now: Callable[[list[ClaimedJob]], Awaitable[None]]
    settled: NextStep | None = None

    def claimant(self) -> Claimant:
        """For jobs this handler writes and will run itself once committed."""
        lease_until = self.clock() + timedelta(seconds=self.settings.job_lease_seconds)
        return Claimant(self.worker_id, lease_until)

    async def prepare_claimed(
        self, session: AsyncSession, claimant: Claimant
    ) -> dict[uuid.UUID, PreparedDelivery]:
        """What each delivery written leased to us will send, read in the transaction that wrote
        it (so `delivery_send` needs no transaction of its own before the network call)."""
        prepared = {}
        for job_id, kind, payload, _ in claimant.claimed:
            if kind == escalation.DELIVERY_JOB:
                ready = await deliveries.prepare(session, self.settings, payload, self.clock())
                if ready is not None:  # nothing to send: its own run settles it as usual
                    prepared[job_id] = ready
        return prepared

    async def run_claimed(
        self, claimant: Claimant, prepared: dict[uuid.UUID, PreparedDelivery] | None = None
    ) -> None:
        """Run, after the commit, the jobs written leased to us (no claim round trip)."""
        if claimant.claimed:
            ready = prepared or {}
            await self.run_now(
                [
                    ClaimedJob(job_id, kind, payload, 1, max_attempts, ready.get(job_id))
                    for job_id, kind, payload, max_attempts in claimant.claimed
                ]
            )

    async def settle(self, session: AsyncSession, step: NextStep) -> NextStep:
        """End the job in the handler's own transaction: its effects and the job's end commit
        together. Raises LeaseLost (rolling the transaction back) if the lease was taken over."""
        now = self.clock()
        if step.retry:
            wait = (
                self.backoff() if step.delay is None else timedelta(seconds=min(step.delay, MAX_RETRY_AFTER))
            )
            values = queue.retry_values(now + wait, "retry requested")
        else:
            values = queue.done_values(now)
        if not await queue.settle_in(session, self.job, self.worker_id, values):
            raise LeaseLost(f"job {self.job.id} was taken over by another worker")
        self.settled = step
        return step


Handler = Callable[[JobContext, ClaimedJob], Awaitable[NextStep]]
MAX_RETRY_AFTER = 3600.0


# What a unit of work queues for its commit (api.db, api.jobs.service): put back as it was when
# a level started inside the claim's transaction rolls back to its savepoint.
_QUEUED_FOR_COMMIT = ("after_commit", "lantern_pg_notifications", "jobs_wake_transaction")


def _snapshot(value: Any) -> Any:
    """A list queued for the commit is copied (the level appends to it); anything else (the
    transaction a wake-up was registered for) is kept as the very object."""
    return list(value) if isinstance(value, list) else value


async def start_level_in_claim(ctx: JobContext, session: AsyncSession, job: ClaimedJob) -> ClaimedJob:
    """Start a just-claimed `page.level` inside the claim's own transaction, in a savepoint: its
    deliveries are written leased to us and prepared, and the job ends, in the claim's commit
    (one transaction and one turn for SQLite's connection fewer between the intake and the
    phone). If the level fails, only its savepoint rolls back: the job stays claimed by us and
    its handler runs it as usual (its own transaction, retries, failure)."""
    queued = {key: _snapshot(session.info.get(key)) for key in _QUEUED_FOR_COMMIT}
    claimant = ctx.claimant()
    try:
        async with session.begin_nested():
            await escalation.run_level_job(session, job.payload, ctx.clock(), claimant)
            prepared = await ctx.prepare_claimed(session, claimant)
            await ctx.settle(session, DONE)
    except Exception:
        log.exception("starting page level %s in its claim failed; it runs on its own", job.id)
        for key, value in queued.items():
            if value is None:
                session.info.pop(key, None)
            else:
                session.info[key] = value
        ctx.settled = None
        return job
    return dataclasses.replace(job, started=(claimant, prepared))


async def page_level(ctx: JobContext, job: ClaimedJob) -> NextStep:
    if job.started is not None:  # begun and ended in the claim's transaction
        claimant, prepared = job.started
        ctx.settled = DONE
        await ctx.run_claimed(claimant, prepared)  # the level's deliveries, at once
        return DONE
    claimant = ctx.claimant()
    async with ctx.database.session() as session:
        await escalation.run_level_job(session, job.payload, ctx.clock(), claimant)
        prepared = await ctx.prepare_claimed(session, claimant)
        step = await ctx.settle(session, DONE)
    await ctx.run_claimed(claimant, prepared)  # the level's deliveries, at once
    return step


async def page_escalate(ctx: JobContext, job: ClaimedJob) -> NextStep:
    claimant = ctx.claimant()
    async with ctx.database.session() as session:
        await escalation.run_escalate_job(session, job.payload, ctx.clock(), claimant)
        prepared = await ctx.prepare_claimed(session, claimant)
        step = await ctx.settle(session, DONE)
    await ctx.run_claimed(claimant, prepared)
    return step


async def delivery_send(ctx: JobContext, job: ClaimedJob) -> NextStep:
    prepared: PreparedDelivery | None = job.prepared  # read in the page's own transaction
    if prepared is None:
        async with ctx.database.session() as session:
            prepared = await deliveries.prepare(session, ctx.settings, job.payload, ctx.clock())
            if prepared is None:  # acknowledged, cancelled or otherwise moot: nothing to send
                return await ctx.settle(session, DONE)
    # The network call happens between transactions, never inside one.
    result = await ctx.channels.send(prepared)
    claimant = ctx.claimant()
    async with ctx.database.session() as session:
        step = await deliveries.record(
            session,
            job.payload,
            prepared,
            result,
            attempt=job.attempts,
            max_attempts=ctx.settings.delivery_max_attempts,
            now=ctx.clock(),
            claimant=claimant,
        )
        await ctx.settle(session, step)
    await ctx.run_claimed(claimant)  # the fallback, when the push failed for good
    return step


async def reachability_check(ctx: JobContext, job: ClaimedJob) -> NextStep:
    async with ctx.database.session() as session:
        await reachability.run_check(session, job.payload, ctx.clock())
        return await ctx.settle(session, DONE)


async def reachability_verdict(ctx: JobContext, job: ClaimedJob) -> NextStep:
    async with ctx.database.session() as session:
        await reachability.run_verdict(session, job.payload, ctx.clock())
        return await ctx.settle(session, DONE)


async def managers_alert(ctx: JobContext, job: ClaimedJob) -> NextStep:
    async with ctx.database.session() as session:
        await alerts.alert_team_managers(session, job.payload, ctx.clock())
        return await ctx.settle(session, DONE)


async def concern_page(ctx: JobContext, job: ClaimedJob) -> NextStep:
    async with ctx.database.session() as session:
        await partner_pages.page_hub(session, job.payload, ctx.clock())
        return await ctx.settle(session, DONE)


async def retention_purge(ctx: JobContext, job: ClaimedJob) -> NextStep:
    """This period's purge (see api.retention); within half a lease, the rest next period."""
    await retention.purge(
        ctx.database,
        ctx.settings,
        now=ctx.clock(),
        records=ctx.settings.retention_purge_records,
        trigger="schedule",
        time_budget_seconds=ctx.settings.job_lease_seconds / 2,
    )
    return DONE


HANDLERS: dict[str, Handler] = {
    alerts.ALERT_JOB: managers_alert,
    partner_pages.CONCERN_JOB: concern_page,
    escalation.LEVEL_JOB: page_level,
    escalation.ESCALATE_JOB: page_escalate,
    escalation.DELIVERY_JOB: delivery_send,
    reachability.CHECK_JOB: reachability_check,
    reachability.VERDICT_JOB: reachability_verdict,
    retention.PURGE_JOB: retention_purge,
}
