"""The worker's claims and its paging jobs are urgent units of work (on SQLite they wait for the
one connection ahead of queued requests, see api.db.urgent); the retention purge is not."""

from __future__ import annotations

import asyncio
import uuid

from api import retention
from api.db import is_urgent
from api.paging import escalation
from api.paging.deliveries import DONE
from tests.paging_helpers import bounded
from workers import handlers, queue
from workers.queue import ClaimedJob


@bounded()
async def test_paging_jobs_run_urgent_and_the_purge_does_not(worker, monkeypatch):
    seen: dict[str, bool] = {}

    async def handler(ctx, job):
        seen[job.kind] = is_urgent()
        return DONE

    async def complete(*args, **kwargs):
        return True

    kinds = [escalation.LEVEL_JOB, escalation.DELIVERY_JOB, retention.PURGE_JOB]
    for kind in kinds:
        monkeypatch.setitem(handlers.HANDLERS, kind, handler)
    monkeypatch.setattr(queue, "complete", complete)
    for kind in kinds:
        assert await worker.run_job(ClaimedJob(uuid.uuid4(), kind, {}, 1, 5)) == "done"
    assert seen == {escalation.LEVEL_JOB: True, escalation.DELIVERY_JOB: True, retention.PURGE_JOB: False}
    assert not is_urgent()


@bounded()
async def test_the_loop_claims_urgently(worker, monkeypatch):
    stop = asyncio.Event()
    seen: list[bool] = []

    async def claim_or_next_due(*args, **kwargs):
        seen.append(is_urgent())
        stop.set()
        return [], None

    monkeypatch.setattr(queue, "claim_or_next_due", claim_or_next_due)
    await worker.run(stop)
    assert seen == [True]
