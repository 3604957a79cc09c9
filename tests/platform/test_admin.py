"""Administration of teams and users, and its role checks."""

from __future__ import annotations

from sqlalchemy import func, select

from api.auth.models import User
from api.teams.models import Team


async def test_admin_creates_a_team_and_a_user_who_can_sign_in(client, world, make_user):
    admin = await make_user("admin")
    team = await client.post(
        "/api/v1/teams",
        json={
            "slug": "city-missing",
            "name": "City missing team",
            "specialism": "general",
            "area": "leicester-city",
        },
        headers=admin.headers,
    )
    assert team.status_code == 201, team.text
    assert team.json()["area"] == "leicester-city"
    user = await client.post(
        "/api/v1/users",
        json={
            "username": "new.worker",
            "display_name": "New Worker",
            "password": "a-long-enough-pass",
            "roles": ["worker"],
            "team_ids": [team.json()["id"]],
        },
        headers=admin.headers,
    )
    assert user.status_code == 201, user.text
    assert user.json()["team_ids"] == [team.json()["id"]]
    token = await client.post(
        "/api/v1/auth/token", data={"username": "new.worker", "password": "a-long-enough-pass"}
    )
    assert token.status_code == 200


async def test_only_admins_administer(client, world, make_user):
    for role in ("police", "worker", "day_team", "manager"):
        person = await make_user(role, station="euston-street" if role == "police" else None)
        response = await client.post(
            "/api/v1/teams",
            json={"slug": f"x-{role}".replace("_", "-"), "name": "X", "specialism": "cse", "area": "rutland"},
            headers=person.headers,
        )
        assert response.status_code == 403, role
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_duplicate_team_slug_conflicts_and_unknown_area_is_named(client, world, make_user, db):
    admin = await make_user("admin")
    dup = await client.post(
        "/api/v1/teams",
        json={"slug": "city-cse", "name": "X", "specialism": "cse", "area": "leicester-city"},
        headers=admin.headers,
    )
    assert dup.status_code == 409
    bad_area = await client.post(
        "/api/v1/teams",
        json={"slug": "mars-cse", "name": "X", "specialism": "cse", "area": "mars"},
        headers=admin.headers,
    )
    assert bad_area.status_code == 422
    assert bad_area.json()["errors"][0]["field"] == "area"
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Team))).scalar_one() == 9


async def test_police_user_needs_a_station_and_nothing_is_written(client, world, make_user, db):
    admin = await make_user("admin")
    response = await client.post(
        "/api/v1/users",
        json={
            "username": "pc.nostation",
            "display_name": "PC",
            "password": "a-long-enough-pass",
            "roles": ["police"],
        },
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "station"
    async with db.session() as session:
        assert (await session.execute(select(User).where(User.username == "pc.nostation"))).first() is None


async def test_teams_list_is_for_staff(client, world, make_user):
    worker = await make_user("worker")
    listed = await client.get("/api/v1/teams", headers=worker.headers)
    assert listed.status_code == 200
    assert len(listed.json()) == 9
    police = await make_user("police", station="euston-street")
    assert (await client.get("/api/v1/teams", headers=police.headers)).status_code == 403
