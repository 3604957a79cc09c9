"""Police never learn whether another station's incident exists (issue 10, finding 12).

Every route with an `{incident_id}` answers police asking about another station's incident
exactly as it answers an id that does not exist: 404 problem+json. Before the fix the detail
route (and the support offer, handover note and acknowledge routes) answered 403 there.
The routes are taken from the app itself, so a new incident route is covered too.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from tests.conftest import one_database
from tests.incident_payloads import report


def _incident_routes(app) -> list[tuple[str, str]]:
    found = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and "{incident_id}" in ctx.path:
            found += [(method, ctx.path) for method in sorted(route.methods - {"HEAD"})]
    return found


def _url(path: str, incident_id) -> str:
    url = path.replace("{incident_id}", str(incident_id))
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), url)


def _body(method: str, path: str) -> dict | None:
    if method == "GET":
        return None
    if path.endswith("/acknowledge"):
        return {"action": "phoning"}
    if "support-offers" in path:
        return {"kind": "safe_transport", "outcome": "accepted", "offered_at": "2026-01-01T00:00:00Z"}
    return {"text": "A note."}


@pytest.fixture
async def reports(client, world, make_user):
    euston = await make_user("police", station="euston-street")
    lboro = await make_user("police", station="loughborough")
    mine = await client.post("/api/v1/incidents", json=report(), headers=euston.headers)
    theirs = await client.post(
        "/api/v1/incidents",
        json=report(
            police_station="loughborough",
            location={"description": "Loughborough bus station", "area": "leicestershire"},
        ),
        headers=lboro.headers,
    )
    assert mine.status_code == theirs.status_code == 201
    return euston, mine.json()["id"], theirs.json()["id"]


@one_database
def test_every_incident_route_is_guarded_by_incident_roles(settings):
    app = create_app(settings)
    routes = [
        (ctx.path, ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute) and "{incident_id}" in ctx.path
    ]
    assert len(routes) >= 9
    unguarded = [
        path
        for path, route in routes
        if not any(getattr(d.call, "incident_scoped", False) for d in route.dependant.dependencies)
    ]
    assert unguarded == []


async def test_police_get_404_for_another_stations_incident_on_every_incident_route(client, app, reports):
    euston, mine, theirs = reports
    routes = _incident_routes(app)
    assert {p for _, p in routes} >= {
        "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/status",
        "/api/v1/incidents/{incident_id}/acknowledge",
        "/api/v1/incidents/{incident_id}/support-offers",
        "/api/v1/incidents/{incident_id}/handover-notes",
    }
    for method, path in routes:
        answers = {}
        for name, incident_id in (("theirs", theirs), ("missing", uuid.uuid4())):
            response = await client.request(
                method, _url(path, incident_id), json=_body(method, path), headers=euston.headers
            )
            assert response.status_code == 404, (method, path, name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            answers[name] = response.json()
        # Not a single byte tells the two apart.
        assert answers["theirs"] == answers["missing"], (method, path)


async def test_police_reach_only_the_status_of_their_own_stations_incident(client, app, reports):
    euston, mine, _ = reports
    for method, path in _incident_routes(app):
        response = await client.request(
            method, _url(path, mine), json=_body(method, path), headers=euston.headers
        )
        expected = 200 if path.endswith("/status") else 403
        if (method, path) == ("PATCH", "/api/v1/incidents/{incident_id}"):
            expected = 422  # police record custody events on their own station's incident
        assert response.status_code == expected, (method, path, response.text)


async def test_other_roles_are_answered_as_before(client, make_user, reports):
    _, mine, _ = reports
    admin = await make_user("admin")
    day = await make_user("day_team", teams_=["county-cse"])
    # An admin reaches only an incident that went uncovered (tests/rota/test_board_paging.py); any
    # other is 404, whichever id, as for case roles off its teams. Other incident routes: 403.
    assert (await client.get(f"/api/v1/incidents/{mine}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/v1/incidents/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/v1/incidents/{mine}/status", headers=admin.headers)).status_code == 403
    # Case roles outside the incident's teams: 404 (unchanged).
    assert (await client.get(f"/api/v1/incidents/{mine}", headers=day.headers)).status_code == 404
