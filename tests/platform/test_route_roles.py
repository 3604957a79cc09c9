"""Deny by default: every route names the roles it admits."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from tests.conftest import one_database


def _guards(dependant) -> list:
    found = []
    for dep in dependant.dependencies:
        guard = getattr(dep.call, "role_guard", None)
        if guard is not None:
            found.append(guard)
        found.extend(_guards(dep))
    return found


def api_routes(app) -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path (FastAPI includes routers lazily)."""
    return [
        (ctx.path, ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
    ]


@one_database
def test_every_route_declares_its_roles(settings):
    app = create_app(settings)
    missing = []
    checked = 0
    for path, route in api_routes(app):
        checked += 1
        if not _guards(route.dependant):
            missing.append(f"{sorted(route.methods)} {path}")
    assert checked > 5
    assert missing == [], f"routes without roles(...) or public(): {missing}"


@one_database
def test_public_routes_are_the_few_expected(settings):
    app = create_app(settings)
    public = sorted(
        path for path, route in api_routes(app) if any(g.public for g in _guards(route.dependant))
    )
    allowed_public = {
        "/healthz",
        "/readyz",
        "/metrics",
        "/docs",
        "/{path:path}",
        "/api/v1/auth/token",
        "/api/v1/auth/oidc/config",  # whether the organisation's sign-in is offered
        "/api/v1/auth/oidc/token",  # the organisation's sign-in (a code in, a token out)
        "/api/v1/push/public-key",
        "/api/v1/handover/report.css",  # a stylesheet: no case data
        "/api/v1/acknowledgements",
    }
    assert set(public) <= allowed_public, set(public) - allowed_public
