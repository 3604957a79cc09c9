"""A manager names a person as an escalation level (a senior practitioner, say): when the page
reaches that level the named person's phones receive it, with the contract's payload, and they
can take it. Real HTTP to the fake push service; the worker runs at chosen instants."""

from __future__ import annotations

import pytest

from api.auth.tokens import verify_token
from tests.paging_helpers import (
    CONTRACT_KEYS,
    T0,
    bounded,
    later,
    page_incident,
    received_by,
    register_phone,
)

pytestmark = pytest.mark.fake_push


async def _put_policy(client, crew, levels, person=None):
    return await client.put(
        f"/api/v1/teams/{crew.team.id}/escalation-policy",
        json={"levels": levels, "repeat": 0},
        headers=(person or crew.manager).headers,
    )


@bounded(60)
async def test_a_named_person_level_pages_that_person_and_they_can_take_it(
    client, db, world, crew, push, worker, make_user, settings
):
    senior = await make_user("worker", teams_=["city-cce"], username="senior")
    senior_phone = await register_phone(client, senior, push, "senior")
    response = await _put_policy(
        client,
        crew,
        [
            {"target": "primary", "ack_timeout_seconds": 60},
            {"target": "person", "user_id": str(senior.id), "ack_timeout_seconds": 60},
            {"target": "managers", "ack_timeout_seconds": 60},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["levels"][1] == {
        "target": "person",
        "user_id": str(senior.id),
        "display_name": "Test worker",
        "ack_timeout_seconds": 60,
    }
    read = await client.get(f"/api/v1/teams/{crew.team.id}/escalation-policy", headers=crew.primary.headers)
    assert read.json()["levels"][1]["user_id"] == str(senior.id)

    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)
    assert received_by(push, [senior_phone]) == []
    assert len(received_by(push, crew.phones["primary"])) == 2

    await worker.drain(now=later(61))
    [page] = received_by(push, [senior_phone])
    assert set(page.payload) == CONTRACT_KEYS
    assert page.payload["incident_id"] == str(incident.id)
    assert verify_token(settings, page.payload["ack_token"], purpose="ack").user_id == senior.id
    # Nobody else is paged at that level: not the secondary, not the managers yet.
    assert received_by(push, crew.phones["secondary"] + crew.phones["manager"]) == []

    taken = await client.post(
        "/api/v1/acknowledgements",
        json={"ack_token": page.payload["ack_token"], "action": "phoning"},
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["acknowledged_by"]["id"] == str(senior.id)
    await worker.drain(now=later(200))
    assert received_by(push, crew.phones["manager"]) == []


@bounded(60)
async def test_a_named_person_who_left_the_team_is_skipped(client, db, world, crew, push, worker, make_user):
    senior = await make_user("worker", teams_=["city-cce"], username="leaver")
    senior_phone = await register_phone(client, senior, push, "leaver")
    response = await _put_policy(
        client,
        crew,
        [
            {"target": "person", "user_id": str(senior.id), "ack_timeout_seconds": 60},
            {"target": "secondary", "ack_timeout_seconds": 60},
        ],
    )
    assert response.status_code == 200, response.text
    left = await client.patch(
        f"/api/v1/users/{senior.id}", json={"active": False}, headers=crew.admin.headers
    )
    assert left.status_code == 200, left.text

    await page_incident(db, world, crew)
    await worker.drain(now=T0)
    assert received_by(push, [senior_phone]) == []
    assert len(received_by(push, crew.phones["secondary"])) == 1  # the level passed on at once


@pytest.mark.parametrize(
    ("level", "message"),
    [
        ({"target": "person", "ack_timeout_seconds": 60}, "name the person"),
        ({"target": "person", "user_id": "OUTSIDER", "ack_timeout_seconds": 60}, "not an active member"),
        ({"target": "person", "user_id": "POLICE", "ack_timeout_seconds": 60}, "not an active member"),
        ({"target": "primary", "user_id": "PRIMARY", "ack_timeout_seconds": 60}, "only a `person` level"),
    ],
)
async def test_a_level_must_name_a_member_of_the_team(client, crew, make_user, level, message):
    outsider = await make_user("worker", teams_=["city-cse"])
    ids = {"OUTSIDER": outsider.id, "POLICE": crew.police.id, "PRIMARY": crew.primary.id}
    if "user_id" in level:
        level = {**level, "user_id": str(ids[level["user_id"]])}
    response = await _put_policy(client, crew, [{"target": "primary", "ack_timeout_seconds": 60}, level])
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "levels.1.user_id" and message in error["message"]
    read = await client.get(f"/api/v1/teams/{crew.team.id}/escalation-policy", headers=crew.manager.headers)
    assert read.json()["default"] is True  # nothing was written
