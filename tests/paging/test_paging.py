"""The night's story of a page: it reaches every phone of whoever is on call, escalates when
nobody answers, stops when someone takes it, and falls back when a phone cannot be reached.

Real HTTP to a fake push service that verifies VAPID and decrypts the payload; the worker is
driven at chosen instants instead of sleeping through ack timeouts.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select

from api.auth.tokens import verify_token
from api.incidents.models import Incident, TimelineEvent
from api.jobs.models import Job
from api.paging.models import Page, PushSubscription
from api.paging.service import pages_for_incident
from api.platform.metrics import PUSH_AUTH_FAILURES
from tests import paging_helpers
from tests.fakes.push_service import Reply, generate_vapid_key_pair
from tests.incident_payloads import report
from tests.paging_helpers import (
    CONTRACT_KEYS,
    T0,
    bounded,
    deliveries,
    incident_row,
    jobs_of,
    later,
    make_crew,
    page_incident,
    page_of,
    received_by,
    set_policy,
)
from workers.channels import topic_for

pytestmark = pytest.mark.fake_push  # push, worker and crew: tests/conftest.py


async def _timeline(db, incident_id) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(
            select(TimelineEvent.action)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.at)
        )
        return list(rows.scalars())


@bounded()
async def test_a_reported_incident_reaches_every_phone_of_the_primary_with_no_personal_data(
    client,
    db,
    crew,
    push,
    worker,
    settings,
):
    response = await client.post(
        "/api/v1/incidents",
        json=report(
            young_person={"first_name": "Kayden", "last_name": "Marsh", "date_of_birth": "2011-04-02"},
            circumstances="Found with two phones near the station.",
        ),
        headers=crew.police.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["state"] == "paging"
    assert [t["slug"] for t in created["teams"]] == ["city-cce"]

    await worker.drain()

    pushes = received_by(push, crew.phones["primary"])
    assert sorted(p.subscription_id for p in pushes) == sorted(s.id for s in crew.phones["primary"])
    assert received_by(push, crew.phones["secondary"] + crew.phones["manager"]) == []
    assert push.failures == []
    page = await page_of(db, uuid.UUID(created["id"]))
    for received in pushes:
        payload = received.payload
        assert set(payload) == CONTRACT_KEYS
        assert payload["type"] == "page"
        assert payload["incident_id"] == created["id"]
        assert payload["page_id"] == str(page.id)
        assert payload["reference"] == created["reference"]
        assert payload["kind"] == "missing_return"
        assert payload["team"] == "city-cce"
        assert payload["station"] == "Euston St custody"
        assert payload["priority"] == created["priority"]
        text = str(payload).lower()
        for private in ("kayden", "marsh", "2011", "phones", "railway", "lp-2026"):
            assert private not in text
        claims = verify_token(settings, payload["ack_token"], purpose="ack")
        assert claims.user_id == crew.primary.id
        assert received.headers["Urgency"] == "high"
        assert received.headers["TTL"] == str(settings.push_ttl_seconds)
        assert received.headers["Topic"] == topic_for(uuid.UUID(created["id"]))
        assert received.headers["Content-Type"] == "application/octet-stream"
    assert [(d.channel, d.outcome) for d in await deliveries(db)] == [("webpush", "accepted")] * 2

    detail = await client.get(f"/api/v1/incidents/{created['id']}", headers=crew.primary.headers)
    assert detail.status_code == 200, detail.text
    [summary] = detail.json()["pages"]
    assert summary["state"] == "active" and len(summary["deliveries"]) == 2
    assert "Kayden" not in str(summary) and "Marsh" not in str(summary)


@bounded()
async def test_unanswered_page_escalates_to_secondary_then_managers_then_goes_uncovered(
    client,
    db,
    world,
    crew,
    push,
    worker,
):
    await set_policy(client, crew, [("primary", 60), ("secondary", 60), ("managers", 60)])
    incident = await page_incident(db, world, crew)

    await worker.drain(now=T0)
    assert len(received_by(push, crew.phones["primary"])) == 2
    assert received_by(push, crew.phones["secondary"]) == []

    await worker.drain(now=later(59))
    assert received_by(push, crew.phones["secondary"]) == []
    await worker.drain(now=later(61))
    assert len(received_by(push, crew.phones["secondary"])) == 1
    assert received_by(push, crew.phones["manager"]) == []

    await worker.drain(now=later(122))
    assert len(received_by(push, crew.phones["manager"])) == 1
    assert (await incident_row(db, incident.id)).state == "paging"

    await worker.drain(now=later(183))
    row = await incident_row(db, incident.id)
    assert (row.state, row.uncovered) == ("uncovered", True)
    assert (await page_of(db, incident.id)).state == "uncovered"
    # Managers of the team and every admin are paged about it.
    assert len(received_by(push, crew.phones["manager"])) == 2
    assert len(received_by(push, crew.phones["admin"])) == 1
    actions = await _timeline(db, incident.id)
    assert actions.count("page.escalated") == 2 and "page.uncovered" in actions

    # It stays acknowledgeable.
    taken = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "phoning"},
        headers=crew.manager.headers,
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["state"] == "acknowledged"
    # Custody staff now see that someone has it.
    status = await client.get(f"/api/v1/incidents/{incident.id}/status", headers=crew.police.headers)
    assert (status.json()["state"], status.json()["uncovered"]) == ("acknowledged", False)


@bounded()
async def test_acknowledgement_stops_escalation_and_a_late_escalation_job_does_nothing(
    client,
    db,
    world,
    crew,
    push,
    worker,
):
    await set_policy(client, crew, [("primary", 60), ("secondary", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)

    taken = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "attending", "eta_minutes": 25},
        headers=crew.primary.headers,
    )
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert body["state"] == "attending"
    assert body["acknowledged_by"] == {"id": str(crew.primary.id), "display_name": "Test worker"}
    row = await incident_row(db, incident.id)
    assert (row.acknowledged_by_id, row.acknowledged_action, row.eta_minutes) == (
        crew.primary.id,
        "attending",
        25,
    )

    await worker.drain(now=later(3600))
    assert received_by(push, crew.phones["secondary"]) == []
    [escalation] = await jobs_of(db, "page.escalate")
    assert escalation.state == "done"
    assert (await page_of(db, incident.id)).state == "acknowledged"

    again = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "phoning"},
        headers=crew.secondary.headers,
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["acknowledged_by"]["id"] == str(crew.primary.id)
    assert problem["action"] == "attending" and "Test worker" in problem["detail"]

    status = await client.get(f"/api/v1/incidents/{incident.id}/status", headers=crew.police.headers)
    if status.status_code == 200:  # the police view, when intake's routes are there
        assert status.json()["acknowledged_action"] == "attending"
        assert status.json()["eta_minutes"] == 25


@bounded()
async def test_the_ack_token_in_the_push_acknowledges_once_without_signing_in(
    client,
    db,
    world,
    crew,
    push,
    worker,
):
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)
    token = received_by(push, crew.phones["primary"])[0].payload["ack_token"]

    first = await client.post("/api/v1/acknowledgements", json={"ack_token": token, "action": "phoning"})
    assert first.status_code == 200, first.text
    assert first.json()["acknowledged_by"]["id"] == str(crew.primary.id)
    assert (await incident_row(db, incident.id)).state == "acknowledged"

    replay = await client.post("/api/v1/acknowledgements", json={"ack_token": token, "action": "attending"})
    assert replay.status_code == 409
    forged = await client.post(
        "/api/v1/acknowledgements", json={"ack_token": token[:-4] + "AAAA", "action": "phoning"}
    )
    assert forged.status_code == 401
    access_token = await client.post(
        "/api/v1/acknowledgements", json={"ack_token": crew.primary.token, "action": "phoning"}
    )
    assert access_token.status_code == 401


@bounded()
async def test_cannot_attend_escalates_to_the_next_level_at_once(client, db, world, crew, push, worker):
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)

    declined = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "cannot_attend"},
        headers=crew.primary.headers,
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["escalated"] is True and declined.json()["state"] == "paging"
    await worker.drain()
    assert len(received_by(push, crew.phones["secondary"])) == 1
    page = await page_of(db, incident.id)
    assert (page.state, page.level_index) == ("active", 1)

    with_eta = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "cannot_attend", "eta_minutes": 5},
        headers=crew.secondary.headers,
    )
    assert with_eta.status_code == 422
    assert with_eta.json()["errors"][0]["field"] == "eta_minutes"


@bounded()
async def test_nobody_on_call_at_a_level_goes_to_the_next_level_at_once(
    client,
    db,
    world,
    make_user,
    push,
    worker,
):
    crew = await make_crew(client, db, world, make_user, push, team_slug="county-cce")
    # Nobody on call at all for city-cse: primary and secondary are empty, managers are next.
    manager = await make_user("manager", teams_=["city-cse"])
    from tests.paging_helpers import register_phone

    phone = await register_phone(client, manager, push)
    crew.team = world.teams["city-cse"]
    incident = await page_incident(db, world, crew)

    await worker.drain(now=T0)
    assert len(received_by(push, [phone])) == 1
    page = await page_of(db, incident.id)
    assert page.level_index == 2
    assert (await _timeline(db, incident.id)).count("page.level_empty") == 2


@bounded()
async def test_a_gone_subscription_is_retired_and_the_fallback_channel_is_used(
    client,
    db,
    world,
    crew,
    push,
    worker,
    caplog,
):
    caplog.set_level(logging.INFO)
    gone, working = crew.phones["primary"]
    push.expire(gone)
    incident = await page_incident(db, world, crew)

    await worker.drain(now=T0)

    assert len(received_by(push, [working])) == 1
    async with db.session() as session:
        devices = {d.endpoint: d for d in (await session.execute(select(PushSubscription))).scalars()}
    assert devices[gone.endpoint].retired_at is not None
    assert devices[gone.endpoint].retired_reason == "gone"
    assert devices[working.endpoint].retired_at is None
    outcomes = [(d.channel, d.outcome, d.status_code) for d in await deliveries(db, user_id=crew.primary.id)]
    assert sorted(outcomes, key=str) == sorted(
        [("webpush", "gone", 410), ("webpush", "accepted", 201), ("log", "accepted", None)], key=str
    )
    assert "page delivered via log channel" in caplog.text
    assert str(incident.id) in caplog.text


@bounded()
async def test_a_person_without_any_device_is_reached_on_the_fallback_at_once(
    client,
    db,
    world,
    make_user,
    push,
    worker,
):
    crew = await make_crew(client, db, world, make_user, push, primary_phones=0)
    await page_incident(db, world, crew)
    await worker.drain(now=T0)
    assert [(d.channel, d.outcome) for d in await deliveries(db, user_id=crew.primary.id)] == [
        ("log", "accepted")
    ]


@bounded()
async def test_throttled_push_waits_for_retry_after(client, db, world, crew, push, worker):
    phone = crew.phones["primary"][0]
    push.script(Reply.throttle(120), subscription=phone)
    await page_incident(db, world, crew)

    await worker.drain(now=T0)
    assert received_by(push, [phone]) == []
    [throttled] = [j for j in await jobs_of(db, "delivery.send") if j.state == "pending"]
    assert abs((throttled.run_at - later(120)).total_seconds()) < 1

    await worker.drain(now=later(100))
    assert received_by(push, [phone]) == []
    await worker.drain(now=later(121))
    assert len(received_by(push, [phone])) == 1
    assert [d.channel for d in await deliveries(db, user_id=crew.primary.id)].count("log") == 0


@bounded()
async def test_server_errors_are_retried_with_backoff_then_fall_back(
    client,
    db,
    world,
    crew,
    push,
    worker,
    settings,
):
    first, second = crew.phones["primary"]
    push.script(500, 503, subscription=first)
    settings.delivery_max_attempts = 3
    push.script(500, 500, 500, subscription=second)
    await page_incident(db, world, crew)

    await worker.drain(now=T0)
    await worker.drain(now=later(10))
    await worker.drain(now=later(30))

    assert len(received_by(push, [first])) == 1
    assert received_by(push, [second]) == []
    by_device = {}
    for d in await deliveries(db, user_id=crew.primary.id):
        by_device.setdefault(d.device_id, []).append((d.channel, d.outcome, d.attempt))
    assert sorted(by_device.values()) == [
        [("log", "accepted", 1)],
        [("webpush", "retry", 1), ("webpush", "retry", 2), ("webpush", "accepted", 3)],
        [("webpush", "retry", 1), ("webpush", "retry", 2), ("webpush", "retry", 3)],
    ]


@bounded()
async def test_a_hanging_push_service_times_out_and_is_retried(
    client, db, world, crew, push, worker, settings
):
    settings.push_timeout_seconds = 0.5
    phone = crew.phones["primary"][0]
    push.script(Reply.hang(3), subscription=phone)
    await page_incident(db, world, crew)

    await worker.drain(now=T0)
    await worker.drain(now=later(10))

    attempts = [d.outcome for d in await deliveries(db, user_id=crew.primary.id) if d.channel == "webpush"]
    assert attempts.count("retry") == 1 and attempts.count("accepted") == 2
    assert len(received_by(push, [phone])) == 1


@bounded()
async def test_refused_vapid_credentials_raise_an_alarm_and_are_not_retried(
    client,
    db,
    world,
    crew,
    push,
    worker,
    caplog,
):
    caplog.set_level(logging.INFO)
    other = generate_vapid_key_pair()
    stranger = push.new_subscription(application_server_key=other.public_key)
    async with db.session() as session:
        session.add(
            PushSubscription(
                user_id=crew.primary.id,
                endpoint=stranger.endpoint,
                p256dh=stranger.p256dh,
                auth=stranger.auth,
            )
        )
    before = PUSH_AUTH_FAILURES._value.get()
    await page_incident(db, world, crew)

    await worker.drain(now=T0)
    await worker.drain(now=later(30))

    refused = [d for d in await deliveries(db, user_id=crew.primary.id) if d.outcome == "auth_failed"]
    assert [(d.status_code, d.attempt) for d in refused] == [(403, 1)]
    assert PUSH_AUTH_FAILURES._value.get() == before + 1
    assert "ALARM" in caplog.text
    assert len(received_by(push, crew.phones["primary"])) == 2


@bounded()
async def test_a_live_page_keeps_the_policy_it_started_with(client, db, world, crew, push, worker):
    await set_policy(client, crew, [("primary", 60), ("secondary", 60)])
    incident = await page_incident(db, world, crew)
    await set_policy(client, crew, [("primary", 3600)])

    await worker.drain(now=T0)
    await worker.drain(now=later(61))

    assert len(received_by(push, crew.phones["secondary"])) == 1
    assert (await page_of(db, incident.id)).policy["levels"][0]["ack_timeout_seconds"] == 60


@bounded()
async def test_a_repeated_policy_goes_round_again_before_going_uncovered(
    client,
    db,
    world,
    crew,
    push,
    worker,
):
    await set_policy(client, crew, [("primary", 30)], repeat=1)
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)
    await worker.drain(now=later(31))
    assert len(received_by(push, crew.phones["primary"])) == 4
    assert (await incident_row(db, incident.id)).state == "paging"
    await worker.drain(now=later(62))
    assert (await incident_row(db, incident.id)).state == "uncovered"


@bounded()
async def test_jobs_of_a_page_are_written_in_the_intake_transaction_or_not_at_all(db, world, crew):
    incident = await page_incident(db, world, crew)
    async with db.session() as session:
        pages = list((await session.execute(select(Page))).scalars())
        jobs = list((await session.execute(select(Job))).scalars())
    assert [p.incident_id for p in pages] == [incident.id]
    assert [(j.kind, j.payload["level"]) for j in jobs] == [("page.level", 0)]
    summary = await _summary(db, incident.id)
    assert summary[0]["policy"]["levels"][0] == {"target": "primary", "ack_timeout_seconds": 300}


async def _summary(db, incident_id):
    async with db.session() as session:
        return await pages_for_incident(session, incident_id)


@bounded()
async def test_each_team_of_an_incident_is_paged_and_acknowledges_on_its_own(
    client, db, world, make_user, crew, push, worker
):
    cse_worker = await make_user("worker", teams_=["city-cse"])
    await paging_helpers.add_rotation(db, world.teams["city-cse"], "primary", [cse_worker])
    cse_phone = await paging_helpers.register_phone(client, cse_worker, push)
    incident = await page_incident(db, world, crew, team_slugs=("city-cce", "city-cse"))

    await worker.drain(now=T0)
    assert len(received_by(push, crew.phones["primary"] + [cse_phone])) == 3

    taken = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "phoning"},
        headers=crew.primary.headers,
    )
    assert [p["state"] for p in taken.json()["pages"]] == ["acknowledged"]
    await worker.drain(now=later(301))
    # The CSE page escalates on its own (nobody at secondary, no manager: it goes uncovered).
    async with db.session() as session:
        states = {
            p.team_id: p.state
            for p in (await session.execute(select(Page).where(Page.incident_id == incident.id))).scalars()
        }
    assert states == {world.teams["city-cce"].id: "acknowledged", world.teams["city-cse"].id: "uncovered"}
    # The incident was taken by one team: it is not flagged uncovered.
    row = await incident_row(db, incident.id)
    assert (row.state, row.uncovered) == ("acknowledged", False)


@bounded()
async def test_cancelled_pages_send_and_escalate_no_more(db, world, crew, push, worker):
    from api.paging.service import cancel_pages

    incident = await page_incident(db, world, crew)
    async with db.session() as session:
        await cancel_pages(session, await session.get(Incident, incident.id), reason="withdrawn by police")
    await worker.drain(now=T0)
    await worker.drain(now=later(3600))
    assert push.received == []
    assert {j.state for j in await jobs_of(db, "page.level")} == {"done"}
    assert (await page_of(db, incident.id)).state == "cancelled"
