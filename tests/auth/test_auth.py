"""Signing in, tokens and their attacks, throttling."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt
from pwdlib import PasswordHash
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.auth.runtime import auth_runtime
from api.auth.tokens import issue_access_token
from api.settings import vapid_public_key_b64
from tests.conftest import PASSWORD, PRODUCTION_DUMMY_HASH, VAPID_PEM


async def sign_in(client, username, password=PASSWORD):
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_good_sign_in_returns_a_bearer_token_that_opens_me(client, world, make_user):
    worker = await make_user("worker", teams_=["city-cce"], username="sam.worker")
    response = await sign_in(client, "sam.worker")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(worker.id)
    assert me.json()["roles"] == ["worker"]
    assert [t["slug"] for t in me.json()["teams"]] == ["city-cce"]


async def test_bad_password_and_unknown_user_both_401_and_are_audited(client, db, make_user):
    await make_user("worker", username="sam.worker")
    wrong = await sign_in(client, "sam.worker", "not the password")
    unknown = await sign_in(client, "nobody", "whatever-it-is")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "access_token" not in wrong.text
    async with db.session() as session:
        events = (await session.execute(select(AuditEvent).order_by(AuditEvent.at))).scalars().all()
    failed = [e for e in events if e.action == "auth.signin_failed"]
    assert {e.actor_username for e in failed} == {"sam.worker", "nobody"}


async def test_repeated_failures_are_throttled_with_retry_after(app, client, make_user, settings):
    await make_user("worker", username="sam.worker")
    stopped = datetime.now(UTC)
    auth_runtime(app).clock = lambda: stopped  # the first wait is short: do not let it pass
    for _ in range(settings.signin_max_failures):
        assert (await sign_in(client, "sam.worker", "wrong-password")).status_code == 401
    throttled = await sign_in(client, "sam.worker", PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["status"] == 429


def _forge(claims: dict, key: str, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _claims(settings, user_id, **overrides):
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "typ": "access",
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": now,
        "exp": now + 600,
        "jti": "abc",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _me_status(client, token: str) -> int:
    return (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_a_well_formed_token_is_accepted(client, settings, make_user):
    user = await make_user("worker")
    assert await _me_status(client, _forge(_claims(settings, user.id), settings.secret_key)) == 200


@pytest.mark.parametrize(
    "case",
    [
        "alg_none",
        "other_key",
        "vapid_public_key",
        "expired",
        "wrong_aud",
        "wrong_iss",
        "no_exp",
        "tampered",
        "es256",
        "wrong_type",
        "garbage",
    ],
)
async def test_bad_tokens_are_rejected(client, settings, make_user, case):
    user = await make_user("worker")
    good = _claims(settings, user.id)
    key = settings.secret_key
    if case == "alg_none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}."
    elif case == "other_key":
        token = _forge(good, "some-other-secret-" + "y" * 40)
    elif case == "vapid_public_key":
        token = _forge(good, vapid_public_key_b64(VAPID_PEM))
    elif case == "expired":
        token = _forge({**good, "exp": int(time.time()) - 5}, key)
    elif case == "wrong_aud":
        token = _forge({**good, "aud": "someone-else"}, key)
    elif case == "wrong_iss":
        token = _forge({**good, "iss": "evil"}, key)
    elif case == "no_exp":
        token = _forge(_claims(settings, user.id, exp=None), key)
    elif case == "tampered":
        header, _payload, signature = _forge(good, key).split(".")
        token = f"{header}.{_b64({**good, 'sub': str(user.id), 'roles': ['admin']})}.{signature}"
    elif case == "es256":
        token = _forge(good, VAPID_PEM, alg="ES256")
    elif case == "wrong_type":
        token = _forge({**good, "typ": "ack"}, key)
    else:
        token = "not-a-jwt"
    assert await _me_status(client, token) == 401


async def test_no_token_is_401_with_www_authenticate(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_tokens_are_short_lived(settings, make_user):
    user = await make_user("worker")
    issued = issue_access_token(settings, user.id, now=datetime.now(UTC))
    claims = jwt.get_unverified_claims(issued.token)
    assert timedelta(seconds=claims["exp"] - claims["iat"]) <= timedelta(hours=1)
    assert {"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims)


async def test_a_deactivated_user_token_stops_working(client, db, make_user):
    user = await make_user("worker")
    assert await _me_status(client, user.token) == 200
    async with db.session() as session:
        row = await session.get(type(user.user), user.id)
        row.active = False
    assert await _me_status(client, user.token) == 401


async def test_a_coordinator_signs_in_reads_me_and_signs_out(client, world, make_user):
    # The PWA needs /me to show a coordinator their places screens, and sign-out to end the session.
    await make_user("coordinator", teams_=["city-cce", "city-cse"], username="hubs.coordinator")
    token = (await sign_in(client, "hubs.coordinator")).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["roles"] == ["coordinator"]
    assert (await client.post("/api/v1/auth/sign-out", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


def test_the_unknown_user_timing_equaliser_costs_what_a_production_hash_costs():
    """The hash verified for an unknown username is kept as text (not made at every start): it
    must be Argon2id at exactly the cost production hashes passwords with, or an unknown
    username would answer faster than a known one."""
    production = PasswordHash.recommended()
    parameters = production.hash("any password").split("$")[1:4]  # algorithm, version, cost
    assert parameters[0] == "argon2id" and parameters[2] == "m=65536,t=3,p=4"
    assert PRODUCTION_DUMMY_HASH.split("$")[1:4] == parameters
    assert production.verify("lantern-timing-equaliser", PRODUCTION_DUMMY_HASH)


async def test_a_token_verified_before_is_still_refused_once_it_expires(settings, make_user):
    # Verified tokens are remembered by their text (api/auth/tokens.py); a remembered one is
    # still held to its `exp`, as on first sight.
    from api.auth import tokens

    user = await make_user("worker")
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = issue_access_token(
        settings, user.id, now=datetime.now(UTC) - lifetime + timedelta(seconds=2)
    ).token
    assert tokens.verify_token(settings, token).user_id == user.id
    assert tokens.verify_token(settings, token).user_id == user.id  # the remembered verification
    await asyncio.sleep(max(0.0, jwt.get_unverified_claims(token)["exp"] + 1.1 - time.time()))
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_token(settings, token)
    with pytest.raises(tokens.InvalidToken):  # and not remembered as good again
        tokens.verify_token(settings, token)
