"""Delivery channels against real local services: Web Push to a fake push service that verifies
VAPID and decrypts like a real one, SMS to a fake GOV.UK Notify, and the push endpoint allow-list.

No conftest needed (`--noconftest`); every async test runs under a hard time bound.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import sign as sign_jwt
from pywebpush import WebPusher
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.paging.endpoints import DEFAULT_PUSH_ALLOWED_HOSTS, validate_push_endpoint
from tests.fakes.push_service import (
    BackgroundServer,
    FakePushService,
    FakeSubscription,
    Reply,
    VapidKeyPair,
    b64url_encode,
    generate_vapid_key_pair,
)
from workers.channels import (
    Channel,
    DeliveryOutcome,
    LogChannel,
    NotifySmsChannel,
    PageMessage,
    PushTarget,
    SmsTarget,
    WebPushChannel,
    outcome_for_status,
    parse_retry_after,
    send_web_push,
    topic_for,
)

SUBJECT = "mailto:oncall-admin@lantern.example"
CONTRACT_PAYLOAD_KEYS = {
    "type",
    "incident_id",
    "page_id",
    "reference",
    "kind",
    "team",
    "priority",
    "station",
    "ack_token",
}


def bounded(seconds: float = 15.0) -> Callable:
    """Fail an async test that runs longer than `seconds`, whatever it is waiting on."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run

    return decorate


