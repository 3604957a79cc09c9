"""A local fake Web Push service that speaks the real protocol.

It is a real HTTP server on 127.0.0.1 (uvicorn + Starlette in a background thread), so the
real sending code runs unchanged against it. It issues subscriptions with real P-256 keys,
verifies the VAPID JWT (RFC 8292) on every POST, decrypts the aes128gcm body (RFC 8291) with
the subscriber's private key, and records what arrived. It can be told what to answer next.

    with FakePushService() as push:               # or: async with FakePushService() as push
        subscription = push.new_subscription()    # .endpoint .p256dh .auth (a PushTarget)
        push.script(Reply.with_status(410), subscription=subscription)  # then 201
        ...send...
        [received] = push.wait_for(1, timeout=5)  # or: await push.wait_for_async(1, 5)
        received.payload, received.headers["Urgency"], push.failures, push.count(410)

Checks, and the answers for failures (each failure is also kept in `failures`):
- unknown subscription → 404; `expire(subscription)` → 410 from then on (not a failure);
- `Authorization: vapid t=<jwt>, k=<key>` missing or malformed, signature not ES256 by `k`,
  `aud` not this origin, `exp` missing, past or more than 24 h ahead, `sub` not mailto:/https:
  → 401; `k` not the expected application server key → 403;
- `TTL` missing, not an integer or not > 0, `Content-Encoding` not aes128gcm, `Content-Type`
  not application/octet-stream, bad `Urgency` or `Topic` → 400; body over 4096 bytes → 413;
- a body that does not decrypt or is not a JSON object → 400.

Fault modes (what a real push service does on a bad night):
- `Reply.hang(s)`: say nothing for `s` seconds (`in_flight` counts the requests held;
  `release_hangs()` ends them now, with 503; `reset()` does too);
- `Reply.throttle(retry_after)`: 429 with `Retry-After` (seconds or an HTTP date);
- `Reply.with_status(500)`, or any status: a server error;
- `expire(subscription)`: 410 from now on; `expire_after(subscription, n)`: accept `n` more
  pushes, then 410 (a phone that drops its subscription in the middle of a burst);
- `set_default(reply)`: every push without a scripted reply gets `reply` (the service is down).
Each answer is kept with when its request arrived and when it was answered (`answers`), so a
test can check that a retry waited for the `Retry-After` it was given.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import http_ece
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_HANG_SECONDS = 10.0
MAX_BODY_BYTES = 4096
MAX_VAPID_LIFETIME_SECONDS = 24 * 60 * 60
_URGENCIES = {"very-low", "low", "normal", "high"}
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_RECORDED_HEADERS = ("TTL", "Urgency", "Topic", "Content-Encoding", "Content-Type")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_key_b64(key: ec.EllipticCurvePublicKey) -> str:
    return b64url_encode(
        key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


@dataclass(frozen=True)
class VapidKeyPair:
    private_pem: str = field(repr=False)
    public_key: str  # base64url uncompressed point: the browser's applicationServerKey


def generate_vapid_key_pair() -> VapidKeyPair:
    """A fresh VAPID key pair for a test (PKCS#8 PEM private key, base64url public key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return VapidKeyPair(private_pem=pem, public_key=_public_key_b64(key.public_key()))


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `delay` holds the answer back (a hang), capped at MAX_HANG_SECONDS."""

    status: int = 201
    retry_after: str | None = None
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def with_status(cls, status: int) -> Reply:
        return cls(status=status)

    @classmethod
    def throttle(cls, retry_after: str | int = 1) -> Reply:
        return cls(status=429, retry_after=str(retry_after))

    @classmethod
    def hang(cls, seconds: float = MAX_HANG_SECONDS, status: int = 504) -> Reply:
        """Say nothing for `seconds` (longer than the sender's timeout), then `status`."""
        return cls(status=status, delay=seconds)


@dataclass(frozen=True)
class FakeSubscription:
    """What a browser's `PushSubscription` holds, plus the private key only the phone has.

    Has `endpoint`, `p256dh` and `auth`, so it can be used wherever a PushTarget is expected.
    """

    id: str
    endpoint: str = field(repr=False)
    p256dh: str = field(repr=False)
    auth: str = field(repr=False)
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    application_server_key: str | None = None

    @property
    def subscription_info(self) -> dict[str, Any]:
        """The `PushSubscription.toJSON()` shape that the API receives."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class ReceivedPush:
    subscription_id: str
    payload: dict[str, Any] | None  # None for a push without a body
    headers: dict[str, str]  # TTL, Urgency, Topic, Content-Encoding, Content-Type as received
    claims: dict[str, Any]  # the verified VAPID claims
    vapid_public_key: str  # `k`, base64url
    received_at_monotonic: float
    received_at: float  # wall clock, time.time()
    vapid_token: str = ""  # the JWT `t` itself (ES256 signatures differ per signing)


@dataclass(frozen=True)
class VerificationFailure:
    subscription_id: str | None
    status: int
    reason: str
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Answer:
    subscription_id: str | None
    status: int
    arrived_at: float = 0.0  # time.monotonic() when the request came in
    answered_at: float = 0.0  # time.monotonic() when it was answered
    retry_after: str | None = None


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, *, record: bool = True) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.record = record  # False: an answer the test asked for, not a failed check


class BackgroundServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 at a free port, in a daemon thread.

    The port is bound before the thread starts, so it is known at once and never raced for.
    """

    def __init__(self, app: Any, *, name: str = "fake-service") -> None:
        self._app = app
        self._name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            raise RuntimeError("a BackgroundServer starts once")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_config=None,  # leave the test run's logging alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"{self._name}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self._name} did not start")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self._name} did not start in {timeout} s")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(2.0)


class FakePushService:
    """A Web Push service on 127.0.0.1 at a free port, run in a background thread."""

    def __init__(self, *, expected_vapid_public_key: str | None = None) -> None:
        self.expected_vapid_public_key = expected_vapid_public_key
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._subscriptions: dict[str, FakeSubscription] = {}
        self._expired: set[str] = set()
        self._scripts: dict[str | None, collections.deque[Reply]] = collections.defaultdict(collections.deque)
        self._default = Reply()
        self._received: list[ReceivedPush] = []
        self._failures: list[VerificationFailure] = []
        self._answers: list[Answer] = []
        self._stopping = threading.Event()
        self._server: BackgroundServer | None = None
        self._expire_after: dict[str, int] = {}
        self._in_flight = 0
        self._hang_generation = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakePushService:
        if self._server is not None:
            raise RuntimeError("a FakePushService starts once")
        app = Starlette(routes=[Route("/push/{subscription_id}", self._handle, methods=["POST"])])
        self._server = BackgroundServer(app, name="fake-push-service")
        self._server.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()  # hanging answers end now
        if self._server is not None:
            self._server.stop(timeout)

    def __enter__(self) -> FakePushService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakePushService:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("start the fake push service first")
        return self._server.port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        """The allow-list entry that admits this service's endpoints."""
        return f"127.0.0.1:{self.port}"

    # -- subscriptions and scripts -----------------------------------------------------------

    def new_subscription(self, *, application_server_key: str | None = None) -> FakeSubscription:
        """A subscription as a browser would create it: a fresh P-256 key pair and auth secret.
        With `application_server_key`, pushes signed with any other VAPID key get 403."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        subscription_id = secrets.token_urlsafe(16)
        subscription = FakeSubscription(
            id=subscription_id,
            endpoint=f"{self.origin}/push/{subscription_id}",
            p256dh=_public_key_b64(private_key.public_key()),
            auth=b64url_encode(os.urandom(16)),
            private_key=private_key,
            application_server_key=application_server_key,
        )
        with self._lock:
            self._subscriptions[subscription_id] = subscription
        return subscription

    def expire(self, subscription: FakeSubscription | str) -> None:
        """The browser unsubscribed: every later push to it gets 410."""
        with self._lock:
            self._expired.add(_subscription_id(subscription))

    def expire_after(self, subscription: FakeSubscription | str, accepted: int) -> None:
        """Accept `accepted` more pushes to this subscription, then answer 410 for good."""
        key = _subscription_id(subscription)
        with self._lock:
            if accepted <= 0:
                self._expired.add(key)
            else:
                self._expire_after[key] = accepted

    def release_hangs(self) -> None:
        """End every hanging answer now (with 503)."""
        with self._lock:
            self._hang_generation += 1

    @property
    def in_flight(self) -> int:
        """Requests being held by a hang right now."""
        with self._lock:
            return self._in_flight

    def script(self, *replies: Reply | int, subscription: FakeSubscription | str | None = None) -> None:
        """Queue the next answers, for one subscription or (without it) for any. Each verified
        push takes the next reply of its subscription's queue, else of the global queue, else
        the default."""
        key = None if subscription is None else _subscription_id(subscription)
        with self._lock:
            self._scripts[key].extend(_reply(reply) for reply in replies)

    def set_default(self, reply: Reply | int) -> None:
        with self._lock:
            self._default = _reply(reply)

    def reset(self) -> None:
        """Forget what was received, answered and scripted (subscriptions stay)."""
        with self._lock:
            self._received.clear()
            self._failures.clear()
            self._answers.clear()
            self._scripts.clear()
            self._expired.clear()
            self._expire_after.clear()
            self._default = Reply()
            self._hang_generation += 1  # a hang left by an earlier test ends now

    # -- what happened -----------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedPush]:
        with self._lock:
            return list(self._received)

    def received_for(self, subscription: FakeSubscription | str) -> list[ReceivedPush]:
        wanted = _subscription_id(subscription)
        return [push for push in self.received if push.subscription_id == wanted]

    @property
    def failures(self) -> list[VerificationFailure]:
        with self._lock:
            return list(self._failures)

    @property
    def answers(self) -> list[Answer]:
        with self._lock:
            return list(self._answers)

    def answers_for(self, subscription: FakeSubscription | str) -> list[Answer]:
        wanted = _subscription_id(subscription)
        return [answer for answer in self.answers if answer.subscription_id == wanted]

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._answers)

    def count(self, status: int) -> int:
        with self._lock:
            return sum(1 for answer in self._answers if answer.status == status)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedPush]:
        """Block until at least `n` pushes were received (and decrypted); TimeoutError after
        `timeout` seconds. Do not call it from the event loop that sends: use wait_for_async."""
        deadline = time.monotonic() + min(timeout, 60.0)
        with self._changed:
            while len(self._received) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self._received)} push(es) received, {n} expected "
                        f"(failures: {[f.reason for f in self._failures]})"
                    )
                self._changed.wait(remaining)
            return list(self._received)

    async def wait_for_async(
        self,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the same bounded wait as wait_for
    ) -> list[ReceivedPush]:
        return await asyncio.to_thread(self.wait_for, n, timeout)

    # -- the protocol ------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        arrived = time.monotonic()
        subscription_id = request.path_params["subscription_id"]
        body = await request.body()
        try:
            subscription = self._subscription(subscription_id)
            claims, vapid_key, token = self._verify_vapid(request.headers.get("authorization"))
            expected = subscription.application_server_key or self.expected_vapid_public_key
            if expected is not None and vapid_key != expected:
                raise _Refusal(403, "VAPID key k is not the subscription's application server key")
            headers = self._check_headers(request.headers, body)
        except _Refusal as refusal:
            return self._refuse(subscription_id, refusal, arrived)

        reply = self._next_reply(subscription_id)
        if reply.delay > 0:
            if not await self._hold(min(reply.delay, MAX_HANG_SECONDS)):
                return self._answer(subscription_id, Response(status_code=503), arrived)
        extra = dict(reply.headers)
        if reply.retry_after is not None:
            extra["Retry-After"] = reply.retry_after
        if not 200 <= reply.status < 300:
            return self._answer(subscription_id, Response(status_code=reply.status, headers=extra), arrived)

        try:
            payload = self._decrypt(subscription, body)
        except _Refusal as refusal:
            return self._refuse(subscription_id, refusal, arrived)
        now_monotonic, now_wall = time.monotonic(), time.time()
        with self._changed:
            self._received.append(
                ReceivedPush(
                    subscription_id=subscription_id,
                    payload=payload,
                    headers=headers,
                    claims=claims,
                    vapid_public_key=vapid_key,
                    received_at_monotonic=now_monotonic,
                    received_at=now_wall,
                    vapid_token=token,
                )
            )
            left = self._expire_after.get(subscription_id)
            if left is not None:
                if left <= 1:
                    del self._expire_after[subscription_id]
                    self._expired.add(subscription_id)
                else:
                    self._expire_after[subscription_id] = left - 1
            self._changed.notify_all()
        extra.setdefault("Location", f"/message/{uuid.uuid4()}")
        return self._answer(subscription_id, Response(status_code=reply.status, headers=extra), arrived)

    def _subscription(self, subscription_id: str) -> FakeSubscription:
        with self._lock:
            subscription = self._subscriptions.get(subscription_id)
            expired = subscription_id in self._expired
        if subscription is None:
            raise _Refusal(404, "unknown subscription")
        if expired:
            raise _Refusal(410, "subscription expired", record=False)
        return subscription

    def _verify_vapid(self, authorization: str | None) -> tuple[dict[str, Any], str, str]:
        if not authorization:
            raise _Refusal(401, "missing Authorization header")
        scheme, _, params = authorization.strip().partition(" ")
        if scheme.lower() != "vapid":
            raise _Refusal(401, "Authorization scheme is not vapid")
        fields: dict[str, str] = {}
        for part in params.split(","):
            name, equals, value = part.strip().partition("=")
            if not equals:
                raise _Refusal(401, "malformed vapid Authorization parameters")
            fields[name.strip().lower()] = value.strip()
        token, key_text = fields.get("t"), fields.get("k")
        if not token or not key_text:
            raise _Refusal(401, "vapid Authorization lacks t or k")
        try:
            key_bytes = b64url_decode(key_text)
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
        except ValueError:
            raise _Refusal(401, "k is not a P-256 public key") from None
        segments = token.split(".")
        if len(segments) != 3:
            raise _Refusal(401, "t is not a JWS compact token")
        try:
            header = json.loads(b64url_decode(segments[0]))
            claims = json.loads(b64url_decode(segments[1]))
            signature = b64url_decode(segments[2])
        except ValueError:
            raise _Refusal(401, "t does not decode") from None
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise _Refusal(401, "JWT alg is not ES256")
        if len(signature) != 64:
            raise _Refusal(401, "JWT signature is not a 64-byte ES256 signature")
        try:
            public_key.verify(
                encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                ),
                f"{segments[0]}.{segments[1]}".encode("ascii"),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            raise _Refusal(401, "JWT signature does not verify with k") from None
        if not isinstance(claims, dict):
            raise _Refusal(401, "JWT claims are not an object")
        if claims.get("aud") != self.origin:
            raise _Refusal(401, f"JWT aud {claims.get('aud')!r} is not {self.origin!r}")
        exp = claims.get("exp")
        now = time.time()
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise _Refusal(401, "JWT exp is missing or not an integer")
        if exp <= now:
            raise _Refusal(401, "JWT has expired")
        if exp > now + MAX_VAPID_LIFETIME_SECONDS:
            raise _Refusal(401, "JWT exp is more than 24 hours ahead")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise _Refusal(401, "JWT sub is not a mailto: or https: URI")
        return claims, b64url_encode(key_bytes), token

    @staticmethod
    def _check_headers(request_headers: Any, body: bytes) -> dict[str, str]:
        headers = {name: request_headers[name] for name in _RECORDED_HEADERS if name in request_headers}
        ttl = headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            raise _Refusal(400, "TTL header missing or not a non-negative integer")
        if int(ttl) <= 0:
            raise _Refusal(400, "TTL is 0: the page would be dropped if the phone is offline")
        urgency = headers.get("Urgency")
        if urgency is not None and urgency not in _URGENCIES:
            raise _Refusal(400, "Urgency is not very-low, low, normal or high")
        topic = headers.get("Topic")
        if topic is not None and not _TOPIC.match(topic):
            raise _Refusal(400, "Topic is not 1-32 characters of the base64url alphabet")
        if len(body) > MAX_BODY_BYTES:
            raise _Refusal(413, "body larger than 4096 bytes")
        if body:
            if headers.get("Content-Encoding", "").lower() != "aes128gcm":
                raise _Refusal(400, "Content-Encoding is not aes128gcm")
            content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type != "application/octet-stream":
                raise _Refusal(400, "Content-Type is not application/octet-stream")
        return headers

    @staticmethod
    def _decrypt(subscription: FakeSubscription, body: bytes) -> dict[str, Any] | None:
        if not body:
            return None
        try:
            plain = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=b64url_decode(subscription.auth),
                version="aes128gcm",
            )
        except Exception:  # http_ece raises ECEException, ValueError, InvalidTag...
            raise _Refusal(400, "body does not decrypt with the subscription's keys") from None
        try:
            payload = json.loads(plain)
        except ValueError:
            raise _Refusal(400, "decrypted body is not JSON") from None
        if not isinstance(payload, dict):
            raise _Refusal(400, "decrypted body is not a JSON object")
        return payload

    def _next_reply(self, subscription_id: str) -> Reply:
        with self._lock:
            for key in (subscription_id, None):
                queue = self._scripts.get(key)
                if queue:
                    return queue.popleft()
            return self._default

    async def _hold(self, seconds: float) -> bool:
        """Hold the answer for `seconds`; False when released early (stop or release_hangs)."""
        deadline = time.monotonic() + seconds
        with self._lock:
            generation = self._hang_generation
            self._in_flight += 1
        try:
            while not self._stopping.is_set() and generation == self._hang_generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return True
                await asyncio.sleep(min(0.2, remaining))  # few wake-ups: many hangs at once stay cheap
            return False
        finally:
            with self._lock:
                self._in_flight -= 1

    def _refuse(self, subscription_id: str, refusal: _Refusal, arrived: float) -> Response:
        if refusal.record:
            with self._changed:
                self._failures.append(
                    VerificationFailure(subscription_id, refusal.status, refusal.reason, time.monotonic())
                )
                self._changed.notify_all()
        return self._answer(subscription_id, Response(refusal.reason, status_code=refusal.status), arrived)

    def _answer(self, subscription_id: str, response: Response, arrived: float) -> Response:
        answer = Answer(
            subscription_id,
            response.status_code,
            arrived_at=arrived,
            answered_at=time.monotonic(),
            retry_after=response.headers.get("retry-after"),
        )
        with self._lock:
            self._answers.append(answer)
        return response


def _subscription_id(subscription: FakeSubscription | str) -> str:
    return subscription if isinstance(subscription, str) else subscription.id


def _reply(reply: Reply | int) -> Reply:
    return reply if isinstance(reply, Reply) else Reply(status=reply)
