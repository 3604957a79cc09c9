"""The organisation's OpenID provider, as Lantern (its client) talks to it.

Discovery (`{issuer}/.well-known/openid-configuration`, whose `issuer` must be the configured one
exactly), the provider's signing keys (its `jwks_uri`, kept for LANTERN_OIDC_CACHE_SECONDS and
fetched again, once per ID token, when a token names a key id we do not hold: key rotation),
the exchange of an authorisation code at its token endpoint (with the PKCE verifier, and the
client secret when Lantern is a confidential client), and the ID token's verification through
api/auth/tokens.py. The provider's own tokens stay here: the browser only ever gets Lantern's.

When the verified ID token carries no groups claim (many providers put groups only in the
userinfo response), `with_userinfo` asks the discovery document's `userinfo_endpoint` with the
provider's access token, over the same client. Its answer must be a JSON object whose `sub` is
exactly the ID token's; it only fills in claims the ID token lacks, never overrides one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from api.auth.models import ROLES
from api.auth.tokens import InvalidToken, UnknownSigningKey, verify_provider_id_token
from api.settings import Settings, SettingsError


class ProviderRefused(Exception):
    """The provider, or what it answered, cannot be trusted for this sign-in. `reason` is a short
    code for the audit trail (never the provider's text, which may carry personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error of its own."""


@dataclass(frozen=True)
class Grant:
    """What a user's groups grant in Lantern, from LANTERN_OIDC_GROUP_MAP."""

    roles: frozenset[str]
    teams: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.roles and not self.teams


def check_group_map(settings: Settings) -> None:
    """Refuse a group map naming a role Lantern does not have (one line naming the variable)."""
    for group, grant in settings.oidc_group_map.items():
        if "police" in grant.roles:
            raise SettingsError(
                f"LANTERN_OIDC_GROUP_MAP: group {group!r} grants police, which needs a station:"
                " police accounts are made by an admin"
            )
        unknown = sorted(set(grant.roles) - set(ROLES))
        if unknown:
            raise SettingsError(
                f"LANTERN_OIDC_GROUP_MAP: group {group!r} names unknown roles {', '.join(unknown)}"
                f" (known: {', '.join(ROLES)})"
            )


def grant_for(settings: Settings, groups: object) -> Grant:
    """The union of what each of the user's mapped groups grants (unmapped groups grant nothing)."""
    roles: set[str] = set()
    teams: set[str] = set()
    if isinstance(groups, str):
        groups = [groups]
    if isinstance(groups, list):
        for group in groups:
            grant = settings.oidc_group_map.get(group) if isinstance(group, str) else None
            if grant is not None:
                roles.update(grant.roles)
                teams.update(grant.teams)
    return Grant(frozenset(roles), frozenset(teams))


@dataclass
class OidcProvider:
    settings: Settings
    # Tests may route the client's requests (the edge of the world); production uses the network.
    transport: httpx.AsyncBaseTransport | None = None
    _metadata: dict[str, Any] | None = None
    _metadata_at: float = 0.0
    _keys: list[dict[str, Any]] = field(default_factory=list)
    _keys_at: float = 0.0

    def __post_init__(self) -> None:
        check_group_map(self.settings)

    @property
    def issuer(self) -> str:
        assert self.settings.oidc_issuer
        return self.settings.oidc_issuer

    @property
    def client_id(self) -> str:
        assert self.settings.oidc_client_id
        return self.settings.oidc_client_id

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, timeout=self.settings.oidc_timeout_seconds, follow_redirects=False
        )

    def _fresh(self, at: float) -> bool:
        return time.monotonic() - at < self.settings.oidc_cache_seconds

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is not None and self._fresh(self._metadata_at):
            return self._metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(url)
        if document.get("issuer") != self.issuer:
            raise ProviderRefused("discovery_issuer_mismatch")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise ProviderRefused("discovery_incomplete")
        self._metadata, self._metadata_at = document, time.monotonic()
        return document

    async def keys(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        if refresh or not self._keys or not self._fresh(self._keys_at):
            document = await self._get_json((await self.metadata())["jwks_uri"])
            keys = document.get("keys")
            if not isinstance(keys, list):
                raise ProviderRefused("jwks_malformed")
            self._keys, self._keys_at = [k for k in keys if isinstance(k, dict)], time.monotonic()
        return self._keys

    async def exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        """The provider's token response for `code` (its ID token and access token)."""
        endpoint = (await self.metadata())["token_endpoint"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
        }
        auth: httpx.BasicAuth | None = None
        if self.settings.oidc_client_secret:
            auth = httpx.BasicAuth(self.client_id, self.settings.oidc_client_secret)
        else:
            form["client_id"] = self.client_id
        try:
            async with self._client() as client:
                response = await client.post(endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code in (400, 401):
            # invalid_grant (a used, expired or foreign code; a wrong verifier), invalid_client.
            raise ProviderRefused("code_refused")
        if response.status_code != 200:
            raise ProviderUnavailable(f"token endpoint answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderRefused("token_response_malformed") from exc
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise ProviderRefused("no_id_token")
        return body

    async def verify(
        self, id_token: str, *, access_token: str | None, nonce: str, now: datetime
    ) -> dict[str, Any]:
        """The ID token's claims; its signing keys are fetched again once if it names a new key."""
        arguments: dict[str, Any] = {
            "issuer": self.issuer,
            "audience": self.client_id,
            "nonce": nonce,
            "access_token": access_token,
            "now": now,
        }
        try:
            try:
                return verify_provider_id_token(id_token, keys=await self.keys(), **arguments)
            except UnknownSigningKey:
                return verify_provider_id_token(id_token, keys=await self.keys(refresh=True), **arguments)
        except UnknownSigningKey as exc:
            raise ProviderRefused("unknown_signing_key") from exc
        except InvalidToken as exc:
            raise ProviderRefused(_reason(str(exc))) from exc

    async def with_userinfo(self, claims: dict[str, Any], *, access_token: str | None) -> dict[str, Any]:
        """The verified ID token's `claims` completed from the userinfo endpoint. Without an
        access token or an advertised endpoint there is nothing to ask: `claims` unchanged."""
        endpoint = (await self.metadata()).get("userinfo_endpoint")
        if not access_token or not isinstance(endpoint, str):
            return claims
        try:
            async with self._client() as client:
                response = await client.get(
                    endpoint,
                    headers={"Accept": "application/json", "Authorization": f"Bearer {access_token}"},
                )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code in (401, 403):
            raise ProviderRefused("userinfo_refused")
        if response.status_code != 200:
            raise ProviderUnavailable(f"userinfo endpoint answered {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            # A signed or encrypted userinfo answer (application/jwt) is not asked for nor accepted.
            raise ProviderRefused("userinfo_not_json")
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProviderRefused("userinfo_malformed") from exc
        if not isinstance(answer, dict):
            raise ProviderRefused("userinfo_malformed")
        # OpenID Connect Core 5.3.2: the userinfo `sub` MUST be the ID token's, else not used.
        if not isinstance(answer.get("sub"), str) or answer["sub"] != claims["sub"]:
            raise ProviderRefused("userinfo_subject_mismatch")
        return {**answer, **claims}

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._client() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"{url} answered {response.status_code}")
        try:
            document = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"{url} is not JSON") from exc
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"{url} is not a JSON object")
        return document


def _reason(message: str) -> str:
    """A short audit code for a verification failure (python-jose's messages are fixed texts)."""
    text = message.lower()
    for needle, code in (
        ("nonce", "nonce_mismatch"),
        ("audience", "audience_mismatch"),
        ("authorised party", "audience_mismatch"),
        ("issuer", "issuer_mismatch"),
        ("expired", "expired"),
        ("future", "not_yet_valid"),
        ("not yet valid", "not_yet_valid"),
        ("signature", "bad_signature"),
        ("algorithm", "algorithm_not_allowed"),
        ("at_hash", "at_hash_mismatch"),
    ):
        if needle in text:
            return code
    return "invalid_id_token"
