"""Sign-in through the organisation against a real OpenID provider on loopback.

The provider is the npm `oidc-provider` (tests/oidc/provider.mjs), started once per test process
on a free loopback port; its development login and consent forms are driven with httpx as a
browser would. Lantern exchanges the code itself and verifies the ID token (api/auth/oidc.py,
api/auth/tokens.py). Failures are injected at the edge: a wrong nonce sent by the client, the
clock moved past the token's expiry, the provider's token response carrying an ID token issued
to another client or signed by a key the provider never published (a transport that rewrites
the answer of the real provider).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.auth.models import Membership, User
from api.auth.runtime import auth_runtime
from api.settings import OidcGroupGrant, Settings
from api.teams.models import Team
from tests.conftest import PASSWORD, VAPID_PEM
from tests.oidc_provider import CLIENT_SECRET, Provider, running_provider

REDIRECT_URI = "http://127.0.0.1:8000/signin/oidc"
GROUP_MAP = {
    "lantern-cse-workers": OidcGroupGrant(roles=["worker"], teams=["city-cse"]),
    "lantern-managers": OidcGroupGrant(roles=["manager"], teams=["city-cse", "county-cse"]),
}


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Provider]:
    with running_provider(REDIRECT_URI) as provider:
        yield provider


@pytest.fixture
def settings(database_url: str, tmp_path: Path, oidc_provider: Provider) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="lantern",
        oidc_client_secret=CLIENT_SECRET,
        oidc_group_map=GROUP_MAP,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Authorisation:
    code: str
    verifier: str
    nonce: str

    def body(self, **changes: str) -> dict[str, str]:
        return {
            "code": self.code,
            "code_verifier": self.verifier,
            "redirect_uri": REDIRECT_URI,
            "nonce": self.nonce,
            **changes,
        }


async def authorise(provider: Provider, login: str, *, client_id: str = "lantern", nonce: str | None = None):
    """Drive the provider's authorisation endpoint, login and consent forms as a browser would;
    the code it sends back to the redirect URI (the state checked, as the PWA does)."""
    verifier = _b64(secrets.token_bytes(32))
    state = _b64(secrets.token_bytes(16))
    nonce = nonce or _b64(secrets.token_bytes(16))
    query = {
        "client_id": client_id,
        "response_type": "code",
        "scope": "openid profile groups",
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        discovery = (await browser.get(provider.issuer + "/.well-known/openid-configuration")).json()
        response = await browser.get(discovery["authorization_endpoint"] + "?" + urlencode(query))
        forms = {
            "login": {"prompt": "login", "login": login, "password": "any"},
            "consent": {"prompt": "consent"},
        }
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(REDIRECT_URI):
                    params = parse_qs(urlsplit(location).query)
                    assert params["state"] == [state], "the provider must send the state back"
                    assert "error" not in params, params
                    return Authorisation(params["code"][0], verifier, nonce)
                response = await browser.get(location)
                continue
            assert response.status_code == 200, response.text[:500]
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
            assert action and prompt, response.text[:500]
            response = await browser.post(
                urljoin(str(response.url), action.group(1)), data=forms[prompt.group(1)]
            )
    raise AssertionError("the provider never redirected back")


async def provider_id_token(provider: Provider, login: str, client_id: str, nonce: str) -> str:
    """An ID token the real provider issued to `client_id` (another application)."""
    grant = await authorise(provider, login, client_id=client_id, nonce=nonce)
    async with httpx.AsyncClient(timeout=10) as client:
        discovery = (await client.get(provider.issuer + "/.well-known/openid-configuration")).json()
        answer = await client.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": grant.code,
                "code_verifier": grant.verifier,
                "redirect_uri": REDIRECT_URI,
            },
            auth=(client_id, CLIENT_SECRET),
        )
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"]


class Edge(httpx.AsyncBaseTransport):
    """Lantern's route to the provider: counts key-set and userinfo fetches; may replace the ID
    token in the provider's token response, or the subject its userinfo answer names (the
    failures injected: oidc-provider itself always answers for the token's own subject)."""

    def __init__(self, id_token: str | None = None, userinfo_sub: str | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.id_token = id_token
        self.userinfo_sub = userinfo_sub
        self.key_fetches = 0
        self.userinfo_fetches = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/jwks"):
            self.key_fetches += 1
        if request.url.path.endswith("/me"):  # oidc-provider's userinfo endpoint
            self.userinfo_fetches += 1
            if self.userinfo_sub is not None and response.status_code == 200:
                await response.aread()
                body = json.loads(response.content)
                assert body["sub"] == "robin" and body["groups"], body  # the real answer, changed
                return httpx.Response(200, json={**body, "sub": self.userinfo_sub})
        if self.id_token and request.method == "POST" and request.url.path.endswith("/token"):
            await response.aread()
            body = json.loads(response.content)
            body["id_token"] = self.id_token
            return httpx.Response(response.status_code, json=body)
        return response


def edge(app, id_token: str | None = None, userinfo_sub: str | None = None) -> Edge:
    transport = Edge(id_token, userinfo_sub)
    oidc = auth_runtime(app).oidc
    assert oidc is not None
    oidc.transport = transport
    return transport


async def signin_audits(db, outcome: str) -> list[AuditEvent]:
    async with db.session() as session:
        rows = await session.execute(
            select(AuditEvent).where(AuditEvent.action.in_(["auth.signin", "auth.signin_failed"]))  # type: ignore[attr-defined]
        )
        return [e for e in rows.scalars() if e.outcome == outcome and e.detail.get("method") == "oidc"]


async def user_count(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(User))).scalar_one()


