"""The one module that issues and verifies tokens.

HS256 only (an allow-list of one): a token whose header names any other algorithm,
including `none` or an asymmetric one, is refused before its signature is looked at.
`exp`, `iat`, `iss`, `aud` and `sub` are required.

`authenticate` is what a request's credential goes through: the checks above, then the
revoked sessions (sign-out, sign-out everywhere, an admin's revocation; see revocations.py).
`iat` carries fractions of a second so "every token issued before now" is exact: a token
issued just after a sign-out everywhere is not caught by it.

`verify_provider_id_token` checks an ID token from the organisation's OpenID provider (sign-in
through the organisation, api/auth/oidc.py): asymmetric algorithms only (never HS256 with a
guessable secret, never `none`), the key chosen by `kid` from the provider's published keys
(an unknown `kid` raises UnknownSigningKey so the caller refetches them once), then `iss`,
`aud` (and `azp` when there are several audiences), `exp`, `iat`, `sub`, `nonce` and `at_hash`.
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.revocations import RevocationCache
from api.settings import Settings

ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]


# The provider's ID tokens: public-key signatures only.
PROVIDER_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
# Clock difference with the provider tolerated on `iat` (a token issued "in the future").
PROVIDER_CLOCK_SKEW_SECONDS = 60


class InvalidToken(Exception):
    pass


class UnknownSigningKey(InvalidToken):
    """The token names a key the provider's published key set (as we have it) does not hold."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    token_id: str
    purpose: str
    claims: dict[str, Any]

    @property
    def issued_at(self) -> float:
        return float(self.claims["iat"])

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(float(self.claims["exp"]), UTC)


def issue_access_token(settings: Settings, user_id: uuid.UUID, *, now: datetime | None = None) -> IssuedToken:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = _encode(settings, {"sub": str(user_id), "typ": "access"}, lifetime, now=now)
    return IssuedToken(token, int(lifetime.total_seconds()))


def issue_purpose_token(
    settings: Settings, subject: str, purpose: str, lifetime: timedelta, **extra: Any
) -> str:
    """A narrow token for one job (e.g. acknowledging one page from a notification)."""
    return _encode(settings, {"sub": subject, "typ": purpose, **extra}, lifetime)


def _encode(
    settings: Settings, claims: dict[str, Any], lifetime: timedelta, *, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    payload = {
        **claims,
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": now.timestamp(),
        "nbf": int(now.timestamp()) - 5,
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, _key(settings), algorithm=ALGORITHM)


# Tokens verified in this process, by their exact text (and the key, audience and issuer they
# were checked against): a signed-in PWA sends the same token for up to its lifetime, and
# decoding and checking it again cost about a tenth of a millisecond per request. Only a token
# that passed every check is kept; a hit is still refused outside its `nbf`..`exp` window
# (checked as on first sight, no leeway), and revocation is checked on every request
# (`authenticate`). Bounded: emptied when full.
_VERIFIED: dict[tuple[str, str, str, str, str], AccessClaims] = {}
_VERIFIED_MAX = 4096


def verify_token(settings: Settings, token: str, *, purpose: str = "access") -> AccessClaims:
    cache_key = (token, purpose, _key(settings), settings.token_audience, settings.token_issuer)
    known = _VERIFIED.get(cache_key)
    if known is not None:
        now = int(time.time())
        if known.claims.get("nbf", now) <= now <= known.claims["exp"]:
            return known
        del _VERIFIED[cache_key]  # out of its window: checked in full again (and refused)
    verified = _verify_token(settings, token, purpose=purpose)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[cache_key] = verified
    return verified


def _verify_token(settings: Settings, token: str, *, purpose: str) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise InvalidToken("algorithm not allowed")
    try:
        claims = jwt.decode(
            token,
            _key(settings),
            algorithms=ALLOWED_ALGORITHMS,
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "require_jti": True,
                "leeway": 0,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != purpose:
        raise InvalidToken("wrong token type")
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise InvalidToken("bad subject") from exc
    return AccessClaims(user_id=user_id, token_id=str(claims["jti"]), purpose=purpose, claims=claims)


async def authenticate(
    settings: Settings,
    token: str,
    *,
    session: AsyncSession,
    revocations: RevocationCache,
    purpose: str = "access",
) -> AccessClaims:
    """Verify `token` and refuse it when its session was revoked (InvalidToken either way)."""
    claims = verify_token(settings, token, purpose=purpose)
    try:
        issued_at = claims.issued_at
    except (TypeError, ValueError) as exc:
        raise InvalidToken("bad issue time") from exc
    if await revocations.is_revoked(
        session, user_id=claims.user_id, token_id=claims.token_id, issued_at=issued_at
    ):
        raise InvalidToken("revoked")
    return claims


def verify_provider_id_token(
    token: str,
    *,
    keys: list[dict[str, Any]],
    issuer: str,
    audience: str,
    nonce: str,
    access_token: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The claims of the provider's ID token `token`, or InvalidToken saying what failed."""
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("malformed token") from exc
    algorithm = header.get("alg")
    if algorithm not in PROVIDER_ALGORITHMS:
        raise InvalidToken("algorithm not allowed")
    kid = header.get("kid")
    signing = [k for k in keys if k.get("use", "sig") == "sig" and k.get("alg", algorithm) == algorithm]
    candidates = [k for k in signing if k.get("kid") == kid] if kid else signing
    if not candidates:
        raise UnknownSigningKey("unknown signing key")
    if len(candidates) > 1:
        raise InvalidToken("ambiguous signing key")
    try:
        claims = jwt.decode(
            token,
            candidates[0],
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            access_token=access_token,
            options={
                # Times are checked below against the caller's clock.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require_exp": True,
                "require_iat": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "leeway": 0,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != audience:
        raise InvalidToken("authorised party is not this client")
    try:
        expires = float(claims["exp"])
        issued = float(claims["iat"])
    except (TypeError, ValueError) as exc:
        raise InvalidToken("bad token times") from exc
    moment = now.timestamp()
    if moment >= expires:
        raise InvalidToken("token expired")
    if issued > moment + PROVIDER_CLOCK_SKEW_SECONDS:
        raise InvalidToken("token issued in the future")
    if "nbf" in claims and float(claims["nbf"]) > moment + PROVIDER_CLOCK_SKEW_SECONDS:
        raise InvalidToken("token not yet valid")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise InvalidToken("nonce does not match")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("bad subject")
    return claims


def _key(settings: Settings) -> str:
    if not settings.secret_key:
        raise RuntimeError("LANTERN_SECRET_KEY is not configured")
    return settings.secret_key
