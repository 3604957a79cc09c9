"""Typed read models: every route declares what it answers.

A JSON route without a response_model would leave its answer out of /openapi.json, and so out
of the PWA's generated types. Routes that answer a file or a stream declare their response
class instead (CSV, PDF, ICS, SSE, HTML, CSS, Prometheus text); 204s have no body.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.flows.incident_view import IncidentDetailOut
from api.incidents.schemas import BoardOut, IncidentPage, IncidentStatusOut
from api.main import create_app
from api.people.schemas import YoungPersonOut
from tests.conftest import one_database
from tests.incident_payloads import report
from tests.platform.test_route_roles import api_routes


def _declares_a_non_json_class(route: APIRoute) -> bool:
    declared = route.response_class
    if isinstance(declared, DefaultPlaceholder):
        return False
    return not issubclass(declared, JSONResponse)


def untyped_routes(app) -> list[str]:
    missing = []
    for path, route in api_routes(app):
        if route.response_model is not None:
            continue
        if route.status_code == 204 or _declares_a_non_json_class(route):
            continue
        missing.append(f"{sorted(route.methods)} {path}")
    return missing


@one_database
def test_every_json_route_has_a_response_model(settings):
    app = create_app(settings)
    assert len(api_routes(app)) > 40
    assert untyped_routes(app) == []


@one_database
def test_a_route_without_a_model_is_found(settings):
    """The check can fail: a JSON route added without a response_model is reported."""
    app = create_app(settings)

    async def untyped() -> dict[str, str]:
        return {"shape": "unknown"}

    app.router.add_api_route("/api/v1/untyped", untyped, methods=["GET"], response_model=None)
    assert untyped_routes(app) == ["['GET'] /api/v1/untyped"]


@one_database
def test_openapi_describes_every_json_answer(settings):
    """Each typed route's 200/201 answer names a schema in /openapi.json."""
    schema = create_app(settings).openapi()
    untyped = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation.get("responses", {}).items():
                if status in ("200", "201") and "application/json" in answer.get("content", {}):
                    if answer["content"]["application/json"].get("schema") in (None, {}):
                        untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def undeclared(model: type[BaseModel], body: Any, where: str = "") -> list[str]:
    """Keys of `body` its read model does not declare (passed through, but missing from the
    OpenAPI schema and so from the PWA's types)."""
    if isinstance(body, list):
        return [k for i, item in enumerate(body) for k in undeclared(model, item, f"{where}[{i}]")]
    if not isinstance(body, dict):
        return []
    missing = []
    for key, value in body.items():
        field = model.model_fields.get(key)
        if field is None:
            missing.append(f"{where}.{key}")
            continue
        nested = _nested_model(field.annotation)
        if nested is not None:
            missing.extend(undeclared(nested, value, f"{where}.{key}"))
    return missing


async def test_read_models_declare_every_field_the_services_return(client, world, make_user):
    """The read models over services' dicts pass unknown fields through (no answer loses a
    field); this shows they have none to pass: every key of a real answer is declared."""
    police = await make_user("police", station="euston-street")
    manager = await make_user("manager", teams_=["city-cce"])
    created = (await client.post("/api/v1/incidents", json=report(), headers=police.headers)).json()
    incident_id = created["id"]

    detail = await client.get(f"/api/v1/incidents/{incident_id}", headers=manager.headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["timeline"] and body["pages"] and body["clocks"] is not None
    answers = [
        (IncidentDetailOut, body),
        (
            IncidentStatusOut,
            (await client.get(f"/api/v1/incidents/{incident_id}/status", headers=police.headers)).json(),
        ),
        (IncidentPage, (await client.get("/api/v1/incidents", headers=police.headers)).json()),
        (IncidentPage, (await client.get("/api/v1/incidents", headers=manager.headers)).json()),
        (BoardOut, (await client.get("/api/v1/board", headers=manager.headers)).json()),
        (
            YoungPersonOut,
            (
                await client.get(
                    f"/api/v1/young-people/{body['young_person']['id']}", headers=manager.headers
                )
            ).json(),
        ),
    ]
    assert all(answer for _, answer in answers)
    assert [(model.__name__, undeclared(model, answer)) for model, answer in answers] == [
        (model.__name__, []) for model, _ in answers
    ]
    # Police see the status fields of each item, nothing of the case summary.
    police_item = answers[2][1]["items"][0]
    assert "young_person" not in police_item and "priority" not in police_item


def test_undeclared_reports_a_field_the_model_lacks():
    body = {"items": [{"id": "x", "surprise": 1}], "next_cursor": None}
    assert undeclared(IncidentPage, body) == [".items[0].surprise"]
