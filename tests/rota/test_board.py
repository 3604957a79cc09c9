"""The manager's board: unanswered, uncovered and unrouted incidents, and rota gaps."""

from __future__ import annotations

from sqlalchemy import update

from api.incidents.models import Incident
from api.teams.models import Team
from tests.incident_payloads import report


async def test_board_shows_unanswered_and_unrouted_incidents_and_gaps(client, world, make_user, db):
    police = await make_user("police", station="euston-street")
    manager = await make_user("manager", teams_=["city-cce"])
    routed = (await client.post("/api/v1/incidents", json=report(), headers=police.headers)).json()
    async with db.session() as session:
        await session.execute(update(Team).where(Team.slug.like("rutland-%")).values(active=False))
    unrouted = (
        await client.post(
            "/api/v1/incidents",
            json=report(location={"description": "Oakham", "area": "rutland"}),
            headers=police.headers,
        )
    ).json()
    board = await client.get("/api/v1/board", headers=manager.headers)
    assert board.status_code == 200, board.text
    body = board.json()
    assert [i["id"] for i in body["unacknowledged"]] == [routed["id"]]
    assert [i["id"] for i in body["needs_review"]] == [unrouted["id"]]
    assert body["uncovered"] == []
    # Nobody is on the city CCE rota in this test: the board says so.
    assert any(g["team"]["slug"] == "city-cce" and g["reason"] == "nobody" for g in body["rota_gaps"])

    async with db.session() as session:
        await session.execute(
            update(Incident).where(Incident.reference == routed["reference"]).values(state="uncovered")
        )
    body = (await client.get("/api/v1/board", headers=manager.headers)).json()
    assert [i["id"] for i in body["uncovered"]] == [routed["id"]]
    assert body["unacknowledged"] == []


async def test_board_is_for_managers(client, world, make_user):
    for role in ("police", "worker", "day_team", "admin"):
        person = await make_user(role, station="euston-street" if role == "police" else None)
        assert (await client.get("/api/v1/board", headers=person.headers)).status_code == 403, role
