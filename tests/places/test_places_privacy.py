"""What is known of a person of concern never leaves the case record: not in a push payload
(the real Web Push code, decrypted by the fake push service), not in a live event, not in a
log line, not in the jobs table, not in a URL Lantern answers with."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import select

from api.incidents.models import Incident
from api.jobs.models import Job
from tests.incident_payloads import report
from tests.paging_helpers import bounded, make_crew

pytestmark = pytest.mark.fake_push


MARK = "QZVPOC"
# The phone's last digits, not as part of a longer run of hex (request ids and UUIDs are hex).
DIGITS = re.compile(r"(?<![0-9a-fA-F])4170(?![0-9a-fA-F])")


@bounded(60)
async def test_no_person_of_concern_detail_in_pushes_jobs_or_logs(
    client,
    db,
    world,
    make_user,
    push,
    worker,
    captured_logs,
):
    crew = await make_crew(client, db, world, make_user, push)
    jordan = {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"}
    first = await client.post(
        "/api/v1/incidents", json=report(young_person=jordan), headers=crew.police.headers
    )
    assert first.status_code == 201
    concern = await client.post(
        "/api/v1/persons-of-concern",
        json={
            "nickname": f"{MARK}nick",
            "description": f"{MARK}description",
            "vehicle": f"{MARK}vehicle",
            "phone_last_digits": "4170",
        },
        headers=crew.primary.headers,
    )
    assert concern.status_code == 201, concern.text
    assert MARK not in concern.headers.get("location", "")
    linked = await client.post(
        f"/api/v1/incidents/{first.json()['id']}/people",
        json={"person_of_concern_id": concern.json()["id"], "role": f"{MARK}role"},
        headers=crew.primary.headers,
    )
    assert linked.status_code == 201, linked.text
    # A bad request quoting the detail back is refused without logging it.
    bad = await client.post(
        "/api/v1/persons-of-concern",
        json={"nickname": f"{MARK}nick", "phone_last_digits": "07700900417"},
        headers=crew.primary.headers,
    )
    assert bad.status_code == 422
    # The child is reported again and paged: the pushes carry the incident, never who was there.
    second = await client.post(
        "/api/v1/incidents", json=report(young_person=jordan), headers=crew.police.headers
    )
    assert second.status_code == 201
    network = await client.get(
        f"/api/v1/young-people/{await _subject(db, second.json()['id'])}/network",
        headers=crew.primary.headers,
    )
    assert network.status_code == 200 and MARK in network.text  # the reader sees it, in the body
    await worker.drain()

    pushes = push.received
    assert pushes, "the pages were pushed"
    for received in pushes:
        assert MARK not in json.dumps(received.payload)
        assert not DIGITS.search(json.dumps(received.payload))
    async with db.session() as session:
        payloads = [json.dumps(j.payload) for j in (await session.execute(select(Job))).scalars()]
    assert payloads and not any(MARK in p for p in payloads)
    logs = captured_logs.getvalue()
    assert logs and MARK not in logs and not DIGITS.search(logs)


async def _subject(db, incident_id: str) -> uuid.UUID:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).young_person_id
