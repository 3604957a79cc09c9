"""The morning handover: the night's incidents wait in the day team's queue until someone picks them up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.handover.models import HandoverEvent
from api.incidents.models import Incident
from tests.handover_helpers import item_of, london, queue, rename, report_at, utc

CSE_ONLY = [{"code": "REL-CONTROLLING-ADULT", "provenance": "observed"}]


@pytest.fixture
async def colleague(world, make_user, db):
    person = await make_user("day_team", teams_=["city-cce"])
    await rename(db, person, "Colin Colleague")
    return person


@pytest.fixture
async def manager(world, make_user, db):
    person = await make_user("manager", teams_=["city-cce", "city-cse"])
    await rename(db, person, "Mina Manager")
    return person


# --- Due times, through intake -------------------------------------------------------------


@pytest.mark.parametrize(
    ("occurred", "due"),
    [
        pytest.param(london(2026, 11, 23, 23, 10), utc(2026, 11, 24, 9), id="weekday-night"),
        pytest.param(london(2026, 11, 24, 1, 40), utc(2026, 11, 24, 9), id="small-hours"),
        pytest.param(london(2026, 11, 24, 11, 0), utc(2026, 11, 25, 9), id="office-hours-next-morning"),
        pytest.param(london(2026, 11, 27, 22, 0), utc(2026, 11, 30, 9), id="friday-night"),
        pytest.param(london(2026, 11, 28, 14, 0), utc(2026, 11, 30, 9), id="saturday"),
        # Christmas Day and Boxing Day 2025 are Thursday and Friday, then a weekend.
        pytest.param(london(2025, 12, 24, 20, 0), utc(2025, 12, 29, 9), id="christmas-bank-holidays"),
        # Summer bank holiday Monday 31 August 2026, on BST: 09:00 Tuesday is 08:00 UTC.
        pytest.param(london(2026, 8, 28, 22, 0), utc(2026, 9, 1, 8), id="bank-holiday-monday"),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April; London is on BST (UTC+1).
        pytest.param(london(2026, 4, 2, 21, 0), utc(2026, 4, 7, 8), id="easter-bst"),
        # Clocks go back at 02:00 BST on Sunday 25 October 2026: 09:00 Monday is 09:00 UTC.
        pytest.param(london(2026, 10, 24, 23, 0), utc(2026, 10, 26, 9), id="dst-ends"),
        # Clocks go forward at 01:00 GMT on Sunday 29 March 2026: 09:00 Monday is 08:00 UTC.
        pytest.param(london(2026, 3, 27, 20, 0), utc(2026, 3, 30, 8), id="dst-starts"),
    ],
)
async def test_an_item_is_due_at_0900_on_the_next_working_day(client, police, day, occurred, due):
    created = await report_at(client, police, occurred)
    item = await item_of(client, day, created["id"])
    assert datetime.fromisoformat(item["due_at"]) == due
    assert item["state"] == "awaiting_pickup"
    assert item["owner"] is None
    handover_clock = next(c for c in item["clocks"] if c["kind"] == "handover")
    assert datetime.fromisoformat(handover_clock["due_at"]) == due


async def test_an_incident_routed_to_two_teams_gets_an_item_in_each_queue(client, police, manager):
    both = [{"code": "REL-CONTROLLING-ADULT"}, {"code": "ITM-DRUGS-CASH"}]
    created = await report_at(client, police, london(2026, 11, 24, 2, 0), indicators=both)
    assert {t["slug"] for t in created["teams"]} == {"city-cse", "city-cce"}
    cce = await item_of(client, manager, created["id"], team="city-cce")
    cse = await item_of(client, manager, created["id"], team="city-cse")
    assert cce["id"] != cse["id"]
    assert cce["team"]["slug"] == "city-cce" and cse["team"]["slug"] == "city-cse"


# --- What an item holds --------------------------------------------------------------------


async def test_an_item_holds_what_the_day_team_needs(client, police, day):
    created = await report_at(
        client,
        police,
        london(2026, 11, 24, 1, 40),
        people_present=[{"role": "peer", "description": "Older boy known as 'K'"}],
        circumstances="Found by BTP after a 3-day missing episode.",
    )
    item = await item_of(client, day, created["id"])
    assert item["incident"]["reference"] == created["reference"]
    assert item["incident"]["station"]["name"] == "Euston St custody"
    assert item["what_happened"]["circumstances"] == "Found by BTP after a 3-day missing episode."
    assert any(e["action"] == "incident.reported" for e in item["what_happened"]["timeline"])
    assert item["decisions"]["reasons"] == created["triage"]["reasons"]
    assert {i["code"] for i in item["current_risk"]["indicators"]} == {
        "MOV-OUT-OF-AREA",
        "ITM-UNEXPLAINED-MONEY",
    }
    assert item["places_and_peers"]["location"]["description"] == "Found at Leicester railway station"
    assert item["places_and_peers"]["people_present"][0]["description"] == "Older boy known as 'K'"
    assert [p["team"]["slug"] for p in item["pages"]] == ["city-cce"]
    assert item["support_offers"] == [] and item["handover_notes"] == []
    kinds = {c["kind"] for c in item["open_clocks"]}
    assert {"handover", "rhi_72h"} <= kinds
    person = item["young_person"]
    assert (person["first_name"], person["last_name"]) == ("Jordan", "Reyes")
    assert person["missing_episodes_30d"] == 1 and person["missing_episodes_90d"] == 1
    assert person["earlier_incidents"] == []


async def test_the_young_person_summary_shows_the_pattern(client, police, day):
    first = await report_at(
        client, police, london(2026, 9, 20, 23, 0), indicators=[{"code": "ITM-MULTIPLE-PHONES"}]
    )
    await report_at(client, police, london(2026, 11, 1, 22, 0), kind="arrest")
    await report_at(
        client,
        police,
        london(2026, 11, 10, 22, 0),
        indicators=[{"code": "REL-CONTROLLING-ADULT"}, {"code": "ITM-MULTIPLE-PHONES"}],
    )
    latest = await report_at(client, police, london(2026, 11, 24, 1, 0))
    item = await item_of(client, day, latest["id"])
    person = item["young_person"]
    assert len(person["earlier_incidents"]) == 3
    assert person["earlier_incidents"][-1]["reference"] == first["reference"]
    # Missing returns on 20 Sep (outside 30 days, inside 90), 10 Nov and this one; the arrest is not one.
    assert person["missing_episodes_30d"] == 2
    assert person["missing_episodes_90d"] == 3
    seen = {i["code"]: i["times"] for i in person["indicators_seen_before"]}
    assert seen["ITM-MULTIPLE-PHONES"] == 2
    assert seen["REL-CONTROLLING-ADULT"] == 1
    assert {t["slug"] for t in person["teams_involved"]} == {"city-cce", "city-cse"}


async def test_the_queue_is_ordered_by_priority_then_age(client, police, day):
    older = await report_at(client, police, london(2026, 11, 23, 22, 0), first_name="Older")
    newer = await report_at(client, police, london(2026, 11, 24, 2, 0), first_name="Newer")
    under_13 = (datetime.now(UTC) - timedelta(days=365 * 11)).date().isoformat()
    urgent = await report_at(
        client,
        police,
        london(2026, 11, 24, 4, 0),
        young_person={"first_name": "Kai", "last_name": "Young", "date_of_birth": under_13},
    )
    assert urgent["priority"] == "P1"
    items = await queue(client, day, team="city-cce", state="awaiting_pickup")
    assert [i["incident"]["id"] for i in items] == [urgent["id"], older["id"], newer["id"]]


async def test_reading_the_queue_is_audited(client, police, day, db):
    created = await report_at(client, police, london(2026, 11, 24, 1, 0))
    item = await item_of(client, day, created["id"])
    response = await client.get(f"/api/v1/handover/{item['id']}", headers=day.headers)
    assert response.status_code == 200
    async with db.session() as session:
        actions = (
            (
                await session.execute(
                    select(AuditEvent.action).where(
                        AuditEvent.actor_id == day.id, AuditEvent.resource_id == uuid_of(item["id"])
                    )
                )
            )
            .scalars()
            .all()
        )
    assert "handover.read" in actions and "handover.list" in actions


def uuid_of(text: str):
    import uuid

    return uuid.UUID(text)


# --- Who sees what -------------------------------------------------------------------------


async def test_a_day_team_user_sees_only_their_teams_items(client, police, day, manager, make_user):
    mine = await report_at(client, police, london(2026, 11, 24, 1, 0), first_name="Mine")
    theirs = await report_at(
        client, police, london(2026, 11, 24, 2, 0), first_name="Theirs", indicators=CSE_ONLY
    )
    assert [t["slug"] for t in theirs["teams"]] == ["city-cse"]

    assert [i["incident"]["id"] for i in await queue(client, day)] == [mine["id"]]
    forbidden = await client.get("/api/v1/handover", params={"team": "city-cse"}, headers=day.headers)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")

    their_item = await item_of(client, manager, theirs["id"], team="city-cse")
    for method, path in [
        ("GET", f"/api/v1/handover/{their_item['id']}"),
        ("POST", f"/api/v1/handover/{their_item['id']}/pickup"),
    ]:
        response = await client.request(method, path, headers=day.headers)
        assert response.status_code == 404, (method, path)
    assert (await item_of(client, manager, theirs["id"], team="city-cse"))["state"] == "awaiting_pickup"


async def test_police_workers_and_admins_see_no_handover(client, police, day, make_user):
    created = await report_at(client, police, london(2026, 11, 24, 1, 0))
    item = await item_of(client, day, created["id"])
    worker = await make_user("worker", teams_=["city-cce"])
    admin = await make_user("admin")
    for person in (police, worker, admin):
        for method, path in [
            ("GET", "/api/v1/handover"),
            ("GET", f"/api/v1/handover/{item['id']}"),
            ("POST", f"/api/v1/handover/{item['id']}/pickup"),
            ("GET", "/api/v1/handover/report?team=city-cce&night=2026-11-23"),
            ("GET", "/api/v1/handover/report.csv?team=city-cce&night=2026-11-23"),
        ]:
            response = await client.request(method, path, headers=person.headers)
            assert response.status_code == 403, (person.user.roles, method, path)


async def test_unknown_team_is_named(client, day):
    response = await client.get("/api/v1/handover", params={"team": "nowhere"}, headers=day.headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "team", "message": "unknown team"}]


# --- Pick-up, second pick-up, reassignment, closing ----------------------------------------


async def test_picking_up_records_the_owner_and_moves_the_incident(client, police, day, db):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    response = await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "picked_up"
    assert body["owner"] == {"id": str(day.id), "display_name": "Dana Day"}
    assert datetime.fromisoformat(body["picked_up_at"]).tzinfo is not None

    item = await item_of(client, day, created["id"])
    assert item["owner"]["id"] == str(day.id)
    assert item["incident"]["state"] == "picked_up"
    assert [h["action"] for h in item["history"]] == ["picked_up"]
    for clock in item["clocks"]:
        assert clock["owner"]["id"] == str(day.id)
    handover_clock = next(c for c in item["clocks"] if c["kind"] == "handover")
    assert handover_clock["met"] is True
    async with db.session() as session:
        incident = await session.get(Incident, uuid_of(created["id"]))
        assert incident.state == "picked_up"
    # A double tap by the owner is not an error.
    again = await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    assert again.status_code == 200
    assert again.json()["picked_up_at"] == body["picked_up_at"]


async def test_a_second_pick_up_names_the_owner_and_changes_nothing(client, police, day, colleague, db):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    first = await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    assert first.status_code == 200
    second = await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=colleague.headers)
    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    problem = second.json()
    assert "Dana Day" in problem["detail"]
    assert problem["owner"] == {"id": str(day.id), "display_name": "Dana Day"}
    after = await item_of(client, colleague, created["id"])
    assert after["owner"]["id"] == str(day.id)
    assert after["picked_up_at"] == first.json()["picked_up_at"]
    async with db.session() as session:
        events = (await session.execute(select(HandoverEvent))).scalars().all()
    assert [e.action for e in events] == ["picked_up"]


async def test_closing_needs_a_note(client, police, day):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    for body in ({}, {"note": ""}, {"note": "   "}):
        response = await client.post(f"/api/v1/handover/{item['id']}/close", json=body, headers=day.headers)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == ["note"]
    unknown = await client.post(
        f"/api/v1/handover/{item['id']}/close", json={"note": "ok", "extra": 1}, headers=day.headers
    )
    assert unknown.status_code == 422
    assert (await item_of(client, day, created["id"]))["state"] == "picked_up"

    closed = await client.post(
        f"/api/v1/handover/{item['id']}/close",
        json={"note": "RHI booked for Wednesday; strategy discussion with CCE hub."},
        headers=day.headers,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    item = await item_of(client, day, created["id"])
    assert item["closing_note"].startswith("RHI booked")
    assert item["incident"]["state"] == "closed"
    again = await client.post(f"/api/v1/handover/{item['id']}/close", json={"note": "x"}, headers=day.headers)
    assert again.status_code == 409


async def test_an_item_must_be_picked_up_before_it_is_closed(client, police, day):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    response = await client.post(
        f"/api/v1/handover/{item['id']}/close", json={"note": "x"}, headers=day.headers
    )
    assert response.status_code == 409
    assert (await item_of(client, day, created["id"]))["state"] == "awaiting_pickup"


async def test_reassigning_to_a_colleague_is_recorded(client, police, day, colleague, manager, make_user, db):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)

    outsider = await make_user("day_team", teams_=["city-cse"])
    for user_id in (str(outsider.id), str(police.id), "00000000-0000-0000-0000-000000000000"):
        bad = await client.post(
            f"/api/v1/handover/{item['id']}/reassign", json={"user_id": user_id}, headers=day.headers
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "user_id"

    response = await client.post(
        f"/api/v1/handover/{item['id']}/reassign", json={"user_id": str(colleague.id)}, headers=day.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == {"id": str(colleague.id), "display_name": "Colin Colleague"}
    assert response.json()["previous_owner"]["id"] == str(day.id)

    # The previous owner no longer owns it; a manager of the team still may reassign.
    denied = await client.post(
        f"/api/v1/handover/{item['id']}/reassign", json={"user_id": str(day.id)}, headers=day.headers
    )
    assert denied.status_code == 403
    back = await client.post(
        f"/api/v1/handover/{item['id']}/reassign", json={"user_id": str(day.id)}, headers=manager.headers
    )
    assert back.status_code == 200

    item = await item_of(client, day, created["id"])
    history = [(h["action"], (h["from"] or {}).get("id"), (h["to"] or {}).get("id")) for h in item["history"]]
    assert history == [
        ("picked_up", None, str(day.id)),
        ("reassigned", str(day.id), str(colleague.id)),
        ("reassigned", str(colleague.id), str(day.id)),
    ]
    assert all(c["owner"]["id"] == str(day.id) for c in item["clocks"])
    assert [e["action"] for e in item["what_happened"]["timeline"]].count("handover.reassigned") == 2
    async with db.session() as session:
        audited = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "handover.reassign")))
            .scalars()
            .all()
        )
    assert len(audited) == 2


async def test_two_people_picking_up_at_once_get_one_owner(client, police, day, colleague):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    path = f"/api/v1/handover/{item['id']}/pickup"
    answers = await asyncio.gather(
        client.post(path, headers=day.headers), client.post(path, headers=colleague.headers)
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["owner"]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["owner"] == winner
    assert [h["action"] for h in (await item_of(client, day, created["id"]))["history"]] == ["picked_up"]


async def test_assignees_are_the_items_day_team_and_managers_without_its_owner(
    client, police, day, colleague, manager, make_user
):
    """What the app offers under "Reassign to": exactly the people `reassign` accepts."""
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    item = await item_of(client, day, created["id"])
    await make_user("day_team", teams_=["city-cse"])  # another team's day worker
    await make_user("worker", teams_=["city-cce"])  # a night worker of the team
    url = f"/api/v1/handover/{item['id']}/assignees"

    before = await client.get(url, headers=day.headers)
    assert before.status_code == 200, before.text
    assert {p["display_name"] for p in before.json()} == {"Dana Day", "Colin Colleague", "Mina Manager"}

    await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    after = (await client.get(url, headers=day.headers)).json()
    assert [p["display_name"] for p in after] == ["Colin Colleague", "Mina Manager"]
    for person in after:  # every one offered is accepted
        taken = await client.post(
            f"/api/v1/handover/{item['id']}/reassign", json={"user_id": person["id"]}, headers=manager.headers
        )
        assert taken.status_code == 200, taken.text

    assert (await client.get(url, headers=police.headers)).status_code == 403
