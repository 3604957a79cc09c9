"""Managers change a rota after the fact: edit a rotation (lost updates refused with If-Match),
end it (its shifts after the end leave on-call and show as gaps), and delete an override."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.rota.models import OverrideShift, Rotation, RotationMember
from api.rota.schedule import LONDON

pytestmark = pytest.mark.fake_push


@pytest.fixture
async def people(make_user, world):
    return {
        "manager": await make_user("manager", teams_=["city-cce"]),
        "other_manager": await make_user("manager", teams_=["city-cse"]),
        "alice": await make_user("worker", teams_=["city-cce"], username="alice"),
        "ben": await make_user("worker", teams_=["city-cce"], username="ben"),
        "outsider": await make_user("worker", teams_=["city-cse"], username="outsider"),
    }


def _wall(at: datetime) -> str:
    return at.astimezone(LONDON).replace(tzinfo=None, microsecond=0).isoformat()


NOW = datetime.now(UTC).replace(microsecond=0)  # when the module was imported: only for far-off instants


async def _weekly(client, team, manager, members, start: datetime | None = None) -> dict:
    body = {
        "name": "Nights",
        "level": "primary",
        "members": [str(m.id) for m in members],
        "start_local": _wall(start or NOW - timedelta(days=2)),
        "length_hours": 24 * 7,
    }
    response = await client.post(f"/api/v1/teams/{team.id}/rotations", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _on_call(client, team, person, at: datetime) -> list[str]:
    response = await client.get(
        f"/api/v1/teams/{team.id}/on-call", params={"at": at.isoformat()}, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["primary"]]


async def test_a_manager_edits_the_members_and_the_new_order_is_on_call(client, team, people):
    manager, alice, ben = people["manager"], people["alice"], people["ben"]
    rotation = await _weekly(client, team, manager, [alice])
    assert rotation["version"] == 1
    assert await _on_call(client, team, manager, NOW) == [str(alice.id)]

    response = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}",
        json={"members": [str(ben.id), str(alice.id)], "name": "Nights (winter)"},
        headers={**manager.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["version"] == 2 and response.headers["ETag"] == '"2"'
    assert edited["name"] == "Nights (winter)"
    assert [m["id"] for m in edited["members"]] == [str(ben.id), str(alice.id)]
    assert edited["start_local"] == rotation["start_local"]  # what was not sent stays
    assert await _on_call(client, team, manager, NOW) == [str(ben.id)]
    assert await _on_call(client, team, manager, NOW + timedelta(days=7)) == [str(alice.id)]

    listed = await client.get(f"/api/v1/teams/{team.id}/rotations", headers=alice.headers)
    assert [r["version"] for r in listed.json()] == [2]


async def test_a_stale_if_match_is_refused_and_changes_nothing(client, db, team, people):
    manager, alice, ben = people["manager"], people["alice"], people["ben"]
    rotation = await _weekly(client, team, manager, [alice])
    url = f"/api/v1/teams/{team.id}/rotations/{rotation['id']}"
    first = await client.patch(url, json={"name": "A"}, headers={**manager.headers, "If-Match": '"1"'})
    assert first.status_code == 200, first.text

    stale = await client.patch(
        url, json={"members": [str(ben.id)]}, headers={**manager.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"].startswith("application/problem+json")
    async with db.session() as session:
        members = (await session.execute(select(RotationMember.user_id))).scalars().all()
        assert members == [alice.id]
        assert (await session.get(Rotation, uuid.UUID(rotation["id"]))).version == 2

    # Without If-Match the last write wins.
    last = await client.patch(url, json={"members": [str(ben.id)]}, headers=manager.headers)
    assert last.status_code == 200, last.text
    assert last.json()["version"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"members": [], "name": "x"}, "members"),
        ({"length_hours": 0}, "length_hours"),
        ({"level": "secondary"}, "level"),
        ({"members": None}, "members"),
        ({"start_local": "2026-03-01T17:00:00+00:00"}, "start_local"),
    ],
)
async def test_a_bad_edit_names_the_field_and_changes_nothing(client, db, team, people, body, field):
    manager, alice = people["manager"], people["alice"]
    rotation = await _weekly(client, team, manager, [alice])
    response = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}", json=body, headers=manager.headers
    )
    assert response.status_code == 422, response.text
    assert field in str([e["field"] for e in response.json()["errors"]])
    async with db.session() as session:
        assert (await session.get(Rotation, uuid.UUID(rotation["id"]))).version == 1


async def test_someone_outside_the_team_cannot_be_put_on_its_rotation(client, db, team, people):
    manager, alice = people["manager"], people["alice"]
    rotation = await _weekly(client, team, manager, [alice])
    response = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}",
        json={"members": [str(alice.id), str(people["outsider"].id)]},
        headers=manager.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "members.1"


async def test_only_the_teams_managers_edit_or_end_its_rotations(client, world, team, people):
    manager, alice = people["manager"], people["alice"]
    rotation = await _weekly(client, team, manager, [alice])
    url = f"/api/v1/teams/{team.id}/rotations/{rotation['id']}"
    for person in (alice, people["other_manager"]):
        assert (await client.patch(url, json={"name": "x"}, headers=person.headers)).status_code == 403
        assert (await client.delete(url, headers=person.headers)).status_code == 403
    # Through another team's URL the rotation does not exist.
    other = world.teams["city-cse"]
    admin = people["other_manager"]
    wrong = await client.patch(
        f"/api/v1/teams/{other.id}/rotations/{rotation['id']}", json={"name": "x"}, headers=admin.headers
    )
    assert wrong.status_code == 404, wrong.text


async def test_an_end_date_takes_the_later_shifts_off_call_and_shows_them_as_gaps(client, team, people):
    manager, alice = people["manager"], people["alice"]
    rotation = await _weekly(client, team, manager, [alice])
    ends = NOW + timedelta(days=2)
    response = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}",
        json={"ends_local": _wall(ends)},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["ends_at"] is not None
    assert await _on_call(client, team, manager, NOW) == [str(alice.id)]
    assert await _on_call(client, team, manager, ends + timedelta(hours=1)) == []

    gaps = await client.get(f"/api/v1/teams/{team.id}/rota/gaps", params={"days": 7}, headers=manager.headers)
    nobody = [g for g in gaps.json()["gaps"] if g["reason"] == "nobody" and g["level"] == "primary"]
    assert len(nobody) == 1
    assert abs(datetime.fromisoformat(nobody[0]["starts_at"]) - ends) < timedelta(seconds=1)

    # Taking the end away (null) puts the shifts back.
    again = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}",
        json={"ends_local": None},
        headers=manager.headers,
    )
    assert again.status_code == 200, again.text
    assert await _on_call(client, team, manager, ends + timedelta(hours=1)) == [str(alice.id)]


async def test_an_end_before_the_start_is_refused(client, team, people):
    manager, alice = people["manager"], people["alice"]
    rotation = await _weekly(client, team, manager, [alice])
    response = await client.patch(
        f"/api/v1/teams/{team.id}/rotations/{rotation['id']}",
        json={"ends_local": _wall(NOW - timedelta(days=5))},
        headers=manager.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "ends_local"


async def test_delete_ends_a_running_rotation_now_and_removes_one_not_started(client, db, team, people):
    manager, alice, ben = people["manager"], people["alice"], people["ben"]
    running = await _weekly(client, team, manager, [alice])
    future = await _weekly(client, team, manager, [ben], start=NOW + timedelta(days=10))

    response = await client.delete(
        f"/api/v1/teams/{team.id}/rotations/{running['id']}", headers=manager.headers
    )
    assert response.status_code == 204, response.text
    assert await _on_call(client, team, manager, datetime.now(UTC) + timedelta(minutes=1)) == []
    response = await client.delete(
        f"/api/v1/teams/{team.id}/rotations/{future['id']}", headers=manager.headers
    )
    assert response.status_code == 204, response.text
    assert await _on_call(client, team, manager, NOW + timedelta(days=11)) == []

    listed = (await client.get(f"/api/v1/teams/{team.id}/rotations", headers=manager.headers)).json()
    assert [r["id"] for r in listed] == [running["id"]]  # kept for the record, with its end
    assert listed[0]["ends_local"] is not None
    async with db.session() as session:
        actions = (await session.execute(select(AuditEvent.action).order_by(AuditEvent.seq))).scalars().all()
    assert "rota.rotation.end" in actions and "rota.rotation.delete" in actions
    missing = await client.delete(
        f"/api/v1/teams/{team.id}/rotations/{future['id']}", headers=manager.headers
    )
    assert missing.status_code == 404


async def test_deleting_an_override_gives_the_interval_back_to_the_rotation(client, db, team, people):
    manager, alice, ben = people["manager"], people["alice"], people["ben"]
    await _weekly(client, team, manager, [alice])
    created = await client.post(
        f"/api/v1/teams/{team.id}/shifts",
        json={
            "user_id": str(ben.id),
            "level": "primary",
            "starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "ends_at": (NOW + timedelta(hours=5)).isoformat(),
        },
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    assert await _on_call(client, team, manager, NOW) == [str(ben.id)]
    url = f"/api/v1/teams/{team.id}/shifts/{created.json()['id']}"

    assert (await client.delete(url, headers=alice.headers)).status_code == 403
    assert (await client.delete(url, headers=people["other_manager"].headers)).status_code == 403
    response = await client.delete(url, headers=manager.headers)
    assert response.status_code == 204, response.text
    assert await _on_call(client, team, manager, NOW) == [str(alice.id)]
    async with db.session() as session:
        assert (await session.execute(select(OverrideShift))).scalars().all() == []
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "rota.shift.delete"))
        ).scalar_one()
        assert event.team_id == team.id
    assert (await client.delete(url, headers=manager.headers)).status_code == 404


async def test_the_team_members_list_names_who_can_go_on_the_rota(client, team, people, make_user):
    response = await client.get(f"/api/v1/teams/{team.id}/members", headers=people["alice"].headers)
    assert response.status_code == 200, response.text
    listed = {m["id"]: m for m in response.json()}
    assert set(listed) == {str(people[k].id) for k in ("manager", "alice", "ben")}
    assert listed[str(people["alice"].id)]["on_call"] is True
    outsider = await client.get(f"/api/v1/teams/{team.id}/members", headers=people["outsider"].headers)
    assert outsider.status_code == 403
