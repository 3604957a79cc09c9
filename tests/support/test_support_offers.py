"""Support offers recorded at the station, sent by a phone any number of times, stored once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from api.audit.models import AuditEvent
from api.auth.dependencies import Actor
from api.incidents.models import Incident, TimelineEvent
from api.paging.models import Delivery, Page
from api.support import service
from api.support.schemas import SupportOfferIn
from tests.factories import make_incident
from tests.support_helpers import (
    BST,
    acknowledge,
    assert_problem,
    attended_incident,
    count_offers,
    offer_body,
    offer_url,
)


async def test_the_catalogue_lists_every_kind_with_a_label(client, world, make_user):
    worker = await make_user("worker", teams_=("city-cce",))
    response = await client.get("/api/v1/support-offer-kinds", headers=worker.headers)
    assert response.status_code == 200
    kinds = {k["code"]: k for k in response.json()}
    assert {
        "safe_transport",
        "appropriate_adult",
        "return_home_conversation",
        "food_drink_clothing",
        "trusted_adult_call",
        "safety_plan",
        "youth_services_referral",
        "health_referral",
        "substance_misuse_referral",
        "accommodation",
        "other",
    } <= set(kinds)
    assert all(k["label"] for k in kinds.values())
    assert kinds["other"]["notes_required"] is True


async def test_first_offer_is_created_and_moves_the_incident_to_support_recorded(
    client, world, make_user, db
):
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer_id = uuid.uuid4()
    body = offer_body(offered_at="2026-11-30T02:10:00+01:00")
    response = await client.put(offer_url(incident.id, offer_id), json=body, headers=worker.headers)
    assert response.status_code == 201, response.text
    offer = response.json()
    assert offer["id"] == str(offer_id)
    assert offer["version"] == 1
    assert response.headers["etag"] == '"1"'
    # The phone's time comes back as the phone sent it (its offset kept), received time is the server's.
    assert offer["offered_at"] == "2026-11-30T02:10:00+01:00"
    assert offer["kind_label"] == "Safe transport home or to placement"
    assert offer["recorded_by"]["id"] == str(worker.id)
    assert offer["captured_offline"] is False
    assert offer["client_time_suspect"] is False
    assert datetime.fromisoformat(offer["received_at"]) <= datetime.now(UTC)
    async with db.session() as session:
        row = await session.get(Incident, incident.id)
        assert row.state == "support_recorded"
        actions = (
            (
                await session.execute(
                    select(TimelineEvent.action).where(TimelineEvent.incident_id == incident.id)
                )
            )
            .scalars()
            .all()
        )
        assert "support.offer_recorded" in actions and "state.changed" in actions
        audit_actions = (await session.execute(select(AuditEvent.action))).scalars().all()
        assert "support_offer.create" in audit_actions


async def test_replays_of_the_same_body_store_one_offer(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer_id = uuid.uuid4()
    body = offer_body()
    first = await client.put(offer_url(incident.id, offer_id), json=body, headers=worker.headers)
    assert first.status_code == 201
    for _ in range(3):
        again = await client.put(offer_url(incident.id, offer_id), json=body, headers=worker.headers)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
    # The same instant written with another offset, and notes with stray spaces, are the same record.
    same_instant = datetime.fromisoformat(body["offered_at"]).astimezone(UTC).isoformat()
    again = await client.put(
        offer_url(incident.id, offer_id),
        json={**body, "offered_at": same_instant, "notes": f"  {body['notes']} ", "captured_offline": True},
        headers=worker.headers,
    )
    assert again.status_code == 200
    assert await count_offers(db, offer_id) == (1, 1)
    async with db.session() as session:
        moves = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.action == "state.changed"
                )
            )
        ).all()
    assert len(moves) == 1


async def test_twenty_concurrent_identical_puts_store_exactly_one_offer(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer_id = uuid.uuid4()
    body = offer_body()
    responses = await asyncio.gather(
        *(client.put(offer_url(incident.id, offer_id), json=body, headers=worker.headers) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["version"] for r in responses}) == 1
    assert await count_offers(db, offer_id) == (1, 1)


async def test_twenty_first_offers_at_once_all_land_and_move_the_incident_once(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    responses = await asyncio.gather(
        *(
            client.put(offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=worker.headers)
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ]
    assert await count_offers(db) == (20, 20)
    async with db.session() as session:
        moves = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.action == "state.changed"
                )
            )
        ).all()
    assert len(moves) == 1


async def test_a_replay_racing_the_first_insert_reads_the_winner_and_answers_unchanged(
    world, make_user, db, settings
):
    if settings.is_sqlite:
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the race cannot happen there")
    incident, worker, _ = await attended_incident(db, world, make_user)
    actor = Actor(
        user=worker.user, roles=frozenset({"worker"}), team_ids=frozenset({world.teams["city-cce"].id})
    )
    offer_id = uuid.uuid4()
    body = SupportOfferIn.model_validate(offer_body())

    async def put(session):
        return await service.put_support_offer(
            session, actor, incident_id=incident.id, offer_id=offer_id, body=body, if_match=None
        )

    async def second_phone():
        async with db.session() as session:
            return await put(session)

    async with db.sessionmaker() as first:
        assert (await put(first)).status == "created"  # inserted, not yet committed
        racer = asyncio.create_task(second_phone())
        async with db.engine.connect() as probe:
            for _ in range(200):  # until the racer waits on our uncommitted primary key
                waiting = (
                    await probe.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
                ).scalar()
                if waiting:
                    break
                await asyncio.sleep(0.01)
            assert waiting, "the second insert never waited on the first"
        await first.commit()
    outcome = await asyncio.wait_for(racer, timeout=10)
    assert outcome.status == "unchanged"
    assert await count_offers(db, offer_id) == (1, 1)


async def test_a_different_body_conflicts_and_shows_the_stored_version(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer_id = uuid.uuid4()
    body = offer_body(outcome="accepted")
    await client.put(offer_url(incident.id, offer_id), json=body, headers=worker.headers)
    response = await client.put(
        offer_url(incident.id, offer_id), json={**body, "outcome": "declined"}, headers=worker.headers
    )
    problem = assert_problem(response, 409)
    assert problem["version"] == 1
    assert problem["current"]["outcome"] == "accepted"
    assert problem["current"]["id"] == str(offer_id)
    assert await count_offers(db, offer_id) == (1, 1)


async def test_if_match_updates_bumps_the_version_and_keeps_every_version(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer_id = uuid.uuid4()
    url = offer_url(incident.id, offer_id)
    body = offer_body(outcome="declined", notes=None)
    await client.put(url, json=body, headers=worker.headers)
    changed = {**body, "outcome": "accepted", "notes": "Changed her mind after food"}
    updated = await client.put(url, json=changed, headers={**worker.headers, "If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.headers["etag"] == '"2"'
    # The same update replayed (the phone did not see the answer) is harmless.
    replay = await client.put(url, json=changed, headers={**worker.headers, "If-Match": '"1"'})
    assert replay.status_code == 200 and replay.json()["version"] == 2
    # A stale If-Match with yet another body is refused with the current version.
    stale = await client.put(
        url, json={**body, "outcome": "not_possible"}, headers={**worker.headers, "If-Match": "1"}
    )
    problem = assert_problem(stale, 412)
    assert problem["version"] == 2 and problem["current"]["outcome"] == "accepted"
    assert await count_offers(db, offer_id) == (1, 2)

    history = await client.get(url, headers=worker.headers)
    assert history.status_code == 200
    versions = history.json()["versions"]
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "declined"), (2, "accepted")]
    async with db.session() as session:
        recorded = (
            (
                await session.execute(
                    select(TimelineEvent.detail).where(
                        TimelineEvent.incident_id == incident.id,
                        TimelineEvent.action == "support.offer_recorded",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(d["version"] for d in recorded) == [1, 2]
    assert all("notes" not in d for d in recorded)  # free text stays out of the timeline


async def test_if_match_for_nothing_stored_is_412(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers={**worker.headers, "If-Match": '"1"'}
    )
    problem = assert_problem(response, 412)
    assert problem["errors"][0]["field"] == "If-Match"
    assert await count_offers(db) == (0, 0)


async def test_a_phone_clock_far_ahead_is_flagged_not_trusted(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    ahead = (datetime.now(BST) + timedelta(hours=2)).isoformat()
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(offered_at=ahead), headers=worker.headers
    )
    assert response.status_code == 201
    assert response.json()["client_time_suspect"] is True
    slightly = (datetime.now(BST) + timedelta(minutes=1)).isoformat()
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(offered_at=slightly), headers=worker.headers
    )
    assert response.json()["client_time_suspect"] is False


async def test_offers_list_for_the_incident_detail(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    early, late = uuid.uuid4(), uuid.uuid4()
    await client.put(
        offer_url(incident.id, late),
        json=offer_body(offered_at="2026-11-30T03:00:00+00:00", kind="safety_plan"),
        headers=worker.headers,
    )
    await client.put(
        offer_url(incident.id, early),
        json=offer_body(offered_at="2026-11-30T02:00:00+00:00", kind="other", notes="Phone charger"),
        headers=worker.headers,
    )
    async with db.session() as session:
        # The service returns read models; the assertions read them as the API sends them.
        offers = [o.model_dump(mode="json") for o in await service.offers_for_incident(session, incident.id)]
    assert [o["id"] for o in offers] == [str(early), str(late)]
    assert offers[0]["notes"] == "Phone charger"
    day_team = await make_user("day_team", teams_=("city-cce",))
    listed = await client.get(f"/api/v1/incidents/{incident.id}/support-offers", headers=day_team.headers)
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()] == [str(early), str(late)]
    outsider = await make_user("worker", teams_=("county-cse",))
    hidden = await client.get(f"/api/v1/incidents/{incident.id}/support-offers", headers=outsider.headers)
    assert_problem(hidden, 404)


# --- who may write --------------------------------------------------------------------------


async def test_managers_of_the_team_may_record(client, world, make_user, db):
    incident, _, _ = await attended_incident(db, world, make_user)
    manager = await make_user("manager", teams_=("city-cce",))
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=manager.headers
    )
    assert response.status_code == 201


async def test_a_worker_of_the_team_who_was_not_paged_may_not_record(client, world, make_user, db):
    incident, _, _ = await attended_incident(db, world, make_user)
    colleague = await make_user("worker", teams_=("city-cce",))
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=colleague.headers
    )
    problem = assert_problem(response, 403)
    assert problem["errors"][0]["field"] == "incident_id"
    assert await count_offers(db) == (0, 0)


async def test_a_worker_paged_for_the_incident_may_record(client, world, make_user, db):
    police = await make_user("police", station="euston-street")
    incident = await make_incident(db, world, police, team_slugs=("city-cce",), state="paging")
    paged = await make_user("worker", teams_=("city-cce",))
    async with db.session() as session:
        page = Page(incident_id=incident.id, team_id=world.teams["city-cce"].id)
        session.add(page)
        await session.flush()
        session.add(Delivery(page_id=page.id, user_id=paged.id, channel="webpush", outcome="accepted"))
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=paged.headers
    )
    assert response.status_code == 201, response.text


async def test_outsiders_get_404_and_other_roles_403(client, world, make_user, db):
    incident, _, police = await attended_incident(db, world, make_user)
    other_team = await make_user("worker", teams_=("county-cce",))
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=other_team.headers
    )
    assert_problem(response, 404)
    for person in (police, await make_user("day_team", teams_=("city-cce",)), await make_user("admin")):
        response = await client.put(
            offer_url(incident.id, uuid.uuid4()), json=offer_body(), headers=person.headers
        )
        assert_problem(response, 403)
    response = await client.put(
        offer_url(uuid.uuid4(), uuid.uuid4()), json=offer_body(), headers=other_team.headers
    )
    assert_problem(response, 404)
    assert await count_offers(db) == (0, 0)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "pizza"}, "kind"),
        ({"outcome": "maybe"}, "outcome"),
        ({"offered_at": "2026-11-30T02:00:00"}, "offered_at"),
        ({"offered_at": "last night"}, "offered_at"),
        ({"kind": "other", "notes": None}, "notes"),
        ({"kind": "other", "notes": "   "}, "notes"),
        ({"notes": "x" * 4001}, "notes"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_bodies_name_the_field_and_store_nothing(client, world, make_user, db, change, field):
    incident, worker, _ = await attended_incident(db, world, make_user)
    body = {**offer_body(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.put(offer_url(incident.id, uuid.uuid4()), json=body, headers=worker.headers)
    problem = assert_problem(response, 422)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert await count_offers(db) == (0, 0)


async def test_an_offer_id_that_is_not_a_uuid_is_422(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    response = await client.put(offer_url(incident.id, "offer-1"), json=offer_body(), headers=worker.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "offer_id"
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()),
        json=offer_body(),
        headers={**worker.headers, "If-Match": "soon"},
    )
    assert assert_problem(response, 422)["errors"][0]["field"] == "If-Match"
    assert await count_offers(db) == (0, 0)


async def test_an_offer_id_already_used_on_another_incident_conflicts(client, world, make_user, db):
    incident, worker, police = await attended_incident(db, world, make_user)
    second = await make_incident(db, world, police, team_slugs=("city-cce",))
    await acknowledge(db, second, worker)
    offer_id = uuid.uuid4()
    await client.put(offer_url(incident.id, offer_id), json=offer_body(), headers=worker.headers)
    response = await client.put(offer_url(second.id, offer_id), json=offer_body(), headers=worker.headers)
    problem = assert_problem(response, 409)
    assert "current" not in problem
    assert problem["errors"][0]["field"] == "offer_id"


# --- handover notes -------------------------------------------------------------------------


async def test_handover_notes_are_stored_once_with_versions(client, world, make_user, db):
    incident, worker, _ = await attended_incident(db, world, make_user)
    note_id = uuid.uuid4()
    url = f"/api/v1/incidents/{incident.id}/handover-note/{note_id}"
    first = await client.put(url, json={"text": "Placement aware; RHI to offer"}, headers=worker.headers)
    assert first.status_code == 201, first.text
    again = await client.put(url, json={"text": "Placement aware; RHI to offer"}, headers=worker.headers)
    assert again.status_code == 200
    conflict = await client.put(url, json={"text": "Something else"}, headers=worker.headers)
    assert assert_problem(conflict, 409)["current"]["text"] == "Placement aware; RHI to offer"
    updated = await client.put(
        url, json={"text": "Something else"}, headers={**worker.headers, "If-Match": "1"}
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    bad = await client.put(url, json={"text": ""}, headers=worker.headers)
    assert assert_problem(bad, 422)["errors"][0]["field"] == "text"
    async with db.session() as session:
        notes = [n.model_dump(mode="json") for n in await service.notes_for_incident(session, incident.id)]
        state = (await session.get(Incident, incident.id)).state
    assert [(n["id"], n["version"], n["text"]) for n in notes] == [(str(note_id), 2, "Something else")]
    assert state == "acknowledged"  # a note alone does not mean support was recorded
    history = await client.get(url, headers=worker.headers)
    assert [v["text"] for v in history.json()["versions"]] == [
        "Placement aware; RHI to offer",
        "Something else",
    ]
    listed = await client.get(f"/api/v1/incidents/{incident.id}/handover-notes", headers=worker.headers)
    assert [n["id"] for n in listed.json()] == [str(note_id)]
