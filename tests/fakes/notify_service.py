"""A stand-in for GOV.UK Notify's `POST /v2/notifications/sms`, on loopback.

It checks what the real service checks about the caller: an `Authorization: Bearer` JWT signed
HS256 with the API key's secret, whose `iss` is the service id and whose `iat` is within 30
seconds of now (Notify refuses older or future tokens with 403). A good request is stored and
answered 201 with the shape Notify returns; anything else is answered as Notify would (403
for authentication, 400 for a bad body) and noted in `failures`.

Notify's API key is `{key_name}-{service_id}-{secret}`, both ids being 36-character UUIDs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jose import jwt
from jose.exceptions import JOSEError


def make_api_key(name: str = "lantern_test") -> tuple[str, str, str]:
    """(api_key, service_id, secret) in Notify's format."""
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    return f"{name}-{service_id}-{secret}", service_id, secret


@dataclass
class ReceivedSms:
    phone_number: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    body: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class FakeNotify:
    service_id: str
    secret: str
    received: list[ReceivedSms] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        self.received.clear()
        self.failures.clear()

    def _check(self, authorization: str | None) -> dict[str, Any]:
        if not authorization or not authorization.startswith("Bearer "):
            raise PermissionError("no bearer token")
        token = authorization.removeprefix("Bearer ")
        if jwt.get_unverified_header(token).get("alg") != "HS256":
            raise PermissionError("not HS256")
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"verify_aud": False})
        except JOSEError as exc:
            raise PermissionError(f"bad signature: {type(exc).__name__}") from None
        if claims.get("iss") != self.service_id:
            raise PermissionError("iss is not the service id")
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(time.time() - iat) > 30:
            raise PermissionError("iat missing or more than 30 s away")
        return claims

    def __enter__(self) -> FakeNotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet: it would print phone numbers
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v2/notifications/sms":
                    fake.failures.append(f"unexpected path {self.path}")
                    self._answer(404, {"status_code": 404, "errors": [{"error": "NotFound"}]})
                    return
                try:
                    claims = fake._check(self.headers.get("Authorization"))
                except PermissionError as exc:
                    fake.failures.append(str(exc))
                    self._answer(
                        403, {"status_code": 403, "errors": [{"error": "AuthError", "message": str(exc)}]}
                    )
                    return
                try:
                    body = json.loads(raw)
                    sms = ReceivedSms(
                        phone_number=body["phone_number"],
                        template_id=body["template_id"],
                        personalisation=body.get("personalisation") or {},
                        reference=body.get("reference"),
                        body=body,
                        claims=claims,
                    )
                except (ValueError, KeyError, TypeError):
                    fake.failures.append("bad body")
                    self._answer(400, {"status_code": 400, "errors": [{"error": "BadRequestError"}]})
                    return
                fake.received.append(sms)
                self._answer(
                    201,
                    {
                        "id": str(uuid.uuid4()),
                        "reference": sms.reference,
                        "content": {"body": "(template)", "from_number": "GOVUK"},
                        "uri": f"{fake.url}/v2/notifications/x",
                        "template": {"id": sms.template_id, "version": 1, "uri": "x"},
                    },
                )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
