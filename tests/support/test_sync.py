"""A phone that was offline all night sends its outbox in one request; each record lands once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from api.incidents.models import Incident
from api.support.models import HandoverNote
from tests.factories import make_incident
from tests.support_helpers import (
    acknowledge,
    assert_problem,
    attended_incident,
    count_offers,
    offer_body,
    offer_url,
)


def offer_item(incident_id, offer_id=None, **body) -> dict:
    return {
        "type": "support_offer",
        "incident_id": str(incident_id),
        "offer_id": str(offer_id or uuid.uuid4()),
        "body": offer_body(**body),
    }


async def test_a_mixed_batch_answers_each_item_and_stores_only_the_good_ones(client, world, make_user, db):
    incident, worker, police = await attended_incident(db, world, make_user)
    elsewhere = await make_incident(db, world, police, team_slugs=("county-cse",))
    stored_id = uuid.uuid4()
    stored_body = offer_body(kind="food_drink_clothing", outcome="accepted")
    first = await client.put(offer_url(incident.id, stored_id), json=stored_body, headers=worker.headers)
    assert first.status_code == 201

    good = offer_item(incident.id, kind="safety_plan")
    duplicate = {"type": "support_offer", "incident_id": str(incident.id), "offer_id": str(stored_id)}
    duplicate["body"] = stored_body
    conflicting = {**duplicate, "body": {**stored_body, "outcome": "declined"}}
    unknown_kind = offer_item(incident.id, kind="pizza")
    bad_id = {**offer_item(incident.id), "offer_id": "not-a-uuid"}
    not_mine = offer_item(elsewhere.id)
    note_id = uuid.uuid4()
    note = {
        "type": "handover_note",
        "incident_id": str(incident.id),
        "note_id": str(note_id),
        "body": {"text": "Mum collected her at 04:00"},
    }
    unknown_type = {"type": "selfie", "incident_id": str(incident.id)}
    good_twice = dict(good)
    items = [good, duplicate, conflicting, unknown_kind, bad_id, not_mine, note, unknown_type, good_twice]

    response = await client.post("/api/v1/sync", json={"items": items}, headers=worker.headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "unchanged",
        "conflict",
        "rejected",
        "rejected",
        "rejected",
        "created",
        "rejected",
        "unchanged",
    ]
    assert results[0]["offer_id"] == good["offer_id"] and results[0]["version"] == 1
    assert results[1]["version"] == 1
    assert results[2]["current"]["outcome"] == "accepted" and results[2]["version"] == 1
    assert {"field": "body.kind", "message": results[3]["errors"][0]["message"]} == results[3]["errors"][0]
    assert results[4]["errors"][0]["field"] == "offer_id" and results[4]["offer_id"] == "not-a-uuid"
    assert results[5]["errors"][0]["field"] == "incident_id"
    assert results[6]["note_id"] == str(note_id) and results[6]["type"] == "handover_note"
    assert results[7]["errors"][0]["field"] == "type"
    assert [r["status_code"] for r in results] == [201, 200, 409, 422, 422, 404, 201, 422, 200]
    assert results[2]["detail"] and results[5]["detail"] == "No such incident."

    assert await count_offers(db) == (2, 2)
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(HandoverNote))).scalar_one() == 1
    listed = await client.get(f"/api/v1/incidents/{incident.id}/support-offers", headers=worker.headers)
    by_id = {o["id"]: o for o in listed.json()}
    assert by_id[good["offer_id"]]["captured_offline"] is True  # it waited in the phone's outbox
    assert by_id[str(stored_id)]["captured_offline"] is False


async def test_the_whole_batch_sent_again_changes_nothing(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    items = [offer_item(incident.id, kind=k) for k in ("safe_transport", "trusted_adult_call", "safety_plan")]
    first = await client.post("/api/v1/sync", json={"items": items}, headers=worker.headers)
    assert [r["status"] for r in first.json()["results"]] == ["created"] * 3
    again = await client.post("/api/v1/sync", json={"items": items}, headers=worker.headers)
    assert [r["status"] for r in again.json()["results"]] == ["unchanged"] * 3
    assert await count_offers(db) == (3, 3)
    async with db.session() as session:
        assert (await session.get(Incident, incident.id)).state == "support_recorded"


async def test_phones_syncing_at_once_in_any_order_all_land(client, world, make_user, db):
    first, worker, police = await attended_incident(db, world, make_user)
    second = await make_incident(db, world, police, team_slugs=("city-cce",))
    await acknowledge(db, second, worker)
    batches = []
    for n in range(10):
        pair = [offer_item(first.id), offer_item(second.id)]
        batches.append(pair if n % 2 else pair[::-1])
    responses = await asyncio.gather(
        *(client.post("/api/v1/sync", json={"items": b}, headers=worker.headers) for b in batches)
    )
    assert [r.status_code for r in responses] == [200] * 10, [
        r.text for r in responses if r.status_code != 200
    ]
    assert all(r["status"] == "created" for resp in responses for r in resp.json()["results"])
    assert await count_offers(db) == (20, 20)


async def test_updates_through_sync_use_if_match(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    item = offer_item(incident.id, outcome="declined")
    await client.post("/api/v1/sync", json={"items": [item]}, headers=worker.headers)
    changed = {**item, "if_match": 1, "body": {**item["body"], "outcome": "accepted"}}
    stale = {**item, "if_match": 1, "body": {**item["body"], "outcome": "not_possible"}}
    response = await client.post("/api/v1/sync", json={"items": [changed, stale]}, headers=worker.headers)
    results = response.json()["results"]
    assert results[0]["status"] == "updated" and results[0]["version"] == 2
    assert results[1]["status"] == "conflict" and results[1]["current"]["outcome"] == "accepted"
    nothing = {**offer_item(incident.id), "if_match": 1}
    response = await client.post("/api/v1/sync", json={"items": [nothing]}, headers=worker.headers)
    assert response.json()["results"][0]["status"] == "rejected"
    assert response.json()["results"][0]["errors"][0]["field"] == "if_match"
    assert await count_offers(db) == (1, 2)


async def test_a_batch_over_the_limit_is_refused_whole(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    items = [offer_item(incident.id) for _ in range(101)]
    response = await client.post("/api/v1/sync", json={"items": items}, headers=worker.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "items"
    assert await count_offers(db) == (0, 0)


async def test_a_malformed_batch_is_refused_whole(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    for body in ({"items": "all of them"}, {"items": [offer_item(incident.id)], "device": "x"}, {}):
        response = await client.post("/api/v1/sync", json=body, headers=worker.headers)
        assert_problem(response, 422)
    assert await count_offers(db) == (0, 0)


async def test_only_writers_may_sync(client, world, make_user, db):
    incident, _, police = await attended_incident(db, world, make_user)
    for person in (police, await make_user("day_team", teams_=("city-cce",))):
        response = await client.post(
            "/api/v1/sync", json={"items": [offer_item(incident.id)]}, headers=person.headers
        )
        assert_problem(response, 403)
    assert await count_offers(db) == (0, 0)
