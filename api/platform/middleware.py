"""One pure-ASGI middleware: request id, body size limit, access log, metrics, headers.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses such as SSE pass through.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.platform.logs import client_ip_var, request_id_var
from api.platform.metrics import REQUEST_SECONDS, REQUESTS

log = logging.getLogger("lantern.http")

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self' data:; worker-src 'self'; manifest-src 'self'; font-src 'self'; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
]
# /docs needs the Swagger UI bundle's inline bootstrap script; it carries no case data.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


class _BodyTooLarge(Exception):
    pass


def _route_template(app, scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    for candidate in getattr(app, "routes", []):
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            return getattr(candidate, "path", "unmatched")
    return "unmatched"


class LanternMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, router_app=None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.router_app = router_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        client = scope.get("client")
        client_ip_var.set(client[0] if client else None)
        started = time.perf_counter()
        status = 500
        response_started = False

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._reject_too_large(send)
            self._record(scope, 413, started)
            request_id_var.reset(token)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if path.startswith("/docs") or path.startswith("/redoc"):
                    headers += [h for h in SECURITY_HEADERS if h[0] != b"content-security-policy"]
                    headers.append((b"content-security-policy", DOCS_CSP))
                else:
                    headers += SECURITY_HEADERS
                if path.startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not response_started:
                await self._reject_too_large(send)
            status = 413
        finally:
            self._record(scope, status, started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(self.router_app, scope) if self.router_app else "unknown"
        method = scope.get("method", "GET")
        REQUESTS.labels(method, route, str(status)).inc()
        REQUEST_SECONDS.labels(method, route).observe(elapsed)
        if route != "/healthz":
            log.info(
                "request",
                extra={"method": method, "route": route, "status": status, "ms": round(elapsed * 1000, 2)},
            )

    async def _reject_too_large(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://lantern.invalid/problems/payload-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"The body exceeds {self.max_body_bytes} bytes.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