def _raw_public_key(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def page_message(**overrides: Any) -> PageMessage:
    fields: dict[str, Any] = {
        "incident_id": uuid.uuid4(),
        "page_id": uuid.uuid4(),
        "reference": "LAN-2026-000123",
        "kind": "arrest",
        "team": "cce-city",
        "priority": "P1",
        "station": "Euston St custody",
        "ack_token": "ack-" + uuid.uuid4().hex,
    }
    fields.update(overrides)
    return PageMessage(**fields)


@pytest.fixture(scope="module")
def vapid() -> VapidKeyPair:
    return generate_vapid_key_pair()


@pytest.fixture(scope="module")
def push_service():
    """Expecting no VAPID key: these tests sign with keys of their own (`push`, in tests/conftest.py,
    empties it for each test)."""
    with FakePushService() as service:
        yield service


async def send(
    subscription: PushTarget | FakeSubscription,
    vapid: VapidKeyPair,
    payload: dict[str, Any] | None = None,
    **options: Any,
):
    options.setdefault("ttl", 60)
    options.setdefault("timeout", 3.0)
    return await send_web_push(
        subscription,
        payload if payload is not None else page_message().push_payload(),
        vapid_private_key_pem=vapid.private_pem,
        vapid_subject=SUBJECT,
        **options,
    )


# -- a page reaches the phone -----------------------------------------------------------------


@bounded()
async def test_page_reaches_the_device_decrypted_with_urgency_topic_and_ttl(push, vapid):
    subscription = push.new_subscription(application_server_key=vapid.public_key)
    message = page_message()
    before = time.time()

    result = await send(
        subscription, vapid, message.push_payload(), ttl=120, topic=topic_for(message.incident_id)
    )

    assert result.outcome is DeliveryOutcome.ACCEPTED, result
    assert (result.status_code, result.error, result.retry_after_seconds) == (201, None, None)
    assert result.latency_ms > 0
    [received] = await push.wait_for_async(1, timeout=5)
    assert received.subscription_id == subscription.id
    assert received.payload == message.push_payload()
    assert received.headers == {
        "TTL": "120",
        "Urgency": "high",
        "Topic": topic_for(message.incident_id),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    assert received.claims["aud"] == push.origin
    assert received.claims["sub"] == SUBJECT
    assert 12 * 3600 - 5 <= received.claims["exp"] - before <= 12 * 3600 + 5
    assert received.vapid_public_key == vapid.public_key
    assert push.failures == []


@bounded()
async def test_web_push_channel_sends_exactly_the_contract_payload(push, vapid):
    subscription = push.new_subscription()
    channel = WebPushChannel(
        vapid_private_key_pem=vapid.private_pem,
        vapid_subject=SUBJECT,
        ttl=300,
        timeout=3.0,
        allowed_hosts=[push.host],
    )
    message = page_message()
    try:
        assert isinstance(channel, Channel)
        assert channel.name == "webpush"
        target = PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth)
        result = await channel.send(target, message)
    finally:
        await channel.aclose()

    assert result.outcome is DeliveryOutcome.ACCEPTED, result
    [received] = await push.wait_for_async(1, timeout=5)
    assert set(received.payload) == CONTRACT_PAYLOAD_KEYS
    assert received.payload == {
        "type": "page",
        "incident_id": str(message.incident_id),
        "page_id": str(message.page_id),
        "reference": "LAN-2026-000123",
        "kind": "arrest",
        "team": "cce-city",
        "priority": "P1",
        "station": "Euston St custody",
        "ack_token": message.ack_token,
    }
    assert received.headers["Urgency"] == "high"
    assert received.headers["TTL"] == "300"
    assert received.headers["Topic"] == topic_for(message.incident_id)


def test_topic_is_a_short_url_safe_stable_name_per_incident():
    ids = [uuid.uuid4() for _ in range(200)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    topics = [topic_for(incident_id) for incident_id in ids]
    for incident_id, topic in zip(ids, topics, strict=True):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic), topic
        assert topic_for(incident_id) == topic
    assert len(set(topics)) == len(ids)


@bounded()
async def test_each_push_service_gets_its_own_fresh_claims(vapid):
    async with FakePushService() as first, FakePushService() as second:
        at_first, at_second = first.new_subscription(), second.new_subscription()
        channel = WebPushChannel(
            vapid_private_key_pem=vapid.private_pem, vapid_subject=SUBJECT, ttl=60, timeout=3.0
        )
        try:
            results = [
                await channel.send(at_first, page_message()),
                await channel.send(at_second, page_message()),
                await channel.send(at_first, page_message()),
                await send(at_second, vapid),  # the plain function, its own connection
            ]
        finally:
            await channel.aclose()

        assert [r.outcome for r in results] == [DeliveryOutcome.ACCEPTED] * 4, results
        assert first.failures == [] and second.failures == []
        assert [p.claims["aud"] for p in first.wait_for(2, 5)] == [first.origin] * 2
        assert [p.claims["aud"] for p in second.wait_for(2, 5)] == [second.origin] * 2


# -- what the push service says ---------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
@bounded()
async def test_unknown_or_expired_subscription_is_gone(push, vapid, status):
    subscription = push.new_subscription()
    push.script(Reply.with_status(status), subscription=subscription)

    result = await send(subscription, vapid)

    assert result.outcome is DeliveryOutcome.GONE, result
    assert result.status_code == status
    assert push.received == []
    # The script is used up: the next push is the default 201.
    assert (await send(subscription, vapid)).outcome is DeliveryOutcome.ACCEPTED


@bounded()
async def test_unsubscribed_device_answers_410_gone(push, vapid):
    subscription = push.new_subscription()
    push.expire(subscription)

    result = await send(subscription, vapid)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.GONE, 410)


@bounded()
async def test_throttled_push_carries_retry_after_seconds(push, vapid):
    subscription = push.new_subscription()
    push.script(Reply.throttle(7), subscription=subscription)

    result = await send(subscription, vapid)

    assert result.outcome is DeliveryOutcome.THROTTLED, result
    assert (result.status_code, result.retry_after_seconds) == (429, 7.0)
    assert result.retryable


@bounded()
async def test_throttled_push_reads_retry_after_as_an_http_date(push, vapid):
    subscription = push.new_subscription()
    push.script(
        Reply.throttle(format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)),
        subscription=subscription,
    )

    result = await send(subscription, vapid)

    assert result.outcome is DeliveryOutcome.THROTTLED, result
    assert 100 <= result.retry_after_seconds <= 121


