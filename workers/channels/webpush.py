"""Web Push (RFC 8030) with aes128gcm payload encryption (RFC 8291) and VAPID (RFC 8292).

pywebpush does the encryption (`WebPusher.encode`) and py_vapid (pywebpush's own VAPID
library) signs the JWT. The request itself is made here with aiohttp, for three reasons that
pywebpush's one-call helpers (`webpush`, `webpush_async`) do not allow:

- redirects are never followed: an allowed push host must not be able to bounce us into the
  internal network;
- the whole attempt (connect, send, read) is bounded by one `timeout` and never blocks the loop;
- we choose every header (TTL, Urgency, Topic, Content-Type) and the claims explicitly, in a
  fresh dict per signing; pywebpush mutates the claims dict it is given.

A channel signs one VAPID token per push service and reuses it until it nears its expiry
(`VapidTokens`): an ES256 signature per page is the largest CPU cost of a send.

The payload is never logged, nor is the endpoint (a capability URL): logs carry the push
service origin, the status and the latency.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException

from api.paging.endpoints import validate_push_endpoint
from workers.channels.base import (
    DeliveryOutcome,
    DeliveryResult,
    PageMessage,
    PushTarget,
    outcome_for_status,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

VAPID_TOKEN_LIFETIME_SECONDS = 12 * 60 * 60  # RFC 8292: at most 24 h
# A cached token with less than this left is signed again (clock skew at the push service,
# a send that is slow to arrive).
VAPID_TOKEN_RENEW_SECONDS = 60 * 60
_VAPID_TOKENS_KEPT = 64  # push service origins (a handful in practice: FCM, Mozilla, Apple, WNS)
URGENCIES = frozenset({"very-low", "low", "normal", "high"})
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 §5.4: ≤ 32 chars of base64url
_DEFAULT_PORTS = {"https": 443, "http": 80}
_MAX_ERROR_BODY_BYTES = 512

__all__ = [
    "PushTarget",
    "VapidTokens",
    "WebPushChannel",
    "generate_vapid_private_key_pem",
    "push_service_origin",
    "send_web_push",
    "topic_for",
    "vapid_application_server_key",
]


def topic_for(incident_id: uuid.UUID) -> str:
    """The `Topic` of every push about one incident: base64url of its 16 bytes (22 chars).

    A newer push with the same topic replaces an undelivered older one at the push service, so
    a phone that was offline gets one notification per incident, not a backlog.
    """
    return base64.urlsafe_b64encode(incident_id.bytes).rstrip(b"=").decode("ascii")


def push_service_origin(endpoint: str) -> str:
    """`scheme://host[:port]` of an endpoint (the VAPID `aud`); the default port is omitted."""
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("endpoint is not an http(s) URL with a host")
    port = parts.port
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@functools.lru_cache(maxsize=8)
def _vapid_signer(private_key: str) -> Vapid:
    """Load the VAPID key once: a PEM (PKCS#8 or SEC1), else py_vapid's raw or DER base64url."""
    if "-----BEGIN" in private_key:
        key = serialization.load_pem_private_key(private_key.encode("ascii"), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the VAPID key must be an EC P-256 private key")
        return Vapid(private_key=key)
    try:
        return Vapid.from_string(private_key)
    except Exception as exc:  # py_vapid raises whatever its decoders raise
        raise ValueError("the VAPID key is neither a PEM nor a base64url P-256 key") from exc


class VapidTokens:
    """The VAPID `Authorization` header for each push service origin, signed once and reused
    while it has more than `renew_seconds` left (and no more than its lifetime: a clock set back
    never makes a token look longer-lived than a push service accepts).

    Each signing gets a fresh claims dict (py_vapid mutates it); callers get a copy of the header.
    `clock` (seconds since the epoch) is injectable for tests.
    """

    def __init__(
        self,
        vapid_private_key_pem: str,
        vapid_subject: str,
        *,
        lifetime_seconds: int = VAPID_TOKEN_LIFETIME_SECONDS,
        renew_seconds: int = VAPID_TOKEN_RENEW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= renew_seconds < lifetime_seconds:
            raise ValueError("renew_seconds must be shorter than the token lifetime")
        self._signer = _vapid_signer(vapid_private_key_pem)
        self._subject = vapid_subject
        self._lifetime = lifetime_seconds
        self._renew = renew_seconds
        self.clock = clock
        self._tokens: dict[str, tuple[dict[str, str], int]] = {}
        self.signed = 0  # how many tokens were signed (metrics, tests)

    def authorization(self, origin: str) -> dict[str, str]:
        """`{"Authorization": "vapid t=<jwt>,k=<public key>"}` for a push to `origin`."""
        now = int(self.clock())
        cached = self._tokens.get(origin)
        if cached is not None and self._renew < cached[1] - now <= self._lifetime:
            return dict(cached[0])
        exp = now + self._lifetime
        headers = self._signer.sign({"aud": origin, "exp": exp, "sub": self._subject})
        self.signed += 1
        if origin not in self._tokens and len(self._tokens) >= _VAPID_TOKENS_KEPT:
            self._tokens.pop(next(iter(self._tokens)))  # the oldest origin
        self._tokens[origin] = (dict(headers), exp)
        return dict(headers)


def generate_vapid_private_key_pem() -> str:
    """A new VAPID key pair's private key, as PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def vapid_application_server_key(vapid_private_key_pem: str) -> str:
    """The public key browsers need (`applicationServerKey`): base64url, uncompressed point."""
    public = _vapid_signer(vapid_private_key_pem).public_key
    raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _check_arguments(
    *, ttl: int, urgency: str, topic: str | None, timeout: float, vapid_subject: str
) -> None:
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        # TTL 0 means "deliver now or drop": a page to a phone that is briefly offline is lost.
        raise ValueError("ttl must be a positive number of seconds")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {sorted(URGENCIES)}")
    if topic is not None and not _TOPIC.match(topic):
        raise ValueError("topic must be 1 to 32 characters of the base64url alphabet")
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    if not vapid_subject.startswith(("mailto:", "https:")):
        raise ValueError("vapid_subject must be a mailto: or https: URI")


def _result(
    outcome: DeliveryOutcome,
    started: float,
    *,
    status: int | None = None,
    retry_after: float | None = None,
    error: str | None = None,
) -> DeliveryResult:
    return DeliveryResult(
        outcome=outcome,
        status_code=status,
        retry_after_seconds=retry_after,
        latency_ms=(time.perf_counter() - started) * 1000.0,
        error=error,
    )


async def send_web_push(
    subscription: PushTarget,
    payload: Mapping[str, Any],
    *,
    vapid_private_key_pem: str,
    vapid_subject: str,
    ttl: int,
    urgency: str = "high",
    topic: str | None = None,
    timeout: float,  # noqa: ASYNC109 - per-send bound, enforced with asyncio.timeout below
    session: aiohttp.ClientSession | None = None,
    vapid_tokens: VapidTokens | None = None,
) -> DeliveryResult:
    """Encrypt `payload` (as JSON) for `subscription` and POST it to its push service.

    Raises `ValueError` for bad arguments (ttl <= 0, unknown urgency, malformed topic, bad VAPID
    key or subject) before any I/O. Everything the network or the push service does becomes a
    `DeliveryResult`. Pass a long-lived `session` to reuse connections; otherwise one is opened
    for this send. Pass `vapid_tokens` (made for the same key and subject) to reuse a signed
    token per push service; otherwise one is signed for this send.
    """
    _check_arguments(ttl=ttl, urgency=urgency, topic=topic, timeout=timeout, vapid_subject=vapid_subject)
    signer = _vapid_signer(vapid_private_key_pem)
    body_plain = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    started = time.perf_counter()

    try:
        origin = push_service_origin(subscription.endpoint)
    except ValueError:
        return _result(DeliveryOutcome.REJECTED, started, error="invalid push endpoint")
    try:
        keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
        pusher = WebPusher({"endpoint": subscription.endpoint, "keys": keys})
        body = pusher.encode(body_plain, content_encoding="aes128gcm")["body"]
    except (WebPushException, http_ece.ECEException, ValueError, TypeError):
        return _result(DeliveryOutcome.REJECTED, started, error="invalid subscription keys")

    if vapid_tokens is not None:
        authorization = vapid_tokens.authorization(origin)
    else:
        # A fresh claims dict per signing: `aud` differs per push service, nothing shared mutates.
        claims = {"aud": origin, "exp": int(time.time()) + VAPID_TOKEN_LIFETIME_SECONDS, "sub": vapid_subject}
        authorization = signer.sign(claims)
    headers = {
        **authorization,  # {"Authorization": "vapid t=<jwt>,k=<public key>"}
        "TTL": str(ttl),
        "Urgency": urgency,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    if topic is not None:
        headers["Topic"] = topic

    try:
        async with asyncio.timeout(timeout):
            if session is None:
                async with aiohttp.ClientSession() as own_session:
                    status, retry_after, detail = await _post(
                        own_session, subscription.endpoint, body, headers, timeout
                    )
            else:
                status, retry_after, detail = await _post(
                    session, subscription.endpoint, body, headers, timeout
                )
    except TimeoutError:  # asyncio's and aiohttp's timeouts are both TimeoutError
        result = _result(DeliveryOutcome.RETRY, started, error=f"timed out after {timeout:g} s")
    except aiohttp.InvalidURL:
        result = _result(DeliveryOutcome.REJECTED, started, error="invalid push endpoint")
    except (aiohttp.ClientError, OSError) as exc:
        result = _result(DeliveryOutcome.RETRY, started, error=f"network error: {type(exc).__name__}")
    else:
        outcome = outcome_for_status(status)
        throttled = outcome is DeliveryOutcome.THROTTLED
        result = _result(
            outcome,
            started,
            status=status,
            retry_after=parse_retry_after(retry_after) if throttled else None,
            error=None if outcome is DeliveryOutcome.ACCEPTED else f"HTTP {status}{detail}",
        )
    _log(result, origin)
    return result


async def _post(
    session: aiohttp.ClientSession,
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    total_seconds: float,
) -> tuple[int, str | None, str]:
    async with session.post(
        endpoint,
        data=body,
        headers=headers,
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(total=total_seconds),
    ) as response:
        detail = ""
        if response.status >= 300:
            # The push service's own words help with a 400 or 413; bounded, single line.
            raw = await response.content.read(_MAX_ERROR_BODY_BYTES)
            text = " ".join(raw.decode("utf-8", "replace").split())
            detail = f": {text[:200]}" if text else ""
        return response.status, response.headers.get("Retry-After"), detail


def _log(result: DeliveryResult, origin: str) -> None:
    fields = (origin, result.outcome.value, result.status_code, result.latency_ms)
    message = "web push to %s: %s (status %s, %.0f ms)"
    if result.outcome is DeliveryOutcome.AUTH_FAILED:
        # Our VAPID key or subject is refused: every page will fail until someone acts.
        logger.error(message + " - check the VAPID key and subject", *fields)
    elif result.outcome in (DeliveryOutcome.REJECTED, DeliveryOutcome.RETRY):
        logger.warning(message + " %s", *fields, result.error)
    elif result.outcome is DeliveryOutcome.ACCEPTED:
        logger.debug(message, *fields)
    else:
        logger.info(message, *fields)


class WebPushChannel:
    """The Web Push `Channel`: one `PageMessage` to one `PushTarget`.

    Holds the VAPID settings and a connection pool (one per event loop); `aclose()` it on
    shutdown. With `allowed_hosts`, an endpoint that is no longer on the allow-list is
    refused (`rejected`) without any request.
    """

    name = "webpush"

    def __init__(
        self,
        *,
        vapid_private_key_pem: str,
        vapid_subject: str,
        ttl: int,
        timeout: float,
        urgency: str = "high",
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        _check_arguments(ttl=ttl, urgency=urgency, topic=None, timeout=timeout, vapid_subject=vapid_subject)
        _vapid_signer(vapid_private_key_pem)  # fail at start-up, not at the first page
        self._vapid_private_key_pem = vapid_private_key_pem
        self._vapid_subject = vapid_subject
        self._ttl = ttl
        self._timeout = timeout
        self._urgency = urgency
        self._allowed_hosts = list(allowed_hosts) if allowed_hosts is not None else None
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self.vapid_tokens = VapidTokens(vapid_private_key_pem, vapid_subject)

    async def send(self, target: PushTarget, message: PageMessage) -> DeliveryResult:
        if self._allowed_hosts is not None:
            try:
                validate_push_endpoint(target.endpoint, self._allowed_hosts)
            except ValueError as exc:
                return DeliveryResult(DeliveryOutcome.REJECTED, None, None, 0.0, str(exc))
        return await send_web_push(
            target,
            message.push_payload(),
            vapid_private_key_pem=self._vapid_private_key_pem,
            vapid_subject=self._vapid_subject,
            ttl=self._ttl,
            urgency=self._urgency,
            topic=topic_for(message.incident_id),
            timeout=self._timeout,
            session=self.session(),
            vapid_tokens=self.vapid_tokens,
        )

    def session(self) -> aiohttp.ClientSession:
        """The connection pool of the running event loop (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession()
            self._session_loop = loop
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._session_loop = None