async def test_config_tells_the_pwa_how_to_start(client, oidc_provider):
    answer = await client.get("/api/v1/auth/oidc/config")
    assert answer.status_code == 200
    body = answer.json()
    assert body["enabled"] is True
    assert body["authorization_endpoint"].startswith(oidc_provider.issuer)
    assert body["client_id"] == "lantern"
    assert body["redirect_uri"] == REDIRECT_URI
    assert body["label"] == "Sign in with your organisation"


async def test_config_when_not_configured(database_url, tmp_path):
    from api.main import create_app

    plain = Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
    )
    application = create_app(plain)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as c:
            assert (await c.get("/api/v1/auth/oidc/config")).json()["enabled"] is False
            answer = await c.post(
                "/api/v1/auth/oidc/token",
                json={
                    "code": "x",
                    "code_verifier": "v" * 43,
                    "redirect_uri": REDIRECT_URI,
                    "nonce": "n" * 16,
                },
            )
            assert answer.status_code == 404


async def test_signs_in_maps_groups_and_matches_by_subject(client, db, app, world, oidc_provider):
    transport = edge(app)
    grant = await authorise(oidc_provider, "alice")
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["roles"] == ["worker"]
    assert [t["slug"] for t in me["teams"]] == ["city-cse"]
    assert me["username"] == "alice" and me["display_name"] == "Alice Example"

    # Again: the same user (matched by the provider's subject), keys not fetched again.
    again = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body()
    )
    assert again.status_code == 200
    me_again = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
    )
    assert me_again.json()["id"] == me["id"]
    assert transport.key_fetches == 1
    assert transport.userinfo_fetches == 0  # the groups were in the ID token
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.username == "alice"))).scalar_one()  # type: ignore[arg-type]
        assert user.external_subject == "alice" and user.password_hash is None
    audits = await signin_audits(db, "ok")
    assert len(audits) == 2 and all(str(a.resource_id) == me["id"] for a in audits)
    assert audits[0].detail["created"] is True and audits[1].detail["created"] is False


async def test_two_groups_grant_the_union_and_teams_follow_the_provider(
    client, db, app, world, oidc_provider
):
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "morgan")).body()
    )
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["roles"] == ["manager", "worker"]
    assert sorted(t["slug"] for t in me["teams"]) == ["city-cse", "county-cse"]

    # A membership given by hand that the groups do not grant is taken away on the next sign-in.
    async with db.session() as session:
        extra = (await session.execute(select(Team).where(Team.slug == "rutland-cce"))).scalar_one()  # type: ignore[arg-type]
        session.add(Membership(user_id=uuid.UUID(me["id"]), team_id=extra.id))
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "morgan")).body()
    )
    me = (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
    ).json()
    assert sorted(t["slug"] for t in me["teams"]) == ["city-cse", "county-cse"]


async def test_groups_only_in_userinfo_are_read_from_the_userinfo_endpoint(
    client, db, app, world, oidc_provider
):
    # robin's groups are in the provider's userinfo answer, never in its ID token.
    grant = await authorise(oidc_provider, "robin")
    transport = edge(app)
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 200, answer.text
    assert transport.userinfo_fetches == 1
    me = (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
    ).json()
    assert me["roles"] == ["worker"]
    assert [t["slug"] for t in me["teams"]] == ["city-cse"]
    assert me["username"] == "robin" and me["display_name"] == "Robin Example"
    assert [a.detail["created"] for a in await signin_audits(db, "ok")] == [True]