@pytest.mark.parametrize("status", [500, 502, 503])
@bounded()
async def test_server_errors_are_retried(push, vapid, status):
    subscription = push.new_subscription()
    push.script(status, subscription=subscription)

    result = await send(subscription, vapid)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, status)
    assert push.received == []


@bounded()
async def test_hanging_push_service_is_retried_within_the_timeout(vapid):
    async with FakePushService() as push:  # its own service: the hang must not outlive the test
        subscription = push.new_subscription()
        push.script(Reply.hang(10))
        started = time.monotonic()

        result = await send(subscription, vapid, timeout=0.5)

        elapsed = time.monotonic() - started
        assert result.outcome is DeliveryOutcome.RETRY, result
        assert result.status_code is None
        assert "timed out" in result.error
        assert 0.4 <= elapsed < 2.0
        assert push.received == []


@bounded()
async def test_unreachable_push_service_is_retried(vapid):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    subscription = FakeSubscription(
        id="nobody",
        endpoint=f"http://127.0.0.1:{closed_port}/push/nobody",
        p256dh=_raw_public_key(ec.generate_private_key(ec.SECP256R1())),
        auth=b64url_encode(b"0123456789abcdef"),
        private_key=ec.generate_private_key(ec.SECP256R1()),
    )

    result = await send(subscription, vapid, timeout=2.0)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, None)
    assert result.error.startswith("network error")


@pytest.mark.parametrize("status", [400, 413])
@bounded()
async def test_other_client_errors_are_rejected(push, vapid, status):
    subscription = push.new_subscription()
    push.script(status, subscription=subscription)

    result = await send(subscription, vapid)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.REJECTED, status)
    assert not result.retryable


@bounded()
async def test_payload_too_large_is_refused_by_the_push_service(push, vapid):
    subscription = push.new_subscription()

    result = await send(subscription, vapid, {"padding": "x" * 5000})

    assert (result.outcome, result.status_code) == (DeliveryOutcome.REJECTED, 413)


@bounded()
async def test_redirects_are_never_followed(push, vapid):
    async with FakePushService() as elsewhere:
        target_elsewhere = elsewhere.new_subscription()
        subscription = push.new_subscription()
        push.script(
            Reply(status=307, headers=(("Location", target_elsewhere.endpoint),)),
            subscription=subscription,
        )

        result = await send(subscription, vapid)

        assert (result.outcome, result.status_code) == (DeliveryOutcome.REJECTED, 307)
        assert elsewhere.request_count == 0


# -- credentials ------------------------------------------------------------------------------


@bounded()
async def test_push_signed_with_another_vapid_key_is_auth_failed(vapid):
    expected = generate_vapid_key_pair()
    async with FakePushService(expected_vapid_public_key=expected.public_key) as push:
        subscription = push.new_subscription()

        result = await send(subscription, vapid)

        assert (result.outcome, result.status_code) == (DeliveryOutcome.AUTH_FAILED, 403)
        assert not result.retryable
        [failure] = push.failures
        assert failure.status == 403 and "application server key" in failure.reason
        assert push.received == []
        # The same service accepts the key it expects.
        assert (await send(subscription, expected)).outcome is DeliveryOutcome.ACCEPTED


@bounded()
async def test_subscription_bound_to_another_application_server_key_is_auth_failed(push, vapid):
    subscription = push.new_subscription(application_server_key=generate_vapid_key_pair().public_key)

    result = await send(subscription, vapid)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.AUTH_FAILED, 403)


@bounded()
async def test_unauthorised_answer_is_auth_failed(push, vapid):
    subscription = push.new_subscription()
    push.script(401, subscription=subscription)

    result = await send(subscription, vapid)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.AUTH_FAILED, 401)


def _forged(push: FakePushService, key: ec.EllipticCurvePrivateKey, **claims: Any) -> str:
    body = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": SUBJECT}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    return f"vapid t={sign_jwt(body, key)}, k={_raw_public_key(key)}"


def _tampered(push: FakePushService, key: ec.EllipticCurvePrivateKey) -> str:
    header = _forged(push, key)
    token = header.split("t=", 1)[1].split(",", 1)[0]
    payload_part = token.split(".")[1]
    claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": "mailto:x@evil.example"}
    other = b64url_encode(json.dumps(claims).encode())
    return header.replace(payload_part, other)


