"""The worker loop starts a claimed page level inside the claim's own transaction (a savepoint):
a page to one phone then costs two worker transactions, claim-and-level and record-and-settle.
A level that fails there rolls back alone: the job stays claimed and its handler runs it as
usual, and the page still reaches the phone exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.db import utcnow
from api.jobs.models import Job, JobState
from api.paging import escalation
from tests.incident_payloads import report
from tests.paging_helpers import Commits, bounded, deliveries, received_by
from workers import queue

pytestmark = [pytest.mark.fake_push, pytest.mark.crew(primary_phones=1)]


async def _claim(db, worker):
    claimed, _ = await queue.claim_or_next_due(
        db, worker.worker_id, now=utcnow(), limit=4, lease_seconds=60, start=worker.start_in_claim
    )
    return claimed


async def _jobs(db, kind: str) -> list[Job]:
    async with db.session() as session:
        return list((await session.execute(select(Job).where(Job.kind == kind))).scalars())


@bounded()
async def test_a_page_to_one_phone_takes_two_transactions_in_the_loop(client, db, crew, push, worker):
    response = await client.post("/api/v1/incidents", json=report(), headers=crew.police.headers)
    assert response.status_code == 201, response.text
    commits = Commits(db)
    try:
        [job] = await _claim(db, worker)
        claimed_in = commits.count
        assert job.kind == escalation.LEVEL_JOB and job.started is not None
        assert await worker.run_job(job) == "done"
    finally:
        commits.close()
    assert len(received_by(push, crew.phones["primary"])) == 1
    assert [(d.channel, d.outcome) for d in await deliveries(db)] == [("webpush", "accepted")]
    assert (claimed_in, commits.count) == (1, 2)  # claim + level; then record + settle
    # the level ended in the claim's commit, and its delivery was written leased to us
    [level] = await _jobs(db, escalation.LEVEL_JOB)
    assert level.state == JobState.DONE
    [delivery] = await _jobs(db, escalation.DELIVERY_JOB)
    assert (delivery.state, delivery.attempts) == (JobState.DONE, 1)


@bounded()
async def test_a_level_failing_in_the_claim_rolls_back_alone_and_runs_on_its_own(
    client, db, crew, push, worker, monkeypatch
):
    response = await client.post("/api/v1/incidents", json=report(), headers=crew.police.headers)
    assert response.status_code == 201, response.text
    real = escalation.run_level_job
    calls = {"n": 0}

    async def failing_once(session, payload, now, claimant=None):
        calls["n"] += 1
        if calls["n"] == 1:
            await real(session, payload, now, claimant)  # writes the level's rows, then fails
            raise RuntimeError("injected: the level failed half-way")
        return await real(session, payload, now, claimant)

    monkeypatch.setattr(escalation, "run_level_job", failing_once)
    [job] = await _claim(db, worker)
    assert job.started is None
    [level] = await _jobs(db, escalation.LEVEL_JOB)
    assert (level.state, level.leased_by) == (JobState.RUNNING, worker.worker_id)  # still ours
    assert await _jobs(db, escalation.DELIVERY_JOB) == []  # the savepoint took the level's rows
    assert await worker.run_job(job) == "done"  # its handler runs it, in its own transaction
    assert len(received_by(push, crew.phones["primary"])) == 1
    assert [(d.channel, d.outcome) for d in await deliveries(db)] == [("webpush", "accepted")]
    [level] = await _jobs(db, escalation.LEVEL_JOB)
    assert level.state == JobState.DONE
