"""Administration of a deployment through the API: areas, stations, teams and users created,
changed and retired (never deleted), by admins only, each change audited; a retired station
takes no more reports and a deactivated user's token stops working."""

from __future__ import annotations

from sqlalchemy import select

from api.audit.models import AuditEvent
from api.teams.models import Area, Station
from tests.incident_payloads import report


async def _actions(db) -> list[tuple[str, dict | None]]:
    async with db.session() as session:
        rows = await session.execute(select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.seq))
        return [(a, d) for a, d in rows.all()]


async def test_an_admin_creates_and_renames_an_area_and_a_station(client, db, make_user):
    admin = await make_user("admin")
    area = await client.post("/api/v1/areas", json={"slug": "north", "name": "North"}, headers=admin.headers)
    assert area.status_code == 201, area.text
    assert area.json() | {"id": None} == {"id": None, "slug": "north", "name": "North", "active": True}
    station = await client.post(
        "/api/v1/stations",
        json={"slug": "north-custody", "name": "North custody", "area": "north"},
        headers=admin.headers,
    )
    assert station.status_code == 201, station.text
    assert station.json()["area"] == "north"

    renamed = await client.patch(
        f"/api/v1/stations/{station.json()['id']}", json={"name": "North St custody"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "North St custody" and renamed.json()["active"] is True
    listed = (await client.get("/api/v1/stations", headers=admin.headers)).json()
    assert [s["name"] for s in listed] == ["North St custody"]
    area_patch = await client.patch(
        f"/api/v1/areas/{area.json()['id']}", json={"name": "Northshire"}, headers=admin.headers
    )
    assert area_patch.json()["name"] == "Northshire"
    actions = await _actions(db)
    assert [a for a, _ in actions] == ["area.create", "station.create", "station.update", "area.update"]
    assert actions[2][1] == {"fields": ["name"]}  # which fields, never their values


async def test_duplicates_unknown_areas_and_bad_fields_are_refused_and_change_nothing(
    client, db, world, make_user
):
    admin = await make_user("admin")
    dup = await client.post(
        "/api/v1/areas", json={"slug": "leicester-city", "name": "Again"}, headers=admin.headers
    )
    assert dup.status_code == 409
    unknown = await client.post(
        "/api/v1/stations", json={"slug": "x-custody", "name": "X", "area": "nowhere"}, headers=admin.headers
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "area"
    bad = await client.post("/api/v1/areas", json={"slug": "Bad Slug!", "name": ""}, headers=admin.headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"slug", "name"}
    null = await client.patch(
        f"/api/v1/stations/{world.stations['euston-street'].id}", json={"name": None}, headers=admin.headers
    )
    assert null.status_code == 422 and null.json()["errors"][0]["field"] == "name"
    async with db.session() as session:
        assert len((await session.execute(select(Area))).scalars().all()) == 3
        assert len((await session.execute(select(Station))).scalars().all()) == 4


async def test_only_admins_administer(client, world, make_user):
    manager = await make_user("manager", teams_=["city-cce"])
    station_id = world.stations["euston-street"].id
    team_id = world.teams["city-cce"].id
    for method, url, body in (
        ("POST", "/api/v1/areas", {"slug": "north", "name": "North"}),
        ("PATCH", f"/api/v1/areas/{world.areas['rutland'].id}", {"name": "R"}),
        ("POST", "/api/v1/stations", {"slug": "n-custody", "name": "N", "area": "rutland"}),
        ("PATCH", f"/api/v1/stations/{station_id}", {"active": False}),
        ("PATCH", f"/api/v1/teams/{team_id}", {"active": False}),
        ("PATCH", f"/api/v1/users/{manager.id}", {"roles": ["admin"]}),
        ("GET", "/api/v1/users", None),
    ):
        response = await client.request(method, url, json=body, headers=manager.headers)
        assert response.status_code == 403, (method, url, response.text)


async def test_a_retired_station_takes_no_more_reports_and_keeps_its_incidents(client, world, make_user):
    admin = await make_user("admin")
    police = await make_user("police", station="euston-street")
    before = await client.post("/api/v1/incidents", json=report(), headers=police.headers)
    assert before.status_code == 201, before.text

    retired = await client.patch(
        f"/api/v1/stations/{world.stations['euston-street'].id}",
        json={"active": False},
        headers=admin.headers,
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    refused = await client.post("/api/v1/incidents", json=report(), headers=police.headers)
    assert refused.status_code == 422, refused.text
    status = await client.get(f"/api/v1/incidents/{before.json()['id']}/status", headers=police.headers)
    assert status.status_code == 200


async def test_a_retired_team_is_routed_nothing_more(client, world, make_user):
    admin = await make_user("admin")
    police = await make_user("police", station="euston-street")
    retired = await client.patch(
        f"/api/v1/teams/{world.teams['city-cce'].id}",
        json={"active": False, "name": "Old CCE"},
        headers=admin.headers,
    )
    assert retired.status_code == 200, retired.text
    assert retired.json() | {"id": None} == {
        "id": None,
        "slug": "city-cce",
        "name": "Old CCE",
        "specialism": "cce",
        "area": "leicester-city",
        "active": False,
    }
    created = await client.post("/api/v1/incidents", json=report(), headers=police.headers)
    assert created.status_code == 201, created.text
    assert "city-cce" not in [t["slug"] for t in created.json()["teams"]]


async def test_an_admin_changes_a_users_roles_and_teams_and_deactivates_them(client, db, world, make_user):
    admin = await make_user("admin")
    worker = await make_user("worker", teams_=["city-cce"])
    assert (await client.get("/api/v1/me", headers=worker.headers)).status_code == 200

    changed = await client.patch(
        f"/api/v1/users/{worker.id}",
        json={
            "display_name": "Ria Shah",
            "roles": ["worker", "manager"],
            "team_ids": [str(world.teams["city-cse"].id)],
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["display_name"], body["roles"], body["team_ids"]) == (
        "Ria Shah",
        ["manager", "worker"],
        [str(world.teams["city-cse"].id)],
    )
    me = (await client.get("/api/v1/me", headers=worker.headers)).json()
    assert [t["slug"] for t in me["teams"]] == ["city-cse"] and "manager" in me["roles"]

    off = await client.patch(f"/api/v1/users/{worker.id}", json={"active": False}, headers=admin.headers)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await client.get("/api/v1/me", headers=worker.headers)).status_code == 401
    listed = {u["id"]: u for u in (await client.get("/api/v1/users", headers=admin.headers)).json()}
    assert listed[str(worker.id)]["active"] is False  # kept, never deleted
    assert ("user.update", {"fields": ["team_ids", "display_name", "roles"]}) in await _actions(db)


async def test_user_changes_are_checked(client, world, make_user):
    admin = await make_user("admin")
    worker = await make_user("worker", teams_=["city-cce"])
    police_without_station = await client.patch(
        f"/api/v1/users/{worker.id}", json={"roles": ["police"]}, headers=admin.headers
    )
    assert police_without_station.status_code == 422
    assert police_without_station.json()["errors"][0]["field"] == "station"
    unknown_team = await client.patch(
        f"/api/v1/users/{worker.id}", json={"team_ids": [str(admin.id)]}, headers=admin.headers
    )
    assert unknown_team.status_code == 422 and unknown_team.json()["errors"][0]["field"] == "team_ids"
    me = (await client.get("/api/v1/me", headers=worker.headers)).json()
    assert me["roles"] == ["worker"] and [t["slug"] for t in me["teams"]] == ["city-cce"]
    # An admin cannot lock themselves out.
    for body in ({"active": False}, {"roles": ["manager"]}):
        response = await client.patch(f"/api/v1/users/{admin.id}", json=body, headers=admin.headers)
        assert response.status_code == 422, response.text
    missing = await client.patch(
        "/api/v1/users/00000000-0000-4000-8000-000000000000", json={"active": False}, headers=admin.headers
    )
    assert missing.status_code == 404