def _other_k(push: FakePushService, key: ec.EllipticCurvePrivateKey) -> str:
    header = _forged(push, key)
    other = _forged(push, ec.generate_private_key(ec.SECP256R1()))
    return header.split(", k=")[0] + ", k=" + other.split(", k=")[1]


FORGERIES: dict[str, tuple[Callable[[FakePushService, Any], str | None], dict[str, str], int]] = {
    "a valid token (the harness works)": (lambda p, k: _forged(p, k), {}, 201),
    "no Authorization header": (lambda p, k: None, {}, 401),
    "legacy WebPush scheme": (lambda p, k: "WebPush " + _forged(p, k).split("t=")[1], {}, 401),
    "aud of another origin": (lambda p, k: _forged(p, k, aud="http://127.0.0.1:1"), {}, 401),
    "exp more than 24 h ahead": (lambda p, k: _forged(p, k, exp=int(time.time()) + 25 * 3600), {}, 401),
    "exp in the past": (lambda p, k: _forged(p, k, exp=int(time.time()) - 10), {}, 401),
    "no exp": (lambda p, k: _forged(p, k, exp=None), {}, 401),
    "sub not mailto or https": (lambda p, k: _forged(p, k, sub="ops@example.org"), {}, 401),
    "claims changed after signing": (_tampered, {}, 401),
    "k of another key": (_other_k, {}, 401),
    "TTL 0": (lambda p, k: _forged(p, k), {"TTL": "0"}, 400),
    "no TTL": (lambda p, k: _forged(p, k), {"TTL": ""}, 400),
    "aesgcm encoding": (lambda p, k: _forged(p, k), {"Content-Encoding": "aesgcm"}, 400),
    "Topic too long": (lambda p, k: _forged(p, k), {"Topic": "a" * 33}, 400),
}


