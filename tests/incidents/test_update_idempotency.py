"""PATCH /api/v1/incidents/{id} with an Idempotency-Key: the PWA's outbox can replay safely.

A replay of a change that went through gets the first answer (not a 412 for the version it moved
on), once; the key with another change is refused; a failed request does not use its key up.
Real HTTP through the app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from api.incidents.models import Incident, IncidentIndicator, TimelineEvent
from tests.incident_payloads import report
from tests.platform.test_unit_of_work import failing_commits


async def _setup(client, db, police, make_user):
    response = await client.post(
        "/api/v1/incidents",
        json=report(indicators=[{"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"}]),
        headers=police.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    worker = await make_user("worker", teams_=[created["teams"][0]["slug"]])
    async with db.session() as session:
        version = (await session.get(Incident, uuid.UUID(created["id"]))).version
    return created, worker, version


def _patch(client, person, incident_id, body, version, key):
    headers = {**person.headers, "If-Match": f'"{version}"', "Idempotency-Key": key}
    return client.patch(f"/api/v1/incidents/{incident_id}", json=body, headers=headers)


async def _disclosures(db, incident_id: str) -> tuple[int, int, int]:
    iid = uuid.UUID(incident_id)
    async with db.session() as session:
        events = (
            await session.execute(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.incident_id == iid, TimelineEvent.action == "indicators.disclosed")
            )
        ).scalar_one()
        indicators = (
            await session.execute(
                select(func.count())
                .select_from(IncidentIndicator)
                .where(IncidentIndicator.incident_id == iid, IncidentIndicator.code == DISCLOSED_CODE)
            )
        ).scalar_one()
        version = (await session.get(Incident, iid)).version
    return events, indicators, version


DISCLOSED_CODE = "REL-CONTROLLING-ADULT"
DISCLOSURE = {"indicators": [{"code": DISCLOSED_CODE}]}


async def test_a_replayed_change_gets_the_first_answer_once(client, db, police, make_user):
    created, worker, v = await _setup(client, db, police, make_user)
    key = str(uuid.uuid4())
    first = await _patch(client, worker, created["id"], DISCLOSURE, v, key)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == f'"{v + 1}"' and "Idempotent-Replayed" not in first.headers

    again = await _patch(client, worker, created["id"], DISCLOSURE, v, key)
    assert again.status_code == 200, again.text  # without the key this would be a 412
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["ETag"] == f'"{v + 1}"'
    assert again.json() == first.json()
    assert await _disclosures(db, created["id"]) == (1, 1, v + 1)

    # The same stale change under a new key is a conflict, as before.
    stale = await _patch(client, worker, created["id"], DISCLOSURE, v, str(uuid.uuid4()))
    assert stale.status_code == 412
    # The key with another change (another body, or another If-Match) is refused.
    other = await _patch(
        client, worker, created["id"], {"indicators": [{"code": "ITM-MULTIPLE-PHONES"}]}, v, key
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.text
    moved = await _patch(client, worker, created["id"], DISCLOSURE, v + 1, key)
    assert moved.status_code == 422
    assert await _disclosures(db, created["id"]) == (1, 1, v + 1)


async def test_a_failed_change_does_not_use_its_key_up(client, db, police, make_user):
    created, worker, v = await _setup(client, db, police, make_user)
    key = str(uuid.uuid4())
    stale = await _patch(client, worker, created["id"], DISCLOSURE, v + 5, key)
    assert stale.status_code == 412
    with failing_commits(db) as left:
        refused = await _patch(client, worker, created["id"], DISCLOSURE, v, key)
    assert left["n"] == 0 and refused.status_code == 503, refused.text
    assert await _disclosures(db, created["id"]) == (0, 0, v)
    # The outbox sends it again with the same key once the database is back: it goes through once.
    sent = await _patch(client, worker, created["id"], DISCLOSURE, v, key)
    assert sent.status_code == 200 and "Idempotent-Replayed" not in sent.headers
    replay = await _patch(client, worker, created["id"], DISCLOSURE, v, key)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert await _disclosures(db, created["id"]) == (1, 1, v + 1)
