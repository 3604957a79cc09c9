"""The FastAPI application: wiring only. Domains live in their folders."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import health
from api.auth.dependencies import public
from api.auth.oidc import check_group_map
from api.auth.routes import router as auth_router
from api.db import Database
from api.errors import NotFound, install_error_handlers
from api.events.routes import router as events_router
from api.events.runtime import live_events
from api.handover.routes import router as handover_router
from api.hubs.routes import router as hubs_router
from api.incidents.routes import router as incidents_router
from api.monitoring.routes import router as monitoring_router
from api.paging.routes import router as paging_router
from api.partners.routes import router as partners_router
from api.people.routes import router as people_router
from api.places.routes import router as places_router
from api.platform import precompressed
from api.platform.compression import ApiGzip
from api.platform.first_screen import FirstScreens
from api.platform.middleware import LanternMiddleware
from api.platform.shell_csp import ShellPolicies
from api.platform.startup import freeze_after_start_up
from api.referrals.routes import router as referrals_router
from api.reports.routes import router as reports_router
from api.rota.routes import router as rota_router
from api.search.routes import router as search_router
from api.settings import Settings, get_settings
from api.support.routes import router as support_router
from api.teams.routes import router as teams_router

log = logging.getLogger("lantern.app")

ROUTERS = [
    health.router,
    auth_router,
    teams_router,
    incidents_router,
    people_router,
    places_router,
    support_router,
    events_router,
    rota_router,
    paging_router,
    handover_router,
    search_router,
    partners_router,
    monitoring_router,
    referrals_router,
    hubs_router,
    reports_router,
]


def create_app(settings: Settings | None = None, *, background=None, freeze_gc: bool = False) -> FastAPI:
    """Build the app for `settings`; `background` is an optional async context manager
    factory run for the app's lifetime (the in-process worker loop on the embedded default).
    `freeze_gc`: a serving process (not tests) moves what start-up made out of the collector's
    sight once started (see `freeze_after_start_up`)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url)
        try:
            async with live_events(settings):
                if background is not None:
                    async with background(app):
                        if freeze_gc:
                            freeze_after_start_up()
                        yield
                else:
                    if freeze_gc:
                        freeze_after_start_up()
                    yield
        finally:
            await app.state.database.dispose()

    app = FastAPI(
        title="Lantern",
        version="1.0.0",
        summary="Out-of-hours response to young people at risk of exploitation.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    check_group_map(settings)  # a group map naming a role Lantern lacks stops the start
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    _mount_docs(app)
    _mount_pwa(app, settings.pwa_dist)
    app.add_middleware(ApiGzip)  # inside LanternMiddleware: its headers and timing cover it
    app.add_middleware(LanternMiddleware, max_body_bytes=settings.max_body_bytes, router_app=app)
    return app


def _mount_docs(app: FastAPI) -> None:
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False, dependencies=[public()])
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Lantern API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _mount_pwa(app: FastAPI, dist: Path) -> None:
    """Serve the built PWA at `/` with an SPA fallback; the API stays under /api. Hashed assets
    are immutable for a year; the shell, the service worker and the manifest are revalidated.
    Each is sent pre-compressed (Brotli or gzip) when the browser accepts it. An address whose
    screen is a chunk gets the shell's copy that preloads that chunk (first_screen.py)."""
    dist = dist.resolve()
    index = dist / "index.html"
    # For a screen loaded on first use, the shell's copy that names its chunk (first_screen.py).
    first_screens = FirstScreens(dist)
    # A shell page allows its own inline stylesheet by its hash (shell_csp.py).
    shell_policies = ShellPolicies()

    def send(file: Path, request: Request, cache_control: str | None) -> FileResponse:
        chosen, coding = precompressed.choose(file, request.headers.get("accept-encoding", ""))
        headers = {"Cache-Control": cache_control} if cache_control else {}
        if precompressed.has_variants(file):
            headers["Vary"] = "Accept-Encoding"
        if coding:
            headers["Content-Encoding"] = coding
        if file.suffix == ".html":
            headers["Content-Security-Policy"] = shell_policies.for_file(file)
        return FileResponse(chosen, headers=headers, media_type=precompressed.media_type(file))

    @app.get("/{path:path}", response_class=FileResponse, include_in_schema=False, dependencies=[public()])
    async def pwa(path: str, request: Request) -> FileResponse:
        if path.startswith(("api/", "api")) and (path == "api" or path.startswith("api/")):
            raise NotFound("No such endpoint.")
        if not index.exists():
            raise NotFound("The PWA is not built: run `make run` (it runs `npm run build` in pwa/).")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist):
            if candidate.suffix in {".br", ".gz"}:
                raise NotFound("No such file.")  # the variants are sent only as encodings
            cache_control = None
            if candidate.name in {"sw.js", "index.html", "manifest.webmanifest"}:
                cache_control = "no-cache"
            elif "/assets/" in f"/{path}":
                cache_control = "public, max-age=31536000, immutable"
            return send(candidate, request, cache_control)
        return send(first_screens.shell_for(path, index), request, "no-cache")