@pytest.mark.parametrize("case", list(FORGERIES))
@bounded()
async def test_fake_push_service_checks_vapid_and_headers_like_a_real_one(push, case):
    """The fake is only worth something if it refuses what a real push service refuses."""
    make_authorization, header_changes, expected_status = FORGERIES[case]
    subscription = push.new_subscription()
    key = ec.generate_private_key(ec.SECP256R1())
    body = WebPusher(subscription.subscription_info).encode(b'{"type":"page"}', "aes128gcm")
    headers = {
        "TTL": "60",
        "Urgency": "high",
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    authorization = make_authorization(push, key)
    if authorization is not None:
        headers["Authorization"] = authorization
    headers.update(header_changes)
    headers = {name: value for name, value in headers.items() if value}

    async with aiohttp.ClientSession() as session:
        async with session.post(subscription.endpoint, data=body["body"], headers=headers) as r:
            status = r.status

    assert status == expected_status, push.failures
    if expected_status == 201:
        assert push.failures == []
        assert [p.payload for p in push.received] == [{"type": "page"}]
    else:
        assert [f.status for f in push.failures] == [expected_status]
        assert push.received == []


# -- bad arguments fail before any request ----------------------------------------------------


@pytest.mark.parametrize("ttl", [0, -1])
@bounded()
async def test_ttl_must_be_positive(push, vapid, ttl):
    subscription = push.new_subscription()

    with pytest.raises(ValueError, match="ttl"):
        await send(subscription, vapid, ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        WebPushChannel(vapid_private_key_pem=vapid.private_pem, vapid_subject=SUBJECT, ttl=ttl, timeout=1.0)
    assert push.request_count == 0


@pytest.mark.parametrize(
    "options",
    [{"urgency": "urgent"}, {"topic": "a" * 33}, {"topic": "not/base64url"}, {"timeout": 0}],
)
@bounded()
async def test_malformed_push_options_raise_before_sending(push, vapid, options):
    subscription = push.new_subscription()

    with pytest.raises(ValueError):
        await send(subscription, vapid, **options)
    assert push.request_count == 0


@bounded()
async def test_subscription_with_malformed_keys_is_rejected_without_a_request(push, vapid):
    subscription = push.new_subscription()
    target = PushTarget(subscription.endpoint, p256dh="bm90IGEga2V5", auth=subscription.auth)

    result = await send(target, vapid)

    assert result.outcome is DeliveryOutcome.REJECTED
    assert push.request_count == 0


@bounded()
async def test_channel_refuses_an_endpoint_no_longer_on_the_allow_list(push, vapid):
    subscription = push.new_subscription()
    channel = WebPushChannel(
        vapid_private_key_pem=vapid.private_pem,
        vapid_subject=SUBJECT,
        ttl=60,
        timeout=1.0,
        allowed_hosts=list(DEFAULT_PUSH_ALLOWED_HOSTS),
    )
    try:
        result = await channel.send(subscription, page_message())
    finally:
        await channel.aclose()

    assert result.outcome is DeliveryOutcome.REJECTED
    assert push.request_count == 0


def test_vapid_key_may_be_a_sec1_pem(vapid):
    key = serialization.load_pem_private_key(vapid.private_pem.encode(), password=None)
    sec1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    channel = WebPushChannel(vapid_private_key_pem=sec1, vapid_subject=SUBJECT, ttl=60, timeout=1)
    assert channel.name == "webpush"
    with pytest.raises(ValueError):
        WebPushChannel(vapid_private_key_pem="nonsense", vapid_subject=SUBJECT, ttl=60, timeout=1)


# -- nothing personal in the logs -------------------------------------------------------------


@bounded()
async def test_payload_and_endpoint_never_reach_the_logs(push, vapid, caplog):
    caplog.set_level(logging.DEBUG)
    subscription = push.new_subscription()
    message = page_message()
    push.script(400, 500, subscription=subscription)

    outcomes = [(await send(subscription, vapid, message.push_payload())).outcome for _ in range(3)]

    assert outcomes == [DeliveryOutcome.REJECTED, DeliveryOutcome.RETRY, DeliveryOutcome.ACCEPTED]
    assert "web push to " + push.origin in caplog.text  # it did log something
    for secret in (message.ack_token, message.reference, message.station, subscription.id):
        assert secret not in caplog.text


# -- Retry-After and status mapping -----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 30 ", 30.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_in_seconds(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_as_http_date():
    now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert parse_retry_after("Sun, 29 Mar 2026 01:31:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sun, 29 Mar 2026 01:00:00 GMT", now=now) == 0.0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "accepted"),
        (201, "accepted"),
        (202, "accepted"),
        (404, "gone"),
        (410, "gone"),
        (429, "throttled"),
        (500, "retry"),
        (503, "retry"),
        (408, "retry"),
        (401, "auth_failed"),
        (403, "auth_failed"),
        (400, "rejected"),
        (413, "rejected"),
        (301, "rejected"),
    ],
)
def test_status_codes_map_to_outcomes(status, outcome):
    assert outcome_for_status(status) == DeliveryOutcome(outcome)


# -- the push endpoint allow-list -------------------------------------------------------------