async def test_a_userinfo_answer_for_another_subject_is_refused(client, db, app, world, oidc_provider):
    # robin's ID token names robin; the userinfo answer on the way back names someone else.
    grant = await authorise(oidc_provider, "robin")
    transport = edge(app, userinfo_sub="morgan")
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert transport.userinfo_fetches == 1
    assert await user_count(db) == 0
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["userinfo_subject_mismatch"]


async def test_no_mapped_group_is_refused(client, db, world, oidc_provider):
    before = await user_count(db)
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "nobody")).body()
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await user_count(db) == before
    denied = await signin_audits(db, "denied")
    assert [a.detail["reason"] for a in denied] == ["no_mapped_group"]


async def test_wrong_nonce_is_refused(client, db, world, oidc_provider):
    grant = await authorise(oidc_provider, "alice")
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=grant.body(nonce=_b64(secrets.token_bytes(16)))
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await user_count(db) == 0
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["nonce_mismatch"]


async def test_an_id_token_issued_to_another_client_is_refused(client, db, app, world, oidc_provider):
    nonce = _b64(secrets.token_bytes(16))
    foreign = await provider_id_token(oidc_provider, "alice", "other-app", nonce)
    edge(app, id_token=foreign)
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice", nonce=nonce)).body()
    )
    assert answer.status_code == 401
    assert await user_count(db) == 0
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["audience_mismatch"]


async def test_an_expired_id_token_is_refused(client, db, app, world, oidc_provider):
    grant = await authorise(oidc_provider, "alice")
    auth_runtime(app).clock = lambda: datetime.now(UTC) + timedelta(minutes=11)  # the tokens live 10
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 401
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["expired"]


async def test_a_used_code_is_refused(client, db, world, oidc_provider):
    grant = await authorise(oidc_provider, "alice")
    assert (await client.post("/api/v1/auth/oidc/token", json=grant.body())).status_code == 200
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 401
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["code_refused"]


async def test_another_redirect_uri_is_refused_naming_the_field(client, world, oidc_provider):
    grant = await authorise(oidc_provider, "alice")
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=grant.body(redirect_uri="https://evil.example/cb")
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "redirect_uri"


async def test_key_rotation_refetches_the_keys_once(client, db, app, world, oidc_provider):
    transport = edge(app)
    first = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body()
    )
    assert first.status_code == 200
    assert transport.key_fetches == 1
    new_kid = oidc_provider.rotate()
    grant = await authorise(oidc_provider, "alice")
    answer = await client.post("/api/v1/auth/oidc/token", json=grant.body())
    assert answer.status_code == 200, answer.text
    assert transport.key_fetches == 2  # the unknown kid made Lantern fetch the keys again, once
    assert new_kid in [k["kid"] for k in auth_runtime(app).oidc._keys]  # type: ignore[union-attr]


def _rogue_token(issuer: str, nonce: str, kid: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": "lantern",
        "sub": "alice",
        "nonce": nonce,
        "iat": now,
        "exp": now + 300,
        "groups": ["lantern-managers"],
    }
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


@pytest.mark.parametrize(("kid", "reason"), [("rogue", "unknown_signing_key"), ("key-1", "bad_signature")])
async def test_a_token_not_signed_by_the_provider_is_refused(
    client, db, app, world, oidc_provider, kid, reason
):
    nonce = _b64(secrets.token_bytes(16))
    transport = edge(app, id_token=_rogue_token(oidc_provider.issuer, nonce, kid))
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice", nonce=nonce)).body()
    )
    assert answer.status_code == 401
    assert await user_count(db) == 0
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == [reason]
    # An unknown kid is looked up again once (a rotation), never more.
    assert transport.key_fetches == (2 if kid == "rogue" else 1)


async def test_an_hs256_token_is_refused(client, db, app, world, oidc_provider):
    nonce = _b64(secrets.token_bytes(16))
    now = int(time.time())
    forged = jwt.encode(
        {
            "iss": oidc_provider.issuer,
            "aud": "lantern",
            "sub": "alice",
            "nonce": nonce,
            "iat": now,
            "exp": now + 60,
        },
        CLIENT_SECRET,
        algorithm="HS256",
    )
    edge(app, id_token=forged)
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice", nonce=nonce)).body()
    )
    assert answer.status_code == 401
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["algorithm_not_allowed"]


