"""Running the worker loop: in-process beside the API (embedded default) or alone.

The loop claims due jobs (see `workers.queue`), runs up to `worker_concurrency` of them at once,
and sleeps until the next job is due, a wake-up arrives, or `worker_poll_seconds` pass:

- wake-ups: `LISTEN lantern_jobs` on a dedicated asyncpg connection (PostgreSQL: jobs committed
  by any process), and the in-process event of `api.jobs.service` (jobs committed here);
- failures: capped exponential backoff with jitter; `Retry-After` when a channel gives one;
- an auditor pass every `auditor_interval_seconds`: heartbeat and stuck-jobs metrics, and the
  reachability checks of people coming on call.

`run_due_jobs` runs what is due once, sequentially, at an injectable `now`: tests drive
escalation with it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.engine import make_url

from api.db import Database, utcnow
from api.handover.service import raise_due
from api.jobs import service as jobs
from api.paging import reachability
from api.platform.metrics import JOBS_RUN, JOBS_STUCK, WORKER_HEARTBEAT
from api.settings import Settings
from workers import queue
from workers.handlers import HANDLERS, JobContext, LeaseLost
from workers.queue import ClaimedJob
from workers.sender import Channels

log = logging.getLogger("lantern.worker")

MAX_RETRY_AFTER_SECONDS = 3600.0
SQLITE_CONCURRENCY = 4
RESCHEDULED = ("retry", "error", "unsettled")


class Worker:
    """One worker: its identity (for leases), its channels, and the jobs it runs."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        channels: Channels | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.channels = channels or Channels(settings)
        self._own_channels = channels is None
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # Set when a job was put back for later (a retry): the loop must look again at when
        # the next job is due.
        self._rescheduled = False

    async def aclose(self) -> None:
        if self._own_channels:
            await self.channels.aclose()

    # -- one job ---------------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob, clock: Callable[[], datetime] = utcnow) -> str:
        """Run one claimed job and settle it: done, retried later, or failed. Returns which."""
        kind_label = job.kind if job.kind in HANDLERS else "unknown"
        handler = HANDLERS.get(job.kind)
        try:
            if handler is None:
                await queue.fail(self.database, job, self.worker_id, now=clock(), error="unknown job kind")
                result = "failed"
            elif job.attempts > job.max_attempts:
                await queue.fail(self.database, job, self.worker_id, now=clock(), error="too many attempts")
                result = "failed"
            else:
                result = await self._run_handler(handler, job, clock)
        except Exception:  # settling failed (database away): the lease will expire and recover it
            log.exception("could not settle job %s (%s)", job.id, job.kind)
            result = "unsettled"
        JOBS_RUN.labels(kind_label, result).inc()
        if result in RESCHEDULED:
            self._rescheduled = True
        return result

    async def _run_handler(self, handler, job: ClaimedJob, clock: Callable[[], datetime]) -> str:
        async def run_now(jobs: list[ClaimedJob]) -> None:
            await asyncio.gather(*(self.run_job(claimed, clock) for claimed in jobs))

        context = JobContext(
            self.database,
            self.settings,
            self.channels,
            clock,
            job,
            self.worker_id,
            lambda: self._backoff(job),
            run_now,
        )
        try:
            step = await handler(context, job)
        except LeaseLost:
            log.warning(
                "job %s (%s) was taken over by another worker; its effects rolled back", job.id, job.kind
            )
            return "lost"
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            error = f"{type(exc).__name__}: {exc}"[:500]
            if job.attempts >= job.max_attempts:
                await queue.fail(self.database, job, self.worker_id, now=clock(), error=error)
                return "failed"
            await queue.retry(
                self.database, job, self.worker_id, run_at=clock() + self._backoff(job), error=error
            )
            return "error"
        if context.settled is not None:  # the handler ended the job in its own transaction
            return "retry" if step.retry else "done"
        if step.retry:
            # The channel's Retry-After when it gave one, else our own backoff.
            wait = (
                self._backoff(job)
                if step.delay is None
                else _seconds(min(step.delay, MAX_RETRY_AFTER_SECONDS))
            )
            await queue.retry(
                self.database, job, self.worker_id, run_at=clock() + wait, error="retry requested"
            )
            return "retry"
        if not await queue.complete(self.database, job, self.worker_id, now=clock()):
            log.warning("job %s (%s) finished after its lease was taken over", job.id, job.kind)
        return "done"

    def _backoff(self, job: ClaimedJob) -> timedelta:
        return _seconds(
            queue.backoff_seconds(
                job.attempts,
                base=self.settings.job_backoff_base_seconds,
                cap=self.settings.job_backoff_cap_seconds,
            )
        )

    # -- deterministic driving (tests, tools) ------------------------------------------------

    async def run_due(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """Claim what is due at `now` and run it, one job after another. Returns how many ran."""
        at = now or utcnow()
        claimed = await queue.claim(
            self.database, self.worker_id, now=at, limit=limit, lease_seconds=self.settings.job_lease_seconds
        )
        for job in claimed:
            await self.run_job(job, (lambda: at) if now is not None else utcnow)
        return len(claimed)

    async def drain(self, *, now: datetime | None = None, max_rounds: int = 50) -> int:
        """`run_due` until nothing is due at `now` (bounded). Returns how many jobs ran."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_due(now=now)
            if not ran:
                return total
            total += ran
        raise RuntimeError(f"jobs still due after {max_rounds} rounds")

    # -- the auditor -------------------------------------------------------------------------

    async def audit(self, *, now: datetime | None = None) -> dict[str, int]:
        """Heartbeat, stuck work, and the reachability checks of people coming on call."""
        now = now or utcnow()
        WORKER_HEARTBEAT.set_to_current_time()
        counts = await queue.stuck_counts(
            self.database, now=now, overdue_after=timedelta(seconds=self.settings.jobs_stuck_after_seconds)
        )
        JOBS_STUCK.set(counts["overdue"] + counts["lease_expired"])
        if counts["overdue"] or counts["lease_expired"]:
            log.warning("stuck work in the outbox", extra=counts)
        if self.settings.reachability_check_enabled:
            horizon = timedelta(seconds=max(60.0, 4 * self.settings.auditor_interval_seconds))
            async with self.database.session() as session:
                counts["reachability_scheduled"] = await reachability.schedule_checks(
                    session, now, self.settings.reachability_lead_seconds, horizon
                )
        async with self.database.session() as session:
            raised = await raise_due(session, now)
        counts.update({f"handover_{k}": v for k, v in raised.items()})
        return counts

    # -- the loop ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until `stop` is set."""
        settings = self.settings
        signal_ = jobs.subscribe()
        listener = None
        if not self.database.is_sqlite:
            listener = asyncio.create_task(self._listen(signal_, stop), name="lantern-worker-listen")
        running: set[asyncio.Task] = set()
        # SQLite takes one writer at a time: more jobs in flight would only hold connections
        # the API needs while they wait for the write lock.
        concurrency = (
            min(settings.worker_concurrency, SQLITE_CONCURRENCY)
            if self.database.is_sqlite
            else (settings.worker_concurrency)
        )
        last_audit = float("-inf")

        def finished(task: asyncio.Task) -> None:
            # Look for work again only if this job's end can have made some claimable that
            # nothing else announces: the loop was full (it claimed nothing meanwhile), or a
            # job was put back for later. New jobs wake the loop themselves (NOTIFY or the
            # in-process event), and the sleep already ends when the next known job is due.
            full = len(running) >= concurrency
            running.discard(task)
            if full or self._rescheduled:
                signal_.set()

        log.info("worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                WORKER_HEARTBEAT.set_to_current_time()
                if time.monotonic() - last_audit >= settings.auditor_interval_seconds:
                    last_audit = time.monotonic()
                    try:
                        await self.audit()
                    except Exception:
                        log.exception("auditor pass failed")
                free = concurrency - len(running)
                claimed: list[ClaimedJob] = []
                timeout = settings.worker_poll_seconds
                if free > 0:
                    signal_.clear()
                    self._rescheduled = False
                    due = None
                    try:
                        claimed, due = await queue.claim_or_next_due(
                            self.database,
                            self.worker_id,
                            now=utcnow(),
                            limit=free,
                            lease_seconds=settings.job_lease_seconds,
                        )
                    except Exception:
                        log.exception("claiming jobs failed")
                    for job in claimed:
                        task = asyncio.create_task(self.run_job(job), name=f"job-{job.kind}")
                        running.add(task)
                        task.add_done_callback(finished)
                    if claimed and len(claimed) == free:
                        continue  # there may be more due right now
                    timeout = _sleep_until(due, timeout)
                await _wait_any(signal_, stop, timeout)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await listener
            if running:
                _, pending = await asyncio.wait(running, timeout=settings.push_timeout_seconds + 5)
                for task in pending:  # their leases expire and another worker takes them
                    task.cancel()
            jobs.unsubscribe(signal_)
            log.info("worker %s stopped", self.worker_id)

    async def _listen(self, signal_: asyncio.Event, stop: asyncio.Event) -> None:
        """LISTEN for jobs committed by any process; reconnect when the connection drops."""
        url = make_url(self.database.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(dsn, timeout=10)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                log.warning("cannot LISTEN for jobs; polling meanwhile")
                await _wait_any(stop, stop, 5.0)
                continue
            try:
                await connection.add_listener(jobs.CHANNEL, lambda *_: signal_.set())
                signal_.set()  # catch up with anything committed while we were not listening
                while not stop.is_set() and not connection.is_closed():
                    await _wait_any(stop, stop, 5.0)
            except (OSError, asyncpg.PostgresError):
                log.warning("LISTEN connection lost; reconnecting")
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=5)


def _sleep_until(due: datetime | None, poll: float) -> float:
    """Sleep until the next job is due, at most `poll` seconds."""
    if due is None:
        return poll
    return min(poll, max(0.02, (due - utcnow()).total_seconds()))


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=max(0.0, value))


async def _wait_any(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(first.wait())]
    if second is not first:
        waiters.append(asyncio.ensure_future(second.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run_due_jobs(
    database: Database, settings: Settings, *, now: datetime | None = None, channels: Channels | None = None
) -> int:
    """Run everything due at `now` until nothing is (tests, tools). Returns how many jobs ran."""
    worker = Worker(database, settings, channels=channels)
    try:
        return await worker.drain(now=now)
    finally:
        await worker.aclose()


async def run_loop(database: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Run the worker loop until `stop` is set."""
    worker = Worker(database, settings)
    try:
        await worker.run(stop)
    finally:
        await worker.aclose()


def in_process_background(settings: Settings):
    """An app lifespan hook that runs the worker loop inside the API process."""

    @asynccontextmanager
    async def background(app):
        stop = asyncio.Event()
        task = asyncio.create_task(run_loop(app.state.database, settings, stop), name="lantern-worker")
        try:
            yield
        finally:
            stop.set()
            await task

    return background


async def run_forever(settings: Settings) -> None:
    database = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_loop(database, settings, stop)
    finally:
        await database.dispose()