DEFAULTS = list(DEFAULT_PUSH_ALLOWED_HOSTS)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH", DEFAULTS),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk", DEFAULTS),
        ("https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB", DEFAULTS),
        ("https://web.push.apple.com/QGx5c2FkZmFzZGY", DEFAULTS),
        ("https://FCM.googleapis.com:443/fcm/send/x", DEFAULTS),
        ("http://127.0.0.1:8765/push/abc", ["127.0.0.1"]),
        ("http://127.0.0.1:8765/push/abc", ["127.0.0.1:8765"]),
        ("https://127.0.0.1:8765/push/abc", ["127.0.0.1:8765"]),
        ("http://localhost:8765/push/abc", ["localhost"]),
        ("http://[::1]:8765/push/abc", ["[::1]:8765"]),
    ],
)
def test_allowed_push_endpoints(url, allowed):
    assert validate_push_endpoint(url, allowed) is None  # no ValueError: admitted


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://push.evil.example/fcm/send/x", DEFAULTS),
        ("https://fcm.googleapis.com.evil.example/x", DEFAULTS),
        ("https://notify.windows.com/w/", DEFAULTS),  # the wildcard wants a subdomain
        ("https://evilnotify.windows.com/w/", DEFAULTS),
        ("http://fcm.googleapis.com/fcm/send/x", DEFAULTS),  # plain http, not loopback
        ("http://push.internal/x", ["push.internal"]),  # listed, but not loopback
        ("http://127.0.0.1:8765/push/abc", DEFAULTS),  # loopback not named
        ("http://127.0.0.1:8765/push/abc", ["127.0.0.1:9999"]),  # another port
        ("http://127.0.0.1:8765/push/abc", ["*.0.0.1"]),  # wildcards never admit loopback
        ("http://localhost:8765/push/abc", ["127.0.0.1"]),  # names must match
        ("http://127.0.0.2:8765/push/abc", ["127.0.0.1"]),
        ("https://user:secret@fcm.googleapis.com/fcm/send/x", DEFAULTS),
        ("https://fcm.googleapis.com@evil.example/x", DEFAULTS),
        ("https://fcm.googleapis.com\\@evil.example/x", DEFAULTS),
        ("https://10.0.0.5/push", ["10.0.0.5"]),  # IP literals other than loopback
        ("https://169.254.169.254/latest/meta-data", DEFAULTS),
        ("https://[fd00::1]/push", ["[fd00::1]"]),
        ("http://2130706433/push", ["2130706433"]),  # 127.0.0.1 in disguise
        ("http://0x7f.1/push", ["0x7f.1"]),
        ("https://fcm.googleapis.com/fcm/send/" + "a" * 1024, DEFAULTS),
        ("ftp://fcm.googleapis.com/x", DEFAULTS),
        ("fcm.googleapis.com/fcm/send/x", DEFAULTS),
        ("https:///fcm/send/x", DEFAULTS),
        ("https://fcm.googleapis.com/fcm send/x", DEFAULTS),
        ("https://fcm.googleapis.com/x#frag", DEFAULTS),
        ("https://[::1/push", ["[::1]"]),
        ("", DEFAULTS),
        ("https://fcm.googleapis.com/x", ["*"]),  # "*" is not "everything"
        ("https://fcm.googleapis.com/x", []),
    ],
)
def test_refused_push_endpoints(url, allowed):
    with pytest.raises(ValueError) as refused:
        validate_push_endpoint(url, allowed)
    reason = str(refused.value)
    assert reason and "evil" not in reason and "secret" not in reason


def test_fake_push_service_endpoints_pass_the_allow_list_that_names_them(push):
    subscription = push.new_subscription()
    validate_push_endpoint(subscription.endpoint, [push.host])
    validate_push_endpoint(subscription.endpoint, ["127.0.0.1"])
    with pytest.raises(ValueError):
        validate_push_endpoint(subscription.endpoint, DEFAULTS)


# -- SMS through a fake GOV.UK Notify, and the log channel ------------------------------------

NOTIFY_SERVICE_ID = str(uuid.uuid4())
NOTIFY_SECRET = str(uuid.uuid4())
NOTIFY_API_KEY = f"lantern_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_TEMPLATE_ID = str(uuid.uuid4())
PHONE = "07700900123"  # an Ofcom drama number


