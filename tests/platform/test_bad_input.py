"""Bad input gets a clear 4xx problem+json naming the fields, and nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from api.teams.models import Team


async def _team_count(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Team))).scalar_one()


def _is_problem(response) -> dict:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    return body


async def test_malformed_json_is_400(client, world, make_user, db):
    admin = await make_user("admin")
    before = await _team_count(db)
    response = await client.post(
        "/api/v1/teams",
        content=b'{"slug": "x-y", "name": ',
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert _is_problem(response)["errors"][0]["field"] == "body"
    assert await _team_count(db) == before


async def test_wrong_types_and_missing_fields_name_each_field(client, world, make_user, db):
    admin = await make_user("admin")
    before = await _team_count(db)
    response = await client.post(
        "/api/v1/teams", json={"slug": 42, "specialism": "pirates", "area": "rutland"}, headers=admin.headers
    )
    assert response.status_code == 422
    fields = {e["field"] for e in _is_problem(response)["errors"]}
    assert fields == {"slug", "name", "specialism"}
    assert await _team_count(db) == before


async def test_unknown_fields_are_rejected(client, world, make_user, db):
    admin = await make_user("admin")
    before = await _team_count(db)
    response = await client.post(
        "/api/v1/teams",
        json={"slug": "ok-slug", "name": "OK", "specialism": "cse", "area": "rutland", "colour": "red"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    errors = _is_problem(response)["errors"]
    assert errors == [{"field": "colour", "message": "unknown field"}]
    assert await _team_count(db) == before


async def test_oversized_body_is_413(client, world, make_user, db, settings):
    admin = await make_user("admin")
    before = await _team_count(db)
    huge = "x" * (settings.max_body_bytes + 10)
    response = await client.post(
        "/api/v1/teams",
        json={"slug": "big", "name": huge, "specialism": "cse", "area": "rutland"},
        headers=admin.headers,
    )
    assert response.status_code == 413
    _is_problem(response)
    assert await _team_count(db) == before


async def test_unknown_api_path_is_a_problem_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    _is_problem(response)