async def test_passwords_still_work_and_a_local_account_is_never_taken_over(
    client, db, world, make_user, oidc_provider
):
    local = await make_user("admin", username="alice")
    answer = await client.post("/api/v1/auth/token", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    oidc = await client.post("/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body())
    assert oidc.status_code == 200
    me = (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {oidc.json()['access_token']}"})
    ).json()
    assert me["id"] != str(local.id)
    assert me["username"].startswith("alice-") and me["roles"] == ["worker"]
    async with db.session() as session:
        kept = await session.get(User, local.id)
        assert kept is not None and kept.roles == ["admin"] and kept.external_subject is None


def test_the_group_map_is_read_from_json_and_checked(monkeypatch, tmp_path):
    from api.main import create_app
    from api.settings import SettingsError, load_settings

    for name in ("LANTERN_OIDC_GROUP_MAP", "LANTERN_OIDC_ISSUER", "LANTERN_OIDC_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANTERN_OIDC_GROUP_MAP", '{"staff": {"roles": ["worker"], "teams": ["city-cse"]}}')
    loaded = load_settings()
    assert loaded.oidc_group_map["staff"].teams == ["city-cse"]
    assert loaded.oidc_enabled is False

    monkeypatch.setenv("LANTERN_OIDC_GROUP_MAP", "{not json")
    with pytest.raises(SettingsError, match="LANTERN_OIDC_GROUP_MAP"):
        load_settings()
    monkeypatch.setenv("LANTERN_OIDC_GROUP_MAP", '{"staff": {"roles": ["superuser"]}}')
    with pytest.raises(SettingsError, match="LANTERN_OIDC_GROUP_MAP.*superuser"):
        create_app(load_settings(secret_key="k" * 40, var_dir=tmp_path / "var"))
    monkeypatch.setenv("LANTERN_OIDC_GROUP_MAP", '{"custody": {"roles": ["police"]}}')
    with pytest.raises(SettingsError, match="police"):
        create_app(load_settings(secret_key="k" * 40, var_dir=tmp_path / "var"))


async def test_a_disabled_user_is_refused(client, db, world, oidc_provider):
    first = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body()
    )
    assert first.status_code == 200
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.external_subject == "alice"))).scalar_one()  # type: ignore[arg-type]
        user.active = False
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body()
    )
    assert answer.status_code == 403
    assert [a.detail["reason"] for a in await signin_audits(db, "denied")] == ["inactive"]


async def test_an_unreachable_provider_is_502_and_the_button_has_no_endpoint(database_url, tmp_path):
    from api.main import create_app
    from tests.ports import ReservedPort

    closed = ReservedPort()  # reserved, nobody listening
    try:
        down = Settings(
            env="test",
            database_url=database_url,
            var_dir=tmp_path / "var",
            secret_key="test-secret-" + "x" * 40,
            vapid_private_key=VAPID_PEM,
            run_worker=False,
            pwa_dist=tmp_path / "no-pwa",
            oidc_issuer=f"http://127.0.0.1:{closed.port}",
            oidc_client_id="lantern",
            oidc_timeout_seconds=2,
        )
        application = create_app(down)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                config = (await c.get("/api/v1/auth/oidc/config")).json()
                assert config["enabled"] is True and config["authorization_endpoint"] is None
                body = {
                    "code": "x",
                    "code_verifier": "v" * 43,
                    "redirect_uri": REDIRECT_URI,
                    "nonce": "n" * 16,
                }
                answer = await c.post("/api/v1/auth/oidc/token", json=body)
                assert answer.status_code == 502
                assert answer.headers["content-type"].startswith("application/problem+json")
    finally:
        closed.release()


async def test_a_concurrent_first_sign_in_is_met_by_the_unique_subject(
    client, db, world, oidc_provider, test_database, monkeypatch
):
    """The other sign-in's user is committed between our lookup and our insert: our unit of work
    fails on the unique subject, is run again and finds that user (one user, no 500)."""
    if test_database.kind != "postgres":
        pytest.skip("SQLite serialises writers: its transaction holds the write lock from the start")
    from api.flows import oidc_signin

    real = oidc_signin._free_username
    raced: list[uuid.UUID] = []

    async def racing(session, claims, subject):
        if not raced:
            async with db.session() as other:
                rival = User(
                    username="alice-rival", display_name="Alice", roles=["worker"], external_subject=subject
                )
                other.add(rival)
            raced.append(rival.id)
        return await real(session, claims, subject)

    monkeypatch.setattr(oidc_signin, "_free_username", racing)
    answer = await client.post(
        "/api/v1/auth/oidc/token", json=(await authorise(oidc_provider, "alice")).body()
    )
    assert answer.status_code == 200, answer.text
    me = (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
    ).json()
    assert me["id"] == str(raced[0])
    assert await user_count(db) == 1
