"""Running the worker loop: in-process beside the API (embedded default) or alone.

The loop claims due jobs (see `workers.queue`), runs up to `worker_concurrency` of them at once,
and sleeps until the next job is due, a wake-up arrives, or `worker_poll_seconds` pass:

- wake-ups: `LISTEN lantern_jobs` on a dedicated asyncpg connection (PostgreSQL: jobs committed
  by any process), and the in-process event of `api.jobs.service` (jobs committed here);
- failures: capped exponential backoff with jitter; `Retry-After` when a channel gives one;
- an auditor pass every `auditor_interval_seconds`, in its own task: heartbeat and stuck-jobs
  metrics, the reachability checks of people coming on call, the morning handover raises, and
  the retention purge job (once per `retention_interval_seconds`, see `api.retention`).

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
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api import retention
from api.db import Database, urgent, utcnow
from api.handover.service import raise_due
from api.jobs import service as jobs
from api.paging import escalation, reachability
from api.platform.metrics import JOBS_RUN, JOBS_STUCK, WORKER_HEARTBEAT
from api.platform.startup import freeze_after_start_up
from api.settings import Settings
from workers import queue
from workers.handlers import HANDLERS, JobContext, LeaseLost, start_level_in_claim
from workers.queue import ClaimedJob
from workers.sender import Channels

log = logging.getLogger("lantern.worker")

MAX_RETRY_AFTER_SECONDS = 3600.0
SQLITE_CONCURRENCY = 4
RESCHEDULED = ("retry", "error", "unsettled")
# Jobs whose transactions wait their turn for SQLite's one connection like the API's (see
# api.db.urgent); every other job, and the claims, go ahead of the queued requests: a page on
# its way to a phone never queues behind a burst of intakes.
NOT_URGENT = frozenset({retention.PURGE_JOB})


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
        # Passes of the claiming loop (a busy worker must not spin: see `run`).
        self.passes = 0
        self._retention_period: int | None = None
        # The earliest due time of jobs committed for later since the loop last looked.
        self._hinted: datetime | None = None

    async def aclose(self) -> None:
        if self._own_channels:
            await self.channels.aclose()

    # -- one job ---------------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob, clock: Callable[[], datetime] = utcnow) -> str:
        """Run one claimed job and settle it: done, retried later, or failed. Returns which."""
        with urgent(job.kind not in NOT_URGENT):
            return await self._run_job(job, clock)

    async def _run_job(self, job: ClaimedJob, clock: Callable[[], datetime]) -> str:
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

    async def start_in_claim(self, session: AsyncSession, claimed: list[ClaimedJob]) -> list[ClaimedJob]:
        """Inside the claim's transaction: start each claimed page level there (see
        handlers.start_level_in_claim); the other jobs run as usual."""
        started = []
        for job in claimed:
            if job.kind == escalation.LEVEL_JOB and job.attempts <= job.max_attempts:
                job = await start_level_in_claim(self._context(job, utcnow), session, job)
            started.append(job)
        return started

    def _context(self, job: ClaimedJob, clock: Callable[[], datetime]) -> JobContext:
        async def run_now(jobs: list[ClaimedJob]) -> None:
            await asyncio.gather(*(self.run_job(claimed, clock) for claimed in jobs))

        return JobContext(
            self.database,
            self.settings,
            self.channels,
            clock,
            job,
            self.worker_id,
            lambda: self._backoff(job),
            run_now,
        )

    async def _run_handler(self, handler, job: ClaimedJob, clock: Callable[[], datetime]) -> str:
        context = self._context(job, clock)
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

    async def schedule_retention(self, *, now: datetime | None = None) -> bool:
        """Enqueue the retention purge once per `retention_interval_seconds` (one job across all
        workers: see api.retention.schedule). True when this call enqueued it."""
        if not self.settings.retention_enabled:
            return False
        now = now or utcnow()
        period = retention.period_of(now, self.settings.retention_interval_seconds)
        if period == self._retention_period:
            return False
        async with self.database.session() as session:
            enqueued = await retention.schedule(session, now, self.settings.retention_interval_seconds)
        self._retention_period = period
        return enqueued

    # -- the loop ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until `stop` is set.

        One pass claims what is due into the free slots, then waits. What ends the wait depends
        on whether a slot is free:
        - a slot free: a wake-up (jobs committed here or, on PostgreSQL, anywhere), the next
          known job falling due, or the poll interval;
        - every slot busy: only a slot freeing (or the poll interval). Wake-ups that arrive
          meanwhile stay set and are honoured by the claim that follows; they cannot end the
          wait, since nothing could be claimed (the loop used to spin on them: finding 13).
        The auditor runs in its own task, so a slow pass never delays a claim.
        """
        settings = self.settings
        wake = jobs.subscribe()
        # A job committed for later (here or, on PostgreSQL, anywhere) only shortens the sleep.
        hint = asyncio.Event()

        def due_later(run_at: datetime) -> None:
            if self._hinted is None or run_at < self._hinted:
                self._hinted = run_at
            hint.set()

        jobs.subscribe_due(due_later)
        slot_freed = asyncio.Event()
        listener = None
        if not self.database.is_sqlite:
            listener = asyncio.create_task(self._listen(wake, due_later, stop), name="lantern-worker-listen")
        auditor = asyncio.create_task(self._audit_loop(stop), name="lantern-worker-auditor")
        running: set[asyncio.Task] = set()
        # SQLite takes one writer at a time: more jobs in flight would only hold connections
        # the API needs while they wait for the write lock.
        concurrency = (
            min(settings.worker_concurrency, SQLITE_CONCURRENCY)
            if self.database.is_sqlite
            else (settings.worker_concurrency)
        )

        def finished(task: asyncio.Task) -> None:
            running.discard(task)
            slot_freed.set()
            # A job put back for later changes when the next one is due: look again. New jobs
            # wake the loop themselves (NOTIFY or the in-process event).
            if self._rescheduled:
                wake.set()

        log.info("worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                self.passes += 1
                WORKER_HEARTBEAT.set_to_current_time()
                free = concurrency - len(running)
                if free <= 0:
                    slot_freed.clear()
                    await _wait_any((slot_freed, stop), settings.worker_poll_seconds)
                    continue
                wake.clear()
                self._rescheduled = False
                claimed: list[ClaimedJob] = []
                due = None
                try:
                    with urgent():
                        claimed, due = await queue.claim_or_next_due(
                            self.database,
                            self.worker_id,
                            now=utcnow(),
                            limit=free,
                            lease_seconds=settings.job_lease_seconds,
                            start=self.start_in_claim,
                        )
                except Exception:
                    log.exception("claiming jobs failed")
                for job in claimed:
                    task = asyncio.create_task(self.run_job(job), name=f"job-{job.kind}")
                    running.add(task)
                    task.add_done_callback(finished)
                if claimed and len(claimed) == free:
                    continue  # there may be more due right now (the next pass waits for a slot)
                await self._wait_for_work(wake, hint, stop, due)
        finally:
            for helper in (listener, auditor):
                if helper is not None:
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await helper
            if running:
                _, pending = await asyncio.wait(running, timeout=settings.push_timeout_seconds + 5)
                for task in pending:  # their leases expire and another worker takes them
                    task.cancel()
            jobs.unsubscribe(wake)
            jobs.unsubscribe_due(due_later)
            log.info("worker %s stopped", self.worker_id)

    async def _wait_for_work(
        self, wake: asyncio.Event, hint: asyncio.Event, stop: asyncio.Event, due: datetime | None
    ) -> None:
        """Sleep until a wake-up, the next job falling due (`due`, or sooner when a job committed
        meanwhile is due sooner: `hint`), or the poll interval. A hint only shortens the sleep:
        nothing is claimed for a job that is not due yet."""
        deadline = time.monotonic() + self.settings.worker_poll_seconds
        while True:
            hint.clear()
            if self._hinted is not None:
                due = self._hinted if due is None else min(due, self._hinted)
                self._hinted = None
            if due is not None and due <= utcnow():
                # The time came: claim after `_sleep_until`'s floor (a due job another worker
                # holds must not make this loop spin), whatever hints arrive meanwhile.
                await _wait_any((wake, stop), _sleep_until(due, self.settings.worker_poll_seconds))
                return
            seconds = min(deadline - time.monotonic(), _sleep_until(due, self.settings.worker_poll_seconds))
            if seconds <= 0:
                return
            await _wait_any((wake, stop, hint), seconds)
            if wake.is_set() or stop.is_set() or not hint.is_set():
                return  # woken, stopping, or the time came

    async def _audit_loop(self, stop: asyncio.Event) -> None:
        """The auditor, every `auditor_interval_seconds`, beside the claiming loop (never in it),
        and the retention purge scheduled once per `retention_interval_seconds` (from the second
        pass on: a worker starting up has pages to catch up with first)."""
        starting = True
        while not stop.is_set():
            try:
                await self.audit()
            except Exception:
                log.exception("auditor pass failed")
            if not starting:
                try:
                    await self.schedule_retention()
                except Exception:
                    log.exception("scheduling the retention purge failed")
            starting = False
            await _wait_any((stop,), self.settings.auditor_interval_seconds)

    async def _listen(
        self, wake: asyncio.Event, due_later: Callable[[datetime], None], stop: asyncio.Event
    ) -> None:
        """LISTEN for jobs committed by any process; reconnect when the connection drops.
        A notification with a due time (a job for later) only tells the loop when to look."""

        def notified(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            run_at = jobs.due_hint(payload)
            if run_at is None or run_at <= utcnow():
                wake.set()
            else:
                due_later(run_at)

        url = make_url(self.database.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(dsn, timeout=10)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                log.warning("cannot LISTEN for jobs; polling meanwhile")
                await _wait_any((stop,), 5.0)
                continue
            try:
                await connection.add_listener(jobs.CHANNEL, notified)
                wake.set()  # catch up with anything committed while we were not listening
                while not stop.is_set() and not connection.is_closed():
                    await _wait_any((stop,), 5.0)
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


async def _wait_any(events: tuple[asyncio.Event, ...], seconds: float) -> None:
    """Until one of `events` is set, or `seconds` pass."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
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


def ping_in_one_round_trip(database: Database) -> None:
    """PostgreSQL: check a pooled connection before use with one round trip (`;`), not three.

    SQLAlchemy's asyncpg ping wraps its `;` in a BEGIN and a ROLLBACK (for PgBouncer's
    transaction mode), three round trips at every checkout: a worker checks out a connection
    two or three times per page. A connection that died (a database restart) is still found
    and replaced before use, as before. Applied to a separate worker's own engine only."""
    if database.is_sqlite:
        return
    dialect = database.engine.sync_engine.dialect

    def do_ping(dbapi_connection: Any) -> bool:
        try:
            dbapi_connection.await_(dbapi_connection._connection.fetchrow(";"))
        except Exception as error:
            dbapi_connection._handle_exception(error)
        return True

    dialect.do_ping = do_ping  # type: ignore[method-assign]


async def open_pool(database: Database, within: float = 10.0) -> None:
    """PostgreSQL: open the pool's connections before the first claim (warming before serving).
    The pool grows lazily: a worker that met a backlog at start claimed it with two connections
    in its pool and opened the rest while its first pages waited (that first claim took 1.1 s on
    a loaded machine; see the README, Performance: the tail). A connection that fails here is
    only logged: the pool opens it again when it is needed."""
    if database.is_sqlite:
        return
    size = database.engine.pool.size()  # type: ignore[attr-defined]

    async def one() -> None:
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(one() for _ in range(size)), return_exceptions=True), within
        )
    except TimeoutError:
        log.warning("opening the pooled connections took over %.0f s; going on", within)
        return
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("could not open %s of %s pooled connections at start: %s", len(failed), size, failed[0])


async def run_forever(settings: Settings) -> None:
    database = Database(settings.database_url)
    ping_in_one_round_trip(database)
    await open_pool(database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    freeze_after_start_up()
    try:
        await run_loop(database, settings, stop)
    finally:
        await database.dispose()
