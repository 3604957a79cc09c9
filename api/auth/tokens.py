"""The one module that issues and verifies tokens.

HS256 only (an allow-list of one): a token whose header names any other algorithm,
including `none` or an asymmetric one, is refused before its signature is looked at.
`exp`, `iat`, `iss`, `aud` and `sub` are required.

`authenticate` is what a request's credential goes through: the checks above, then the
revoked sessions (sign-out, sign-out everywhere, an admin's revocation; see revocations.py).
`iat` carries fractions of a second so "every token issued before now" is exact: a token
issued just after a sign-out everywhere is not caught by it.
"""

from __future__ import annotations

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


class InvalidToken(Exception):
    pass


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


def verify_token(settings: Settings, token: str, *, purpose: str = "access") -> AccessClaims:
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


def _key(settings: Settings) -> str:
    if not settings.secret_key:
        raise RuntimeError("LANTERN_SECRET_KEY is not configured")
    return settings.secret_key
