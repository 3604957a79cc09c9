"""Devices and escalation policies: registering phones (only on allowed push services),
testing them, and the policy a team's pages copy."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.jobs.models import Job
from api.paging.models import DeviceMove, EscalationPolicy, PushSubscription
from tests import paging_helpers
from tests.handover_helpers import rename
from tests.paging_helpers import bounded, received_by

pytestmark = pytest.mark.fake_push


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def test_public_key_needs_no_sign_in(client, settings):
    response = await client.get("/api/v1/push/public-key")
    assert response.status_code == 200
    assert response.json() == {"public_key": settings.vapid_public_key}


@bounded()
async def test_a_worker_registers_a_phone_and_the_same_endpoint_again_updates_it(
    client, world, make_user, push, db
):
    me = await make_user("worker", teams_=["city-cce"])
    subscription = push.new_subscription()
    body = {**subscription.subscription_info, "expirationTime": None, "label": "work phone"}

    created = await client.post("/api/v1/push/subscriptions", json=body, headers=me.headers)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["label"] == "work phone" and device["working"] is True
    assert device["push_service"] == push.origin
    assert subscription.endpoint not in created.text  # a capability URL is not echoed

    again = await client.post(
        "/api/v1/push/subscriptions", json={**body, "label": "new label"}, headers=me.headers
    )
    assert again.status_code == 200
    assert again.json()["id"] == device["id"] and again.json()["label"] == "new label"
    assert await _count(db, PushSubscription) == 1

    listed = await client.get("/api/v1/push/subscriptions", headers=me.headers)
    assert [d["id"] for d in listed.json()] == [device["id"]]
    other = await make_user("worker", teams_=["city-cce"])
    assert (await client.get("/api/v1/push/subscriptions", headers=other.headers)).json() == []
    assert (
        await client.delete(f"/api/v1/push/subscriptions/{device['id']}", headers=other.headers)
    ).status_code == 404

    removed = await client.delete(f"/api/v1/push/subscriptions/{device['id']}", headers=me.headers)
    assert removed.status_code == 204
    [retired] = (await client.get("/api/v1/push/subscriptions", headers=me.headers)).json()
    assert retired["retired_reason"] == "unsubscribed" and retired["working"] is False


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("https://push.evil.example/fcm/send/x", "not an allowed push service"),
        ("http://169.254.169.254/latest/meta-data", "must not be an IP address"),
        ("http://127.0.0.1:9/push/x", "loopback"),
        ("ftp://fcm.googleapis.com/x", "https"),
    ],
)
async def test_push_endpoints_off_the_allow_list_are_refused(client, world, make_user, db, endpoint, reason):
    me = await make_user("worker", teams_=["city-cce"])
    body = {
        "endpoint": endpoint,
        "keys": {"p256dh": _b64(b"\x04" + os.urandom(64)), "auth": _b64(os.urandom(16))},
    }
    problem = _is_problem(await client.post("/api/v1/push/subscriptions", json=body, headers=me.headers), 422)
    assert problem["errors"][0]["field"] == "endpoint"
    assert reason in problem["errors"][0]["message"]
    assert await _count(db, PushSubscription) == 0


async def test_malformed_keys_and_unknown_fields_are_named(client, world, make_user, push, db):
    me = await make_user("worker", teams_=["city-cce"])
    subscription = push.new_subscription()
    bad_keys = {"endpoint": subscription.endpoint, "keys": {"p256dh": "bm90IGEga2V5", "auth": "short"}}
    problem = _is_problem(
        await client.post("/api/v1/push/subscriptions", json=bad_keys, headers=me.headers), 422
    )
    assert {e["field"] for e in problem["errors"]} == {"keys.p256dh", "keys.auth"}

    extra = {**subscription.subscription_info, "colour": "red"}
    problem = _is_problem(
        await client.post("/api/v1/push/subscriptions", json=extra, headers=me.headers), 422
    )
    assert problem["errors"] == [{"field": "colour", "message": "unknown field"}]
    missing = _is_problem(
        await client.post(
            "/api/v1/push/subscriptions", json={"endpoint": subscription.endpoint}, headers=me.headers
        ),
        422,
    )
    assert missing["errors"][0]["field"] == "keys"
    assert await _count(db, PushSubscription) == 0


async def test_police_do_not_register_devices_and_strangers_must_sign_in(client, world, make_user, push):
    police = await make_user("police", station="euston-street")
    body = push.new_subscription().subscription_info
    assert (
        await client.post("/api/v1/push/subscriptions", json=body, headers=police.headers)
    ).status_code == 403
    assert (await client.post("/api/v1/push/subscriptions", json=body)).status_code == 401
    assert (await client.post("/api/v1/push/test")).status_code == 401


@bounded()
async def test_a_test_notification_reaches_each_of_my_phones(client, world, make_user, push, worker):
    me = await make_user("worker", teams_=["city-cce"])
    phones = [await paging_helpers.register_phone(client, me, push, f"phone {i}") for i in range(2)]

    queued = await client.post("/api/v1/push/test", headers=me.headers)
    assert queued.status_code == 202 and queued.json()["queued"] == 2
    await worker.drain()

    received = received_by(push, phones)
    assert len(received) == 2
    assert {r.payload["type"] for r in received} == {"test"}
    devices = (await client.get("/api/v1/push/subscriptions", headers=me.headers)).json()
    assert all(d["last_success_at"] for d in devices)


async def test_a_test_notification_with_no_device_is_a_409_and_queues_nothing(client, db, world, make_user):
    me = await make_user("worker", teams_=["city-cce"])
    answer = await client.post("/api/v1/push/test", headers=me.headers)
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["title"] == "No device registered"
    async with db.session() as session:
        assert (await session.execute(select(Job).where(Job.kind == "delivery.send"))).scalars().all() == []


# -- escalation policies ------------------------------------------------------------------------


async def test_a_manager_sets_the_team_policy_and_members_read_it(client, world, make_user, db):
    team = world.teams["city-cce"]
    manager = await make_user("manager", teams_=["city-cce"])
    member = await make_user("worker", teams_=["city-cce"])
    default = await client.get(f"/api/v1/teams/{team.id}/escalation-policy", headers=member.headers)
    assert default.status_code == 200
    assert default.json()["default"] is True
    assert [lvl["target"] for lvl in default.json()["levels"]] == ["primary", "secondary", "managers"]

    body = {
        "levels": [
            {"target": "primary", "ack_timeout_seconds": 120},
            {"target": "managers", "ack_timeout_seconds": 60},
        ],
        "repeat": 2,
    }
    saved = await client.put(f"/api/v1/teams/{team.id}/escalation-policy", json=body, headers=manager.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["levels"] == [
        {**lvl, "user_id": None, "display_name": None} for lvl in body["levels"]
    ]
    assert saved.json()["repeat"] == 2
    again = await client.put(f"/api/v1/teams/{team.id}/escalation-policy", json=body, headers=manager.headers)
    assert again.json()["version"] == 2
    assert (await client.get(f"/api/v1/teams/{team.id}/escalation-policy", headers=member.headers)).json()[
        "default"
    ] is False
    assert await _count(db, EscalationPolicy) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"levels": [], "repeat": 0}, {"levels"}),
        ({"levels": [{"target": "boss", "ack_timeout_seconds": 60}]}, {"levels.0.target"}),
        ({"levels": [{"target": "primary", "ack_timeout_seconds": 0}]}, {"levels.0.ack_timeout_seconds"}),
        ({"levels": [{"target": "primary", "ack_timeout_seconds": 60}], "repeat": 9}, {"repeat"}),
        ({"levels": [{"target": "primary", "ack_timeout_seconds": 60, "x": 1}]}, {"levels.0.x"}),
        ({"levels": [{"target": "primary"}]}, {"levels.0.ack_timeout_seconds"}),
        ({"levels": [{"target": "primary", "ack_timeout_seconds": 60}], "escalate": True}, {"escalate"}),
    ],
)
async def test_bad_policies_are_refused_naming_the_fields(client, world, make_user, db, body, fields):
    manager = await make_user("manager", teams_=["city-cce"])
    response = await client.put(
        f"/api/v1/teams/{world.teams['city-cce'].id}/escalation-policy", json=body, headers=manager.headers
    )
    assert {e["field"] for e in _is_problem(response, 422)["errors"]} == fields
    assert await _count(db, EscalationPolicy) == 0


async def test_a_policy_shorter_than_the_minimum_is_refused(client, world, make_user, settings):
    settings.min_ack_timeout_seconds = 30
    manager = await make_user("manager", teams_=["city-cce"])
    body = {
        "levels": [
            {"target": "primary", "ack_timeout_seconds": 60},
            {"target": "secondary", "ack_timeout_seconds": 10},
        ]
    }
    response = await client.put(
        f"/api/v1/teams/{world.teams['city-cce'].id}/escalation-policy", json=body, headers=manager.headers
    )
    assert _is_problem(response, 422)["errors"] == [
        {"field": "levels.1.ack_timeout_seconds", "message": "must be at least 30"}
    ]


@pytest.mark.parametrize(
    ("role", "teams", "put_status", "get_status"),
    [
        ("admin", [], 200, 200),
        ("manager", ["city-cce"], 200, 200),
        ("manager", ["city-cse"], 403, 403),
        ("worker", ["city-cce"], 403, 200),
        ("day_team", ["city-cce"], 403, 200),
        ("worker", ["county-cce"], 403, 403),
        ("police", [], 403, 403),
    ],
)
async def test_who_may_set_and_read_a_policy(client, world, make_user, role, teams, put_status, get_status):
    person = await make_user(role, teams_=teams, station="euston-street" if role == "police" else None)
    url = f"/api/v1/teams/{world.teams['city-cce'].id}/escalation-policy"
    body = {"levels": [{"target": "primary", "ack_timeout_seconds": 300}], "repeat": 0}
    assert (await client.put(url, json=body, headers=person.headers)).status_code == put_status
    assert (await client.get(url, headers=person.headers)).status_code == get_status


# -- a shared phone passed on -------------------------------------------------------------------


async def _moves(db) -> list[AuditEvent]:
    async with db.session() as session:
        rows = await session.execute(
            select(AuditEvent).where(AuditEvent.action == "device.move").order_by(AuditEvent.at)
        )
        return list(rows.scalars())


async def _devices(client, person) -> list[dict]:
    response = await client.get("/api/v1/push/subscriptions", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


@bounded()
async def test_a_shared_phone_passes_to_a_teammate_audited_and_the_previous_holder_sees_it(
    client, world, make_user, push, worker, db
):
    alice = await make_user("worker", teams_=["city-cce"])
    bob = await make_user("worker", teams_=["city-cce", "city-cse"])
    await rename(db, bob, "Bob Baptiste")
    phone = await paging_helpers.register_phone(client, alice, push, "duty phone")
    [mine] = await _devices(client, alice)

    # Shift change: Bob signs in on the duty phone and turns pages on; the browser hands over
    # the same subscription.
    taken = await client.post("/api/v1/push/subscriptions", json=phone.subscription_info, headers=bob.headers)
    assert taken.status_code == 200, taken.text
    assert taken.json()["id"] == mine["id"] and taken.json()["working"] is True
    assert [d["id"] for d in await _devices(client, bob)] == [mine["id"]]

    [gone] = await _devices(client, alice)
    assert gone["id"] == mine["id"] and gone["label"] == "duty phone"
    assert gone["retired_reason"] == "moved" and gone["working"] is False
    assert gone["moved_to"] == {"id": str(bob.id), "display_name": "Bob Baptiste"}
    assert gone["moved_at"] == gone["retired_at"] and gone["moved_at"] >= mine["created_at"]

    [event] = await _moves(db)
    assert event.outcome == "ok" and event.actor_id == bob.id
    assert str(event.resource_id) == mine["id"]
    assert event.detail == {"from_user_id": str(alice.id), "to_user_id": str(bob.id)}
    assert phone.endpoint not in repr(event.detail) and phone.endpoint not in (event.client_ip or "")

    # Pages follow the phone: Bob's test reaches it, Alice has nothing left to test.
    assert (await client.post("/api/v1/push/test", headers=alice.headers)).status_code == 409
    assert (await client.post("/api/v1/push/test", headers=bob.headers)).json()["queued"] == 1
    await worker.drain()
    assert len(received_by(push, [phone])) == 1
    assert (
        await client.delete(f"/api/v1/push/subscriptions/{mine['id']}", headers=alice.headers)
    ).status_code == 404

    # Registering again as the holder is an update, not a move; handing it back is one.
    url, body = "/api/v1/push/subscriptions", phone.subscription_info
    assert (await client.post(url, json=body, headers=bob.headers)).status_code == 200
    assert len(await _moves(db)) == 1
    assert (await client.post(url, json=body, headers=alice.headers)).status_code == 200
    [held] = await _devices(client, alice)
    assert held["working"] is True and held["moved_to"] is None and held["retired_at"] is None
    [left_bob] = await _devices(client, bob)
    assert left_bob["moved_to"]["id"] == str(alice.id)
    assert [e.detail["to_user_id"] for e in await _moves(db)] == [str(bob.id), str(alice.id)]


@bounded()
async def test_a_phone_does_not_move_to_someone_outside_the_holders_teams(
    client, world, make_user, push, worker, db
):
    alice = await make_user("worker", teams_=["city-cce"])
    stranger = await make_user("worker", teams_=["county-cce"])
    admin = await make_user("admin")
    phone = await paging_helpers.register_phone(client, alice, push, "duty phone")
    [before] = await _devices(client, alice)

    # Someone who learnt the endpoint tries to take it over with keys of their own.
    their_keys = push.new_subscription().subscription_info["keys"]
    for person in (stranger, admin):
        refused = await client.post(
            "/api/v1/push/subscriptions",
            json={"endpoint": phone.endpoint, "keys": their_keys, "label": "mine now"},
            headers=person.headers,
        )
        problem = _is_problem(refused, 409)
        assert "shares no team" in problem["detail"] and phone.endpoint not in refused.text
        assert alice.user.display_name not in refused.text  # the holder is not named

    assert await _devices(client, alice) == [before]  # unchanged: label, keys, state
    assert await _devices(client, stranger) == [] and await _devices(client, admin) == []
    async with db.session() as session:
        device = (await session.execute(select(PushSubscription))).scalar_one()
        assert device.user_id == alice.id and device.p256dh == phone.p256dh and device.auth == phone.auth
        assert (await session.execute(select(func.count()).select_from(DeviceMove))).scalar_one() == 0
    # Alice's phone still decrypts her pages (its keys were not replaced).
    assert (await client.post("/api/v1/push/test", headers=alice.headers)).json()["queued"] == 1
    await worker.drain()
    assert len(received_by(push, [phone])) == 1

    attempts = await _moves(db)
    assert [(e.outcome, e.actor_id) for e in attempts] == [("denied", stranger.id), ("denied", admin.id)]
    assert attempts[0].detail == {"from_user_id": str(alice.id), "to_user_id": str(stranger.id)}
    assert all(phone.endpoint not in repr(e.detail) for e in attempts)
