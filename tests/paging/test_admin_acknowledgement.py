"""Admins are paged only when a page goes uncovered, so that is all they may take (issue 10, #1).

Before the fix an admin could acknowledge any page at any level and stop a team's
escalation: the secondary and the managers were then never paged.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.paging.models import Acknowledgement, Page
from tests.paging_helpers import (
    T0,
    add_rotation,
    bounded,
    incident_row,
    later,
    page_incident,
    page_of,
    received_by,
    register_phone,
    set_policy,
)

pytestmark = pytest.mark.fake_push


async def _acks(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Acknowledgement))).scalar_one()


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def _ack(client, incident_id, person, action: str = "phoning"):
    return await client.post(
        f"/api/v1/incidents/{incident_id}/acknowledge", json={"action": action}, headers=person.headers
    )


@bounded()
@pytest.mark.parametrize("action", ["attending", "phoning", "cannot_attend"])
async def test_admin_cannot_take_a_page_that_is_still_escalating(
    client, db, world, crew, push, worker, action
):
    await set_policy(client, crew, [("primary", 60), ("secondary", 60), ("managers", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)

    refused = await _ack(client, incident.id, crew.admin, action)
    assert "uncovered" in _problem(refused, 403)["detail"]
    assert await _acks(db) == 0
    page = await page_of(db, incident.id)
    assert (page.state, page.level_index, page.acknowledged_by_id) == ("active", 0, None)
    row = await incident_row(db, incident.id)
    assert (row.state, row.acknowledged_by_id) == ("paging", None)

    # The team's escalation goes on: the secondary is paged when the primary's time is up.
    await worker.drain(now=later(61))
    assert len(received_by(push, crew.phones["secondary"])) == 1


@bounded()
async def test_admin_cannot_take_the_page_at_the_managers_level_either(client, db, world, crew, push, worker):
    await set_policy(client, crew, [("primary", 60), ("managers", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)
    await worker.drain(now=later(61))
    assert (await page_of(db, incident.id)).level_index == 1

    _problem(await _ack(client, incident.id, crew.admin), 403)
    assert await _acks(db) == 0
    # The team's manager still can, at this level as at any other.
    taken = await _ack(client, incident.id, crew.manager)
    assert taken.status_code == 200, taken.text


@bounded()
async def test_admin_takes_an_uncovered_incident(client, db, world, crew, push, worker):
    await set_policy(client, crew, [("primary", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)
    await worker.drain(now=later(61))
    row = await incident_row(db, incident.id)
    assert (row.state, row.uncovered) == ("uncovered", True)
    assert len(received_by(push, crew.phones["admin"])) == 1  # admins are paged for it

    taken = await _ack(client, incident.id, crew.admin, "phoning")
    assert taken.status_code == 200, taken.text
    assert taken.json()["acknowledged_by"]["id"] == str(crew.admin.id)
    page = await page_of(db, incident.id)
    assert (page.state, page.acknowledged_by_id) == ("acknowledged", crew.admin.id)
    # Taken once: a second admin acknowledgement is the usual 409 naming who took it.
    again = _problem(await _ack(client, incident.id, crew.admin), 409)
    assert again["acknowledged_by"]["id"] == str(crew.admin.id)


@bounded()
async def test_admin_takes_only_the_uncovered_page_of_an_incident_paged_to_two_teams(
    client, db, world, crew, push, worker, make_user
):
    # city-cce gives up after one level; county-cse has someone on call and a longer (default)
    # policy, so its page is still escalating.
    await set_policy(client, crew, [("primary", 60)])
    other = world.teams["county-cse"]
    county_worker = await make_user("worker", teams_=["county-cse"])
    await add_rotation(db, other, "primary", [county_worker])
    await register_phone(client, county_worker, push)
    incident = await page_incident(db, world, crew, team_slugs=("city-cce", "county-cse"))
    await worker.drain(now=T0)
    await worker.drain(now=later(61))
    async with db.session() as session:
        pages = {
            p.team_id: p
            for p in (await session.execute(select(Page).where(Page.incident_id == incident.id))).scalars()
        }
    assert pages[crew.team.id].state == "uncovered"
    assert pages[other.id].state == "active"

    taken = await _ack(client, incident.id, crew.admin)
    assert taken.status_code == 200, taken.text
    assert [p["team_id"] for p in taken.json()["pages"]] == [str(crew.team.id)]
    async with db.session() as session:
        states = {
            p.team_id: p.state
            for p in (await session.execute(select(Page).where(Page.incident_id == incident.id))).scalars()
        }
    assert states == {crew.team.id: "acknowledged", other.id: "active"}
