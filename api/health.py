"""Liveness, readiness and metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from api.auth.dependencies import public
from api.migrations import at_head

router = APIRouter(tags=["health"])
log = logging.getLogger("lantern.health")


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str | None = None


@router.get("/healthz", response_model=Liveness, dependencies=[public()])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    dependencies=[public()],
    responses={503: {"description": "Not ready", "model": Readiness}},
)
async def readyz(request: Request) -> JSONResponse:
    database = request.app.state.database
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        migrated = await at_head(database.engine)
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not leaked
        log.warning("readiness check failed", extra={"error_type": type(exc).__name__})
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    if not migrated:
        return JSONResponse({"status": "unavailable", "database": "not at migration head"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=PlainTextResponse, dependencies=[public()], include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