class FakeNotify:
    """`POST /v2/notifications/sms` as GOV.UK Notify answers it, with its JWT check."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.next_answers: list[tuple[int, dict[str, str]]] = []
        self.server = BackgroundServer(
            Starlette(routes=[Route("/v2/notifications/sms", self._sms, methods=["POST"])]),
            name="fake-notify",
        )

    async def _sms(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, NOTIFY_SECRET, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return JSONResponse({"errors": [{"error": "AuthError"}]}, status_code=403)
        if claims.get("iss") != NOTIFY_SERVICE_ID:
            return JSONResponse({"errors": [{"error": "AuthError"}]}, status_code=403)
        self.requests.append(await request.json())
        if self.next_answers:
            status, headers = self.next_answers.pop(0)
            error = {"errors": [{"error": "Error", "message": "scripted"}]}
            return JSONResponse(error, status_code=status, headers=headers)
        return JSONResponse({"id": str(uuid.uuid4())}, status_code=201)


@pytest.fixture(scope="module")
def notify():
    fake = FakeNotify()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def sms(notify) -> NotifySmsChannel:
    notify.requests.clear()
    notify.next_answers.clear()
    return NotifySmsChannel(NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID, base_url=notify.server.origin, timeout=3.0)


@bounded()
async def test_sms_fallback_carries_only_reference_kind_team_priority_station(notify, sms, caplog):
    caplog.set_level(logging.DEBUG)
    message = page_message()
    assert isinstance(sms, Channel) and sms.name == "sms"

    result = await sms.send(SmsTarget(PHONE), message)

    assert (result.outcome, result.status_code) == (DeliveryOutcome.ACCEPTED, 201), result
    [sent] = notify.requests
    assert sent["phone_number"] == PHONE
    assert sent["template_id"] == NOTIFY_TEMPLATE_ID
    assert sent["reference"] == str(message.page_id)
    assert sent["personalisation"] == {
        "reference": "LAN-2026-000123",
        "kind": "arrest",
        "team": "cce-city",
        "priority": "P1",
        "station": "Euston St custody",
    }
    assert message.ack_token not in json.dumps(sent)
    assert PHONE not in caplog.text


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "retry_after"),
    [
        (400, {}, DeliveryOutcome.REJECTED, None),
        (403, {}, DeliveryOutcome.AUTH_FAILED, None),
        (429, {"Retry-After": "30"}, DeliveryOutcome.THROTTLED, 30.0),
        (500, {}, DeliveryOutcome.RETRY, None),
        (503, {}, DeliveryOutcome.RETRY, None),
    ],
)
@bounded()
async def test_sms_failures_map_like_push_failures(
    notify, sms, caplog, status, headers, outcome, retry_after
):
    caplog.set_level(logging.DEBUG)
    notify.next_answers.append((status, headers))

    result = await sms.send(SmsTarget(PHONE), page_message())

    assert (result.outcome, result.status_code) == (outcome, status)
    assert result.retry_after_seconds == retry_after
    assert PHONE not in (result.error or "") and PHONE not in caplog.text


@bounded()
async def test_sms_with_a_wrong_api_key_is_auth_failed(notify):
    wrong = NotifySmsChannel(
        f"lantern_test-{NOTIFY_SERVICE_ID}-{uuid.uuid4()}",
        NOTIFY_TEMPLATE_ID,
        base_url=notify.server.origin,
        timeout=3.0,
    )

    result = await wrong.send(SmsTarget(PHONE), page_message())

    assert (result.outcome, result.status_code) == (DeliveryOutcome.AUTH_FAILED, 403)


@bounded()
async def test_sms_gateway_unreachable_is_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    channel = NotifySmsChannel(
        NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID, base_url=f"http://127.0.0.1:{closed_port}", timeout=2.0
    )

    result = await channel.send(SmsTarget(PHONE), page_message())

    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, None)


def test_malformed_notify_api_key_fails_at_start_up():
    with pytest.raises(ValueError):
        NotifySmsChannel("", NOTIFY_TEMPLATE_ID)


@bounded()
async def test_log_channel_logs_ids_only(caplog):
    caplog.set_level(logging.INFO)
    message = page_message()
    channel = LogChannel()

    result = await channel.send(SmsTarget(PHONE), message)

    assert result.outcome is DeliveryOutcome.ACCEPTED
    assert isinstance(channel, Channel) and channel.name == "log"
    assert "page delivered via log channel" in caplog.text
    assert str(message.incident_id) in caplog.text and str(message.page_id) in caplog.text
    for private in (PHONE, message.reference, message.station, message.ack_token):
        assert private not in caplog.text
