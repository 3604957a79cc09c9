"""A page costs the worker three transactions: claim the level, start it (its deliveries written
and prepared there), record each delivery's outcome with the job's end. The delivery reads
nothing of its own before the network call; a delivery claimed from the table (a retry, a
takeover) still re-reads what it sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.incident_payloads import report
from tests.paging_helpers import Commits, bounded, deliveries, received_by

pytestmark = [pytest.mark.fake_push, pytest.mark.crew(primary_phones=1)]


@bounded()
async def test_a_page_to_one_phone_takes_three_worker_transactions(client, db, crew, push, worker):
    response = await client.post("/api/v1/incidents", json=report(), headers=crew.police.headers)
    assert response.status_code == 201, response.text
    commits = Commits(db)
    try:
        ran = await worker.run_due()
    finally:
        commits.close()
    assert ran == 1  # the level job; its delivery ran right after its commit
    assert len(received_by(push, crew.phones["primary"])) == 1
    assert [(d.channel, d.outcome) for d in await deliveries(db)] == [("webpush", "accepted")]
    # claim the level; start it (delivery written, leased to us and prepared); record + settle
    assert commits.count == 3


@bounded()
async def test_a_retried_delivery_reads_afresh_and_sends_nothing_once_acknowledged(
    client, db, crew, push, worker
):
    push.set_default(503)  # the first attempt fails: the delivery is retried later, from the table
    response = await client.post("/api/v1/incidents", json=report(), headers=crew.police.headers)
    assert response.status_code == 201, response.text
    await worker.run_due()
    assert [d.outcome for d in await deliveries(db)] == ["retry"]
    acknowledged = await client.post(
        f"/api/v1/incidents/{response.json()['id']}/acknowledge",
        json={"action": "phoning"},
        headers=crew.primary.headers,
    )
    assert acknowledged.status_code == 200, acknowledged.text
    push.set_default(201)
    await worker.drain(now=datetime.now(UTC) + timedelta(hours=1))
    assert len(received_by(push, crew.phones["primary"])) == 0
    assert [d.outcome for d in await deliveries(db)] == ["retry"]
