"""A job committed for later (a level's acknowledgement timer) tells the workers when it falls
due instead of waking them: no claim before then, the claim on time, and a stream of such hints
never holds off a claim that is due."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta

import pytest

from api.db import utcnow
from api.jobs import service as jobs_service
from api.jobs.service import enqueue
from tests.paging_helpers import bounded, paging_settings
from workers import handlers, queue
from workers.runtime import Worker


@pytest.fixture
def settings(settings, push_service):
    return paging_settings(settings, push_service)


class _Claims:
    """Counts the loop's claiming transactions."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        real = queue.claim_or_next_due

        async def claim_or_next_due(*args, **kwargs):
            self.count += 1
            return await real(*args, **kwargs)

        monkeypatch.setattr("workers.runtime.queue.claim_or_next_due", claim_or_next_due)


def _recording_handler(ran: list, done: asyncio.Event):
    async def record(context, job):
        ran.append((job.id, time.monotonic()))
        done.set()
        return handlers.DONE

    return record


async def _enqueue(db, kind: str, run_at):
    async with db.session() as session:
        return await enqueue(session, kind, {"n": 1}, run_at=run_at)


@bounded()
async def test_a_job_for_later_runs_when_due_without_a_claim_before_then(db, settings, monkeypatch):
    settings.worker_poll_seconds = 30  # only the hint can bring the worker back in time
    settings.auditor_interval_seconds = 3600
    ran: list = []
    done = asyncio.Event()
    monkeypatch.setitem(handlers.HANDLERS, "test.later", _recording_handler(ran, done))
    claims = _Claims(monkeypatch)
    loop_worker = Worker(db, settings, worker_id="hinted-worker")
    stop = asyncio.Event()
    task = asyncio.create_task(loop_worker.run(stop))
    try:
        # The first pass, and on PostgreSQL the LISTEN connection's catch-up wake-up: then asleep.
        await asyncio.sleep(1.5)
        before = claims.count
        enqueued = time.monotonic()
        job_id = await _enqueue(db, "test.later", utcnow() + timedelta(seconds=1.0))
        await asyncio.sleep(0.5)
        assert claims.count == before, "a job due in a second woke the worker to claim nothing"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 5)
        [(ran_id, ran_at)] = ran
        assert ran_id == job_id
        assert 0.9 <= ran_at - enqueued < 2.5, f"ran {ran_at - enqueued:.2f} s after it was enqueued"
    finally:
        stop.set()
        await task
        await loop_worker.aclose()


@bounded()
async def test_hints_every_few_milliseconds_do_not_hold_off_a_due_job(db, settings, monkeypatch):
    settings.worker_poll_seconds = 30
    settings.auditor_interval_seconds = 3600
    ran: list = []
    done = asyncio.Event()
    monkeypatch.setitem(handlers.HANDLERS, "test.later", _recording_handler(ran, done))
    loop_worker = Worker(db, settings, worker_id="hinted-worker")
    stop = asyncio.Event()
    task = asyncio.create_task(loop_worker.run(stop))
    hinting = True

    async def hint_forever() -> None:  # another worker committing levels, each with its timer
        while hinting:
            jobs_service.hint_local(utcnow() + timedelta(seconds=60))
            await asyncio.sleep(0.003)

    hinter = asyncio.create_task(hint_forever())
    try:
        await asyncio.sleep(0.3)
        enqueued = time.monotonic()
        await _enqueue(db, "test.later", utcnow() + timedelta(seconds=0.5))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 5)
        assert ran, "the due job was never claimed while hints kept arriving"
        assert ran[0][1] - enqueued < 2.0
    finally:
        hinting = False
        await hinter
        stop.set()
        await task
        await loop_worker.aclose()
