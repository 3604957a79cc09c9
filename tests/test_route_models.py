"""Typed read models: every route declares what it answers.

A JSON route without a response_model would leave its answer out of /openapi.json, and so out
of the PWA's generated types. Routes that answer a file or a stream declare their response
class instead (CSV, PDF, ICS, SSE, HTML, CSS, Prometheus text); 204s have no body.
"""

from __future__ import annotations

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.main import create_app
from tests.test_route_roles import api_routes


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


def test_every_json_route_has_a_response_model(settings):
    app = create_app(settings)
    assert len(api_routes(app)) > 40
    assert untyped_routes(app) == []


def test_a_route_without_a_model_is_found(settings):
    """The check can fail: a JSON route added without a response_model is reported."""
    app = create_app(settings)

    async def untyped() -> dict[str, str]:
        return {"shape": "unknown"}

    app.router.add_api_route("/api/v1/untyped", untyped, methods=["GET"], response_model=None)
    assert untyped_routes(app) == ["['GET'] /api/v1/untyped"]


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
