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

# A response may bring its own policy (the PWA's shell pages allow their inline stylesheet by its
# hash, shell_csp.py); every other response gets this one.
BASE_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    b"img-src 'self' data:; worker-src 'self'; manifest-src 'self'; font-src 'self'; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"content-security-policy", BASE_CSP),
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

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._reject_too_large(send)
            self._record(scope, 413, started)
            request_id_var.reset(token)
            return

        # Read the body here, before the app, so a body over the limit is a 413 however it
        # arrives: with Content-Length (refused above), chunked without one, or a sender that
        # sends more than it declared. (An error raised from inside the app's own body read is
        # turned into a 400 by FastAPI, which is how a chunked body used to be answered.)
        try:
            limited_receive = await self._buffered_body(receive)
        except _BodyTooLarge:
            await self._reject_too_large(send)
            self._record(scope, 413, started)
            request_id_var.reset(token)
            return

        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if path.startswith("/docs") or path.startswith("/redoc"):
                    headers += [h for h in SECURITY_HEADERS if h[0] != b"content-security-policy"]
                    headers.append((b"content-security-policy", DOCS_CSP))
                elif any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers += [h for h in SECURITY_HEADERS if h[0] != b"content-security-policy"]
                else:
                    headers += SECURITY_HEADERS
                if path.startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        finally:
            self._record(scope, status, started)
            request_id_var.reset(token)

    async def _buffered_body(self, receive: Receive) -> Receive:
        """Read the whole request body (at most `max_body_bytes`, else `_BodyTooLarge`) and
        return a `receive` that gives it to the app in one message, then passes on whatever
        comes next (a disconnect, which streaming responses wait for)."""
        chunks: list[bytes] = []
        size = 0
        first: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                first = message  # the client went away before the body was complete
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(body)
            if not message.get("more_body", False):
                break
        if first is None:
            first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        pending: list[Message] = [first]

        async def replay() -> Message:
            if pending:
                return pending.pop()
            return await receive()

        return replay

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
                    # The rest of the body is not read: this connection cannot carry another request.
                    (b"connection", b"close"),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
