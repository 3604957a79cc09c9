"""Gzip for the API's larger answers (issue 16: a first screen waits for its list; the handover
queue's answer was 29 KiB of JSON on a slow network). Starlette's GZipMiddleware, for answers of
at least 1 KiB under /api/ when the client accepts gzip. Left alone: the live stream (SSE,
`text/event-stream`, excluded by the middleware itself, and named here too so that a change of its
media type cannot put it behind a compressor's buffer), answers that already carry an encoding,
and sign-in's answers (/api/v1/auth/), which hold session tokens: a compressed secret beside
text an attacker could choose is what BREACH-style attacks read, so they are not compressed."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

MINIMUM_BYTES = 1024
NOT_COMPRESSED = ("/api/v1/auth/", "/api/v1/events")


class ApiGzip:
    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_BYTES) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/api/") and not path.startswith(NOT_COMPRESSED):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
