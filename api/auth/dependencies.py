"""Who is calling, and may they: every route names the roles it admits.

`roles("manager", "admin")` is a route dependency; the route-table test fails on any
route without one (deny by default). `public()` marks the few routes that need no
sign-in, explicitly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.actors import user_and_teams
from api.auth.models import ROLES, User
from api.auth.runtime import auth_runtime
from api.auth.tokens import AccessClaims, InvalidToken, authenticate
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


@dataclass
class Actor:
    """The signed-in user with what they may reach: roles, teams, station."""

    user: User
    roles: frozenset[str]
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # The access token this request came with (sign-out revokes it).
    token: AccessClaims | None = None
    # The route template of the request ("GET /api/v1/incidents"), for the audit trail.
    route: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def station_id(self) -> uuid.UUID | None:
        return self.user.station_id

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


async def _current_actor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    try:
        # Signature, expiry, audience… then the revoked sessions (a per-process copy, no query
        # on most requests; see api/auth/revocations.py for how stale it may be).
        claims = await authenticate(
            settings,
            credentials.credentials,
            session=session,
            revocations=auth_runtime(request.app).revocations,
        )
    except InvalidToken:
        raise Unauthorized(
            "The access token is not valid.", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from None
    # The user and their teams: one round trip, or none within a few seconds (api.auth.actors).
    found = await user_and_teams(session, claims.user_id)
    user, team_ids = found if found else (None, frozenset())
    if user is None or not user.active:
        raise Unauthorized("The access token is not valid.", headers={"WWW-Authenticate": "Bearer"})
    actor = Actor(
        user=user, roles=frozenset(user.roles), team_ids=team_ids, token=claims, route=route_of(request)
    )
    request.state.actor = actor
    return actor


def route_of(request: Request) -> str | None:
    """The method and route template of a request (never the raw path: it may hold ids)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return f"{request.method} {path}" if path else None


CurrentActor = Annotated[Actor, Depends(_current_actor)]


class RoleGuard:
    """A route dependency naming the roles a route admits."""

    def __init__(self, allowed: tuple[str, ...], *, public: bool = False) -> None:
        unknown = set(allowed) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.allowed = allowed
        self.public = public

    async def __call__(self, request: Request) -> None:
        if self.public:
            return
        # Resolve the actor through the same dependency the route may use (cached per request).
        actor = getattr(request.state, "actor", None)
        if actor is None:  # pragma: no cover - _guarded wiring below always resolves it first
            raise Unauthorized("Sign in first.")
        if not actor.has(*self.allowed):
            raise Forbidden("Your role does not allow this.")

    def __repr__(self) -> str:
        return "public()" if self.public else f"roles({', '.join(self.allowed)})"


def roles(*allowed: str):
    """Route dependency: the caller must be signed in and hold one of `allowed`."""
    guard = RoleGuard(allowed)

    async def _guarded(request: Request, actor: CurrentActor) -> None:
        await guard(request)

    _guarded.role_guard = guard  # type: ignore[attr-defined]
    return Depends(_guarded)


def public():
    """Route dependency: no sign-in needed (health, sign-in itself, public keys)."""
    guard = RoleGuard((), public=True)

    async def _open() -> None:
        return None

    _open.role_guard = guard  # type: ignore[attr-defined]
    return Depends(_open)


ALL_STAFF = ("worker", "day_team", "manager", "admin")
EVERYONE = ("police", "worker", "day_team", "manager", "admin")
# Whoever may sign in to the PWA: everyone, and a hubs' coordinator (who reads places and networks).
SIGNED_IN = (*EVERYONE, "coordinator", "partner")
