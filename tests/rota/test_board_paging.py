"""The duty manager's board shows, for each incident being paged, the current escalation level
and who it pages; an admin paged because nobody answered can open that incident (audited),
and no other."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.paging.models import Page
from tests.paging_helpers import (
    T0,
    bounded,
    later,
    page_incident,
    set_policy,
)

pytestmark = pytest.mark.fake_push


async def _board_item(client, crew, incident_id, section: str) -> dict:
    board = await client.get("/api/v1/board", headers=crew.manager.headers)
    assert board.status_code == 200, board.text
    [item] = [i for i in board.json()[section] if i["id"] == str(incident_id)]
    return item


@bounded(60)
async def test_the_board_follows_the_escalation_level_and_who_it_pages(client, db, world, crew, worker):
    await set_policy(client, crew, [("primary", 60), ("secondary", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)

    [page] = (await _board_item(client, crew, incident.id, "unacknowledged"))["pages"]
    assert (page["level"], page["levels"], page["target"], page["state"]) == (0, 2, "primary", "active")
    assert page["team"]["slug"] == "city-cce"
    assert page["paging"] == [{"id": str(crew.primary.id), "display_name": "Test worker"}]

    await worker.drain(now=later(61))
    [page] = (await _board_item(client, crew, incident.id, "unacknowledged"))["pages"]
    assert (page["level"], page["target"]) == (1, "secondary")
    assert [p["id"] for p in page["paging"]] == [str(crew.secondary.id)]

    await worker.drain(now=later(122))
    [page] = (await _board_item(client, crew, incident.id, "uncovered"))["pages"]
    assert (page["state"], page["target"]) == ("uncovered", "uncovered")
    assert {p["id"] for p in page["paging"]} == {str(crew.manager.id), str(crew.admin.id)}

    taken = await client.post(
        f"/api/v1/incidents/{incident.id}/acknowledge",
        json={"action": "phoning"},
        headers=crew.manager.headers,
    )
    assert taken.status_code == 200, taken.text
    board = (await client.get("/api/v1/board", headers=crew.manager.headers)).json()
    assert str(incident.id) not in {i["id"] for i in board["unacknowledged"] + board["uncovered"]}


@bounded(60)
async def test_an_admin_paged_because_nobody_answered_can_open_the_incident(client, db, world, crew, worker):
    await set_policy(client, crew, [("primary", 60)])
    incident = await page_incident(db, world, crew)
    await worker.drain(now=T0)

    # Still being paged through the team's levels: admins see no case content.
    early = await client.get(f"/api/v1/incidents/{incident.id}", headers=crew.admin.headers)
    assert early.status_code == 404, early.text

    async with db.session() as session:
        pages = (await session.execute(select(Page).where(Page.incident_id == incident.id))).scalars().all()
        assert [p.state for p in pages] == ["active"]
    await worker.drain(now=later(61))  # the page goes uncovered: every admin is paged
    opened = await client.get(f"/api/v1/incidents/{incident.id}", headers=crew.admin.headers)
    assert opened.status_code == 200, opened.text
    assert opened.json()["reference"] == incident.reference
    async with db.session() as session:
        reads = (
            (
                await session.execute(
                    select(AuditEvent).where(
                        AuditEvent.action == "incident.read", AuditEvent.actor_id == crew.admin.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [(str(r.resource_id), r.detail) for r in reads] == [
        (str(incident.id), {"ground": "paged_uncovered"})
    ]
    assert reads[0].young_person_id is not None  # the child's access log finds it
