"""Finding 7: list and search reads name every child they showed; the access log answers
"who saw this child's data, when, and through which route" (managers only, itself audited)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from api.audit import chain
from api.incidents.models import Incident
from tests.incident_payloads import report


async def _child_of(db, incident_id: str) -> str:
    async with db.session() as session:
        return str(
            (
                await session.execute(
                    select(Incident.young_person_id).where(Incident.id == uuid.UUID(incident_id))
                )
            ).scalar_one()
        )


@pytest.fixture
async def two_children(client, world, make_user, db):
    """Two city-cce incidents about two different children, and the people who read them."""
    people = {
        "police": await make_user("police", station="euston-street"),
        "worker": await make_user("worker", teams_=["city-cce"]),
        "manager": await make_user("manager", teams_=["city-cce"]),
        "other_manager": await make_user("manager", teams_=["county-cse"]),
        "admin": await make_user("admin"),
    }
    first = await client.post(
        "/api/v1/incidents",
        json=report(
            young_person={"first_name": "Amira", "last_name": "Okafor", "date_of_birth": "2010-02-03"}
        ),
        headers=people["police"].headers,
    )
    second = await client.post(
        "/api/v1/incidents",
        json=report(
            young_person={"first_name": "Tomasz", "last_name": "Nowak", "date_of_birth": "2009-08-09"}
        ),
        headers=people["police"].headers,
    )
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    children = {
        "first": await _child_of(db, first.json()["id"]),
        "second": await _child_of(db, second.json()["id"]),
    }
    assert children["first"] != children["second"]
    return people, children


async def _log(client, person, child: str, **params):
    return await client.get(f"/api/v1/young-people/{child}/access-log", params=params, headers=person.headers)


def _by(entries, person) -> list[dict]:
    return [e for e in entries if e["actor"] and e["actor"]["id"] == str(person.id)]


async def test_a_list_read_names_each_child_shown_and_no_other(client, two_children):
    people, children = two_children
    # Newest first: limit=1 shows the second child only.
    listed = await client.get("/api/v1/incidents", params={"limit": 1}, headers=people["worker"].headers)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1

    shown = await _log(client, people["manager"], children["second"])
    assert shown.status_code == 200, shown.text
    [entry] = _by(shown.json()["items"], people["worker"])
    assert entry["route"] == "GET /api/v1/incidents"
    assert entry["action"] == "incident.list"
    assert entry["actor"]["username"] == people["worker"].user.username
    assert entry["actor"]["display_name"] == "Test worker"
    assert entry["at"].endswith("+00:00") or entry["at"].endswith("Z")

    not_shown = await _log(client, people["manager"], children["first"])
    assert not_shown.status_code == 200
    assert _by(not_shown.json()["items"], people["worker"]) == []
    # The police intake of that child is there (a change is an access too).
    assert "incident.create" in {e["action"] for e in not_shown.json()["items"]}


async def test_search_and_board_name_the_children_they_showed(client, two_children):
    people, children = two_children
    found = await client.post(
        "/api/v1/incidents/search", json={"young_person_name": "Okafor"}, headers=people["worker"].headers
    )
    assert found.status_code == 200, found.text
    assert len(found.json()["items"]) == 1
    board = await client.get("/api/v1/board", headers=people["manager"].headers)
    assert board.status_code == 200

    first = (await _log(client, people["manager"], children["first"])).json()["items"]
    assert [e["route"] for e in _by(first, people["worker"])] == ["POST /api/v1/incidents/search"]
    second = (await _log(client, people["manager"], children["second"])).json()["items"]
    assert _by(second, people["worker"]) == []  # the search did not show the second child
    # The board showed both unacknowledged incidents to the manager.
    for entries in (first, second):
        assert "GET /api/v1/board" in {e["route"] for e in _by(entries, people["manager"])}


async def test_reading_the_access_log_is_audited_newest_first_and_paginated(client, two_children, db):
    people, children = two_children
    manager, child = people["manager"], children["first"]
    for _ in range(3):
        await client.get("/api/v1/incidents", headers=people["worker"].headers)
    first_read = (await _log(client, manager, child)).json()["items"]
    assert not any(e["action"] == "young_person.access_log.read" for e in first_read)

    everything = (await _log(client, manager, child, limit=200)).json()
    assert everything["next_cursor"] is None
    items = everything["items"]
    # The earlier read of the log is the newest entry, with its route template (no raw id).
    assert items[0]["action"] == "young_person.access_log.read"
    assert items[0]["route"] == "GET /api/v1/young-people/{young_person_id}/access-log"
    assert items[0]["actor"]["id"] == str(manager.id)
    times = [e["at"] for e in items]
    assert times == sorted(times, reverse=True)

    pages, cursor = [], None
    while True:
        page = (await _log(client, manager, child, limit=2, **({"cursor": cursor} if cursor else {}))).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    walked = [e for page in pages for e in page]
    assert all(len(p) <= 2 for p in pages) and len(pages) >= 3
    # The walk saw the read of the whole log made just before it, then exactly that log:
    # each page's own read is newer than every cursor, so nothing repeats or slips in.
    assert walked[0]["action"] == "young_person.access_log.read"
    assert walked[1:] == items

    bad = await _log(client, manager, child, cursor="x1")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in bad.json()["errors"]] == ["cursor"]
    assert (await chain.verify(db.engine)).ok


@pytest.mark.parametrize("who", ["police", "worker", "admin"])
async def test_only_managers_read_the_access_log(client, two_children, who):
    people, children = two_children
    response = await _log(client, people[who], children["first"])
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_manager_of_other_teams_or_an_unknown_child_gets_404(client, two_children):
    people, children = two_children
    assert (await _log(client, people["other_manager"], children["first"])).status_code == 404
    assert (await _log(client, people["manager"], str(uuid.uuid4()))).status_code == 404
