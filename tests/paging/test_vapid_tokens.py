"""A worker signs one VAPID token per push service and reuses it until it nears its expiry.

Real pages through the worker to the fake push service, which verifies every token (ES256
signature, `aud`, `exp` within 24 hours) and records it: ES256 signatures differ per signing,
so an equal token is a reused one.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import VAPID_PEM
from tests.incident_payloads import report
from tests.paging_helpers import bounded, received_by
from workers.channels.webpush import (
    VAPID_TOKEN_LIFETIME_SECONDS,
    VAPID_TOKEN_RENEW_SECONDS,
    VapidTokens,
    push_service_origin,
)

pytestmark = [pytest.mark.fake_push, pytest.mark.crew(primary_phones=1)]


async def _page_once(client, crew, worker) -> None:
    response = await client.post("/api/v1/incidents", json=report(), headers=crew.police.headers)
    assert response.status_code == 201, response.text
    await worker.drain()


@bounded()
async def test_one_token_per_push_service_until_near_expiry_then_a_fresh_one(client, crew, push, worker):
    tokens = worker.channels.webpush.vapid_tokens
    started = time.time()
    tokens.clock = lambda: started

    await _page_once(client, crew, worker)
    await _page_once(client, crew, worker)
    first, second = received_by(push, crew.phones["primary"])
    assert first.vapid_token == second.vapid_token  # reused, and still accepted
    assert tokens.signed == 1

    # Just inside the renewal margin: the token still has an hour left, but is signed again.
    tokens.clock = lambda: started + VAPID_TOKEN_LIFETIME_SECONDS - VAPID_TOKEN_RENEW_SECONDS + 1
    await _page_once(client, crew, worker)
    third = received_by(push, crew.phones["primary"])[2]
    assert third.vapid_token != first.vapid_token
    assert third.claims["exp"] > first.claims["exp"]
    assert third.claims["aud"] == first.claims["aud"] == push.origin
    assert tokens.signed == 2
    assert push.failures == []


def test_a_token_is_reused_only_within_its_lifetime_whatever_the_clock_does(push):
    now = [1_000_000.0]
    tokens = VapidTokens(VAPID_PEM, "mailto:ops@example.org", clock=lambda: now[0])
    origin = push_service_origin(push.new_subscription().endpoint)
    other = "https://push.example.net"

    token = tokens.authorization(origin)
    assert tokens.authorization(origin) == token  # reused
    assert tokens.authorization(other) != token  # each push service its own `aud`
    now[0] += VAPID_TOKEN_LIFETIME_SECONDS - VAPID_TOKEN_RENEW_SECONDS - 1
    assert tokens.authorization(origin) == token  # still more than the margin left
    now[0] += 2
    renewed = tokens.authorization(origin)
    assert renewed != token
    # The clock set back 13 hours: the cached token would look valid for 25 hours, which a
    # push service refuses; it is signed again.
    now[0] -= 13 * 60 * 60
    assert tokens.authorization(origin) != renewed
    assert tokens.signed == 4
