"""Strategy meetings about a place (issue 15), through the HTTP API on both databases.

Managers and hub coordinators of the place's area record who attended, the concerns, the
agreed actions and a review date; the place's profile shows the open actions and the next
review; the review date is a `strategy_review` clock, met by the next meeting about the place.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.handover.clocks import strategy_review_clock
from api.jobs.models import Job
from api.places import strategy
from api.places.models import Place, StrategyMeeting
from api.rota.schedule import LONDON
from tests.handover_helpers import run_pass

STATION = "Leicester railway station"
OFFICER = "Sergeant Priya Okafor"  # a professional's name: it must stay out of logs and audit


@pytest.fixture
async def coordinator(world, make_user):
    return await make_user("coordinator", teams_=["city-cce", "city-cse"])


@pytest.fixture
async def station(client, coordinator) -> dict:
    body = {"name": STATION, "area": "leicester-city", "type": "transport_hub"}
    response = await client.post("/api/v1/places", json=body, headers=coordinator.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _today() -> date:
    return datetime.now(UTC).astimezone(LONDON).date()


def meeting(owner_user_id: uuid.UUID | None = None, **overrides) -> dict:
    today = _today()
    body = {
        "held_on": (today - timedelta(days=1)).isoformat(),
        "attendees": [
            {"name": OFFICER, "agency": "British Transport Police"},
            {"name": "Dan Whitfield", "agency": "Station operator"},
        ],
        "concerns": "Older males meeting young people on platform 2 after 21:00",
        "actions": [
            {
                "kind": "patrols",
                "description": "High-visibility patrols Friday and Saturday evenings",
                "owner": "British Transport Police",
                "due_on": (today + timedelta(days=14)).isoformat(),
            },
            {
                "kind": "work_with_venue",
                "description": "Staff briefing on spotting exploitation",
                "owner_user_id": str(owner_user_id) if owner_user_id else None,
                "owner": None if owner_user_id else "Station operator",
            },
            {
                "kind": "outreach",
                "description": "Detached youth work at the forecourt",
                "owner": "Youth service",
            },
        ],
        "review_on": (today + timedelta(days=28)).isoformat(),
    }
    body.update(overrides)
    return body


async def _record(client, person, place_id: str, body: dict) -> dict:
    response = await client.post(
        f"/api/v1/places/{place_id}/strategy-meetings", json=body, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_coordinator_records_a_meeting_and_the_profile_shows_its_open_actions(
    client, coordinator, manager, station
):
    recorded = await _record(client, coordinator, station["id"], meeting(owner_user_id=manager.id))
    assert [a["kind"] for a in recorded["actions"]] == ["patrols", "work_with_venue", "outreach"]
    assert recorded["actions"][1]["owner"] == {"user_id": str(manager.id), "name": "Test manager"}
    assert recorded["attendees"][0] == {"name": OFFICER, "agency": "British Transport Police"}
    review = recorded["review"]
    assert review["kind"] == "strategy_review" and review["status"] == "open" and not review["met"]
    # Due at the end of the review day, London time.
    review_on = date.fromisoformat(review["review_on"])
    assert datetime.fromisoformat(review["due_at"]) == datetime(
        review_on.year, review_on.month, review_on.day, tzinfo=LONDON
    ) + timedelta(days=1)

    profile = (
        await client.get(f"/api/v1/places/{station['id']}/profile", headers=coordinator.headers)
    ).json()
    assert [a["description"] for a in profile["strategy"]["open_actions"]][0].startswith("High-visibility")
    assert len(profile["strategy"]["open_actions"]) == 3
    assert profile["strategy"]["next_review"]["review_on"] == review["review_on"]
    assert profile["strategy"]["meetings"] == 1

    listed = (
        await client.get(f"/api/v1/places/{station['id']}/strategy-meetings", headers=manager.headers)
    ).json()
    assert [m["id"] for m in listed["items"]] == [recorded["id"]]
    assert listed["items"][0]["concerns"].startswith("Older males")


async def test_marking_an_action_done_removes_it_from_the_open_actions(client, coordinator, manager, station):
    recorded = await _record(client, coordinator, station["id"], meeting())
    patrols = recorded["actions"][0]["id"]
    url = f"/api/v1/places/{station['id']}/strategy-actions/{patrols}"
    done = await client.patch(url, json={"status": "done"}, headers=manager.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["done_at"]
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=manager.headers)).json()
    assert patrols not in {a["id"] for a in profile["strategy"]["open_actions"]}
    assert len(profile["strategy"]["open_actions"]) == 2
    again = await client.patch(url, json={"status": "done"}, headers=manager.headers)
    assert again.status_code == 200
    reopened = await client.patch(url, json={"status": "open"}, headers=manager.headers)
    assert reopened.json()["status"] == "open" and reopened.json()["done_at"] is None
    wrong = await client.patch(url, json={"status": "finished"}, headers=manager.headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "status"
    elsewhere = await client.patch(
        f"/api/v1/places/{station['id']}/strategy-actions/{uuid.uuid4()}",
        json={"status": "done"},
        headers=manager.headers,
    )
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"held_on": "2999-01-01", "review_on": "2999-02-01"}, "held_on"),
        ({"review_on": "2020-01-01"}, "review_on"),
        ({"attendees": []}, "attendees"),
        ({"concerns": ""}, "concerns"),
        ({"attendees": [{"name": "A\u202eB", "agency": "Police"}]}, "attendees.0.name"),
        ({"actions": [{"kind": "curfew", "description": "x", "owner": "Police"}]}, "actions.0.kind"),
        ({"actions": [{"kind": "patrols", "description": "x"}]}, "actions.0.owner"),
        (
            {"actions": [{"kind": "patrols", "description": "x", "owner_user_id": str(uuid.uuid4())}]},
            "actions.0.owner_user_id",
        ),
        (
            {"actions": [{"kind": "patrols", "description": "x", "owner": "P", "due_on": "2001-01-01"}]},
            "actions.0.due_on",
        ),
        ({"minutes": "not a field"}, "minutes"),
    ],
)
async def test_bad_meetings_are_refused_naming_the_field(client, coordinator, station, change, field):
    response = await client.post(
        f"/api/v1/places/{station['id']}/strategy-meetings",
        json=meeting(**change),
        headers=coordinator.headers,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_only_managers_and_coordinators_of_the_places_area_record_and_read_meetings(
    client, world, make_user, coordinator, station
):
    url = f"/api/v1/places/{station['id']}/strategy-meetings"
    for role, teams, station_slug in (
        ("worker", ["city-cce"], None),
        ("day_team", ["city-cce"], None),
        ("police", [], "euston-street"),
        ("admin", [], None),
    ):
        person = await make_user(role, teams_=teams, station=station_slug)
        assert (await client.post(url, json=meeting(), headers=person.headers)).status_code == 403, role
        assert (await client.get(url, headers=person.headers)).status_code == 403, role
    county = await make_user("coordinator", teams_=["county-cce"])
    assert (await client.post(url, json=meeting(), headers=county.headers)).status_code == 404
    assert (await client.get(url, headers=county.headers)).status_code == 404
    reviews = await client.get("/api/v1/strategy-reviews", headers=county.headers)
    await _record(client, coordinator, station["id"], meeting())
    reviews = await client.get("/api/v1/strategy-reviews", headers=county.headers)
    assert reviews.status_code == 200 and reviews.json()["clocks"] == []
    # A worker reading the profile still sees the open actions (patrols may matter tonight).
    worker = await make_user("worker", teams_=["city-cse"])
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=worker.headers)).json()
    assert len(profile["strategy"]["open_actions"]) == 3


async def test_the_review_date_is_a_clock_the_hub_sees_and_the_next_meeting_meets(
    client, db, coordinator, manager, station
):
    today = _today()
    overdue = meeting(
        held_on=(today - timedelta(days=40)).isoformat(), review_on=(today - timedelta(days=2)).isoformat()
    )
    first = await _record(client, coordinator, station["id"], overdue)
    assert first["review"]["status"] == "overdue"
    queue = (await client.get("/api/v1/strategy-reviews", headers=manager.headers)).json()["clocks"]
    assert [(c["meeting_id"], c["place_name"], c["status"]) for c in queue] == [
        (first["id"], STATION, "overdue")
    ]

    second = await _record(client, coordinator, station["id"], meeting())
    queue = (await client.get("/api/v1/strategy-reviews", headers=manager.headers)).json()["clocks"]
    assert [c["meeting_id"] for c in queue] == [second["id"]]
    everything = (
        await client.get("/api/v1/strategy-reviews", params={"include_met": True}, headers=manager.headers)
    ).json()["clocks"]
    met = next(c for c in everything if c["meeting_id"] == first["id"])
    assert met["met"] and met["status"] == "met"
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=manager.headers)).json()
    assert profile["strategy"]["next_review"]["meeting_id"] == second["id"]
    # The first meeting's actions stay open until someone marks them done.
    assert len(profile["strategy"]["open_actions"]) == 6

    marked = await client.post(
        f"/api/v1/strategy-meetings/{second['id']}/review/met",
        json={"note": "Reviewed by email"},
        headers=manager.headers,
    )
    assert marked.status_code == 200 and marked.json()["status"] == "met"
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=manager.headers)).json()
    assert profile["strategy"]["next_review"] is None


async def test_the_review_clock_approaches_and_goes_overdue_by_the_clock_rules(
    db, client, coordinator, station
):
    recorded_at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    spec = strategy_review_clock(recorded_at, date(2026, 3, 30))
    # 30 March 2026 is summer time in London: midnight after it is 23:00 UTC.
    assert spec.due_at == datetime(2026, 3, 30, 23, 0, tzinfo=UTC)
    async with db.session() as session:
        place = await session.get(Place, uuid.UUID(station["id"]))
        row = StrategyMeeting(
            place_id=place.id,
            held_on=date(2026, 3, 1),
            attendees=[],
            concerns="x",
            review_on=date(2026, 3, 30),
            review_starts_at=spec.starts_at,
            review_due_at=spec.due_at,
            created_by_id=coordinator.id,
        )
        status = [
            strategy.review_out(row, place.name, at).status
            for at in (
                recorded_at + timedelta(days=1),
                spec.due_at - timedelta(days=2),
                spec.due_at + timedelta(minutes=1),
            )
        ]
    assert status == ["open", "approaching", "overdue"]


async def test_every_change_is_audited_without_names_or_free_text(client, db, coordinator, manager, station):
    recorded = await _record(client, coordinator, station["id"], meeting())
    await client.patch(
        f"/api/v1/places/{station['id']}/strategy-actions/{recorded['actions'][0]['id']}",
        json={"status": "done"},
        headers=manager.headers,
    )
    await client.get(f"/api/v1/places/{station['id']}/strategy-meetings", headers=manager.headers)
    async with db.session() as session:
        events = {
            e.action: e
            for e in (
                await session.execute(select(AuditEvent).where(AuditEvent.action.like("place.strategy%")))
            ).scalars()
        }
    assert set(events) == {
        "place.strategy_meeting.create",
        "place.strategy_action.update",
        "place.strategy_meeting.list",
    }
    created = events["place.strategy_meeting.create"]
    assert created.actor_id == coordinator.id and str(created.resource_id) == station["id"]
    assert created.detail["actions"] == 3 and created.detail["attendees"] == 2
    assert events["place.strategy_action.update"].detail["status"] == "done"
    written = repr([e.detail for e in events.values()])
    assert OFFICER not in written and "platform 2" not in written and "Station operator" not in written


async def test_names_stay_out_of_the_logs(client, coordinator, station, caplog):
    caplog.set_level("DEBUG")
    await _record(client, coordinator, station["id"], meeting())
    assert OFFICER not in caplog.text and "platform 2" not in caplog.text


async def test_open_review_clocks_are_among_the_areas_hub_staffs_and_the_action_owners_clocks(
    client, db, world, make_user, coordinator, manager, station
):
    """`GET /me/clocks` lists the open review clocks in `strategy_reviews`: for the coordinators
    and managers of the place's area and the owner (a user) of one of the meeting's open actions;
    not for another area's coordinator nor a day team member who owns no action. An overdue
    review is never paged to the managers by the handover's raise pass."""
    today = _today()
    owner = await make_user("day_team", teams_=["city-cce"])
    other_day = await make_user("day_team", teams_=["city-cce"])
    county = await make_user("coordinator", teams_=["county-cce"])
    overdue = meeting(
        owner.id,
        held_on=(today - timedelta(days=40)).isoformat(),
        review_on=(today - timedelta(days=2)).isoformat(),
    )
    first = await _record(client, coordinator, station["id"], overdue)

    async def reviews(person) -> list[tuple[str, str, str]]:
        response = await client.get("/api/v1/me/clocks", headers=person.headers)
        assert response.status_code == 200, response.text
        return [(c["meeting_id"], c["place_name"], c["status"]) for c in response.json()["strategy_reviews"]]

    for person in (coordinator, manager, owner):
        assert await reviews(person) == [(first["id"], STATION, "overdue")]
    assert await reviews(county) == []
    assert await reviews(other_day) == []

    # The overdue review is never paged to the managers (the raise pass reads only `clocks`).
    result = await run_pass(db, datetime.now(UTC) + timedelta(hours=1))
    assert result["pages_enqueued"] == 0
    async with db.session() as session:
        assert (await session.execute(select(Job).where(Job.kind == "page.managers"))).scalars().all() == []

    # The owner's action done: the review leaves their clocks, not the hub's.
    action = next(a for a in first["actions"] if a["owner"].get("user_id") == str(owner.id))
    done = await client.patch(
        f"/api/v1/places/{station['id']}/strategy-actions/{action['id']}",
        json={"status": "done"},
        headers=coordinator.headers,
    )
    assert done.status_code == 200, done.text
    assert await reviews(owner) == []
    assert await reviews(manager) == [(first["id"], STATION, "overdue")]

    # The next meeting meets the review: a new open one (not overdue) replaces it.
    second = await _record(client, coordinator, station["id"], meeting())
    assert await reviews(coordinator) == [(second["id"], STATION, "open")]
    async with db.session() as session:
        mine = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "place.strategy_review.mine")
                )
            )
            .scalars()
            .all()
        )
    assert mine and all(OFFICER not in str(event.detail) for event in mine)
