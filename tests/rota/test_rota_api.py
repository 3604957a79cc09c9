"""Rotas through the API: rotations in London wall time across the clock changes, overrides,
my on-call time, calendar exports, gap warnings, and who may do what."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from api.rota.models import OverrideShift, Rotation, RotationMember
from tests import paging_helpers

pytestmark = pytest.mark.fake_push


@pytest.fixture
async def people(make_user, world):
    return {
        "manager": await make_user("manager", teams_=["city-cce"]),
        "alice": await make_user("worker", teams_=["city-cce"], username="alice"),
        "ben": await make_user("worker", teams_=["city-cce"], username="ben"),
        "chloe": await make_user("worker", teams_=["city-cce"], username="chloe"),
    }


async def _rotation(client, team, manager, members, **overrides):
    body = {
        "name": "Nights",
        "level": "primary",
        "members": [str(m.id) for m in members],
        "start_local": "2026-03-20T17:00:00",
        "length_hours": 24,
        **overrides,
    }
    response = await client.post(f"/api/v1/teams/{team.id}/rotations", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _on_call(client, team, person, at: str, level: str = "primary") -> list[str]:
    response = await client.get(f"/api/v1/teams/{team.id}/on-call", params={"at": at}, headers=person.headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()[level]]


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_daily_17_00_hand_off_stays_at_17_00_across_the_spring_clock_change(client, team, people):
    alice, ben = people["alice"], people["ben"]
    created = await _rotation(client, team, people["manager"], [alice, ben])
    assert created["members"] == [
        {"id": str(alice.id), "display_name": "Test worker"},
        {"id": str(ben.id), "display_name": "Test worker"},
    ]
    assert created["starts_at"] == "2026-03-20T17:00:00Z"

    # Saturday 28 March 17:00 GMT (index 8, Alice) to Sunday 29 March 17:00 BST (16:00 UTC): 23 h.
    assert await _on_call(client, team, alice, "2026-03-28T16:59:00Z") == [str(ben.id)]
    assert await _on_call(client, team, alice, "2026-03-28T17:00:00Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-03-29T01:30:00Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-03-29T15:59:59Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-03-29T17:00:00+01:00") == [str(ben.id)]


async def test_a_daily_17_00_hand_off_stays_at_17_00_across_the_autumn_clock_change(client, team, people):
    alice, ben = people["alice"], people["ben"]
    await _rotation(client, team, people["manager"], [alice, ben], start_local="2026-10-01T17:00:00")
    # Saturday 24 October 17:00 BST (16:00 UTC, index 23, Ben) to Sunday 25 October 17:00 GMT: 25 h.
    assert await _on_call(client, team, alice, "2026-10-24T15:59:00Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-10-24T16:00:00Z") == [str(ben.id)]
    assert await _on_call(client, team, alice, "2026-10-25T01:30:00+01:00") == [str(ben.id)]
    assert await _on_call(client, team, alice, "2026-10-25T01:30:00+00:00") == [str(ben.id)]
    assert await _on_call(client, team, alice, "2026-10-25T16:59:59Z") == [str(ben.id)]
    assert await _on_call(client, team, alice, "2026-10-25T17:00:00Z") == [str(alice.id)]


async def test_an_override_shift_wins_over_the_rotation_for_its_interval(client, team, people, db):
    alice, chloe = people["alice"], people["chloe"]
    await _rotation(client, team, people["manager"], [alice])
    shift = await client.post(
        f"/api/v1/teams/{team.id}/shifts",
        json={
            "user_id": str(chloe.id),
            "level": "primary",
            "starts_at": "2026-03-29T00:30:00Z",
            "ends_at": "2026-03-29T02:30:00+01:00",
        },
        headers=people["manager"].headers,
    )
    assert shift.status_code == 201, shift.text
    assert shift.json()["ends_at"] == "2026-03-29T01:30:00Z"
    assert await _on_call(client, team, alice, "2026-03-29T00:29:00Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-03-29T01:00:00Z") == [str(chloe.id)]
    assert await _on_call(client, team, alice, "2026-03-29T01:30:00Z") == [str(alice.id)]
    assert await _on_call(client, team, alice, "2026-03-29T01:00:00Z", level="secondary") == []
    listed = await client.get(
        f"/api/v1/teams/{team.id}/shifts", params={"from": "2026-03-28T00:00:00Z"}, headers=alice.headers
    )
    assert [s["user"]["id"] for s in listed.json()] == [str(chloe.id)]
    assert await _count(db, OverrideShift) == 1


async def test_my_on_call_says_now_and_next(client, team, people):
    alice, ben = people["alice"], people["ben"]
    await _rotation(
        client, team, people["manager"], [alice, ben], start_local="2026-01-05T09:00:00", length_hours=168
    )
    mine = {}
    for name in ("alice", "ben", "chloe"):
        response = await client.get("/api/v1/me/on-call", headers=people[name].headers)
        assert response.status_code == 200, response.text
        mine[name] = response.json()
    on_now = [name for name in ("alice", "ben") if mine[name]["now"]]
    assert len(on_now) == 1
    current = mine[on_now[0]]["now"][0]
    assert current["team"]["slug"] == "city-cce" and current["level"] == "primary"
    other = "ben" if on_now == ["alice"] else "alice"
    assert mine[other]["now"] == []
    assert mine[other]["next"]["starts_at"] == current["ends_at"]
    assert mine["chloe"] == {"now": [], "next": None}


async def test_calendars_of_the_team_rota_and_of_my_shifts(client, team, people):
    alice, ben = people["alice"], people["ben"]
    await _rotation(
        client, team, people["manager"], [alice, ben], start_local="2026-01-05T09:00:00", length_hours=168
    )

    response = await client.get(
        f"/api/v1/teams/{team.id}/rota.ics", params={"days": 14}, headers=alice.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    primary = [e for e in events if "primary" in str(e["SUMMARY"])]
    assert 2 <= len(primary) <= 4
    assert any("NOBODY ON CALL" in str(e["SUMMARY"]) for e in events if "secondary" in str(e["SUMMARY"]))
    for earlier, later in zip(primary, primary[1:], strict=False):
        assert earlier.decoded("DTEND") == later.decoded("DTSTART")

    mine = await client.get("/api/v1/me/shifts.ics", params={"days": 28}, headers=alice.headers)
    assert mine.status_code == 200
    my_events = Calendar.from_ical(mine.content).walk("VEVENT")
    assert len(my_events) in (2, 3)
    assert all(str(e["SUMMARY"]) == "On call (primary) - Leicester City CCE" for e in my_events)


async def test_gaps_warn_of_nobody_on_call_and_of_people_without_a_working_device(client, team, people, push):
    alice = people["alice"]
    await _rotation(
        client, team, people["manager"], [alice], start_local="2026-01-05T09:00:00", length_hours=168
    )

    response = await client.get(
        f"/api/v1/teams/{team.id}/rota/gaps", params={"days": 3}, headers=people["manager"].headers
    )
    assert response.status_code == 200, response.text
    gaps = response.json()["gaps"]
    assert {(g["level"], g["reason"]) for g in gaps} == {
        ("secondary", "nobody"),
        ("primary", "no_working_device"),
    }
    [unreachable] = [g for g in gaps if g["reason"] == "no_working_device"]
    assert unreachable["user"]["id"] == str(alice.id)
    assert unreachable["starts_at"] == response.json()["starts_at"]
    assert unreachable["ends_at"] == response.json()["ends_at"]

    await paging_helpers.register_phone(client, alice, push)
    after = await client.get(f"/api/v1/teams/{team.id}/rota/gaps", headers=people["manager"].headers)
    assert {(g["level"], g["reason"]) for g in after.json()["gaps"]} == {("secondary", "nobody")}


@pytest.mark.parametrize(
    ("role", "teams", "manage", "read"),
    [
        ("admin", [], 201, 200),
        ("manager", ["city-cce"], 201, 200),
        ("manager", ["city-cse"], 403, 403),
        ("worker", ["city-cce"], 403, 200),
        ("day_team", ["city-cce"], 403, 200),
        ("worker", ["city-cse"], 403, 403),
        ("police", [], 403, 403),
    ],
)
async def test_who_may_manage_and_read_a_rota(client, team, people, make_user, role, teams, manage, read):
    person = await make_user(role, teams_=teams, station="euston-street" if role == "police" else None)
    base = f"/api/v1/teams/{team.id}"
    rotation = {
        "level": "primary",
        "members": [str(people["alice"].id)],
        "start_local": "2026-01-05T09:00:00",
        "length_hours": 24,
    }
    shift = {
        "user_id": str(people["alice"].id),
        "level": "secondary",
        "starts_at": "2026-12-01T17:00:00Z",
        "ends_at": "2026-12-02T09:00:00Z",
    }
    assert (
        await client.post(f"{base}/rotations", json=rotation, headers=person.headers)
    ).status_code == manage
    assert (await client.post(f"{base}/shifts", json=shift, headers=person.headers)).status_code == manage
    gaps_status = 200 if manage == 201 else 403
    assert (await client.get(f"{base}/rota/gaps", headers=person.headers)).status_code == gaps_status
    for path in ("on-call", "rotations", "shifts", "rota.ics"):
        assert (await client.get(f"{base}/{path}", headers=person.headers)).status_code == read, path
    mine_status = 403 if role == "police" else 200
    assert (await client.get("/api/v1/me/on-call", headers=person.headers)).status_code == mine_status
    assert (await client.get("/api/v1/me/shifts.ics", headers=person.headers)).status_code == mine_status
    assert (await client.get(f"{base}/on-call")).status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_local": "2026-03-20T17:00:00+00:00"}, "start_local"),
        ({"start_local": "yesterday"}, "start_local"),
        ({"length_hours": 0}, "length_hours"),
        ({"level": "tertiary"}, "level"),
        ({"members": []}, "members"),
        ({"members": ["not-a-uuid"]}, "members.0"),
        ({"ends_local": "2026-03-01T00:00:00"}, "ends_local"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_rotations_are_refused_naming_the_field(client, team, people, db, changes, field):
    body = {
        "level": "primary",
        "members": [str(people["alice"].id)],
        "start_local": "2026-03-20T17:00:00",
        "length_hours": 24,
        **changes,
    }
    response = await client.post(
        f"/api/v1/teams/{team.id}/rotations", json=body, headers=people["manager"].headers
    )
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert await _count(db, Rotation) == 0 and await _count(db, RotationMember) == 0


async def test_people_outside_the_team_cannot_be_put_on_call(client, team, people, make_user, db):
    outsider = await make_user("worker", teams_=["county-cce"])
    police = await make_user("police", station="euston-street")
    body = {
        "level": "primary",
        "members": [str(people["alice"].id), str(outsider.id)],
        "start_local": "2026-03-20T17:00:00",
        "length_hours": 24,
    }
    response = await client.post(
        f"/api/v1/teams/{team.id}/rotations", json=body, headers=people["manager"].headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "members.1", "message": "not a worker or manager of this team"}
    ]
    shift = {
        "user_id": str(police.id),
        "level": "primary",
        "starts_at": "2026-12-01T17:00:00Z",
        "ends_at": "2026-12-02T09:00:00Z",
    }
    response = await client.post(
        f"/api/v1/teams/{team.id}/shifts", json=shift, headers=people["manager"].headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "user_id"
    assert await _count(db, Rotation) == 0 and await _count(db, OverrideShift) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "2026-12-01T17:00:00"}, "starts_at"),
        ({"ends_at": "2026-12-01T16:00:00Z"}, "ends_at"),
        ({"ends_at": "2027-02-01T16:00:00Z"}, "ends_at"),
        ({"level": "managers"}, "level"),
        ({"note": "x"}, "note"),
    ],
)
async def test_bad_shifts_are_refused_naming_the_field(client, team, people, db, changes, field):
    body = {
        "user_id": str(people["alice"].id),
        "level": "primary",
        "starts_at": "2026-12-01T17:00:00Z",
        "ends_at": "2026-12-02T09:00:00Z",
        **changes,
    }
    response = await client.post(
        f"/api/v1/teams/{team.id}/shifts", json=body, headers=people["manager"].headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert await _count(db, OverrideShift) == 0


async def test_on_call_wants_an_instant_with_an_offset_and_a_known_team(client, team, people):
    naive = await client.get(
        f"/api/v1/teams/{team.id}/on-call",
        params={"at": "2026-03-29T01:30:00"},
        headers=people["alice"].headers,
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "at"
    unknown = await client.get(
        "/api/v1/teams/00000000-0000-4000-8000-000000000000/on-call", headers=people["manager"].headers
    )
    assert unknown.status_code == 404
