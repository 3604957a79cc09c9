"""Sign-in, sign-out (this device, every device, an admin's revocation) and "who am I"."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Response, status
from sqlalchemy import select
from sqlmodel import col

from api.auth import service
from api.auth.dependencies import EVERYONE, CurrentActor, public, roles
from api.auth.runtime import AuthRuntimeDep
from api.auth.schemas import MeOut, TeamRefOut, TokenOut
from api.deps import DatabaseDep, SessionDep, SettingsDep
from api.platform.logs import client_ip_var
from api.teams.models import Station, Team

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenOut,
    dependencies=[public()],
    responses={
        401: {"description": "Bad credentials"},
        429: {"description": "Too many failures for this username from this address, or from this address"},
    },
)
async def sign_in(
    database: DatabaseDep,
    settings: SettingsDep,
    auth: AuthRuntimeDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenOut:
    # The client's address as the middleware saw it (the connection's peer: no proxy trust here).
    issued = await service.sign_in(
        database, settings, username, password, client_address=client_ip_var.get(), now=auth.clock()
    )
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/auth/sign-out", status_code=status.HTTP_204_NO_CONTENT, dependencies=[roles(*EVERYONE, "partner")]
)
async def sign_out(actor: CurrentActor, session: SessionDep, auth: AuthRuntimeDep) -> Response:
    """Revoke this access token: refused from now until it would have expired."""
    service.sign_out(session, auth.revocations, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/sign-out-everywhere",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[roles(*EVERYONE, "partner")],
)
async def sign_out_everywhere(
    actor: CurrentActor, session: SessionDep, settings: SettingsDep, auth: AuthRuntimeDep
) -> Response:
    """Revoke every token issued to the caller until now, on every device (a lost phone);
    acknowledgement links already sent to those devices stop working too. Sign in again after."""
    service.sign_out_everywhere(session, auth.revocations, settings, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/revoke-sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[roles("admin")],
    tags=["administration"],
    responses={404: {"description": "No such user"}},
)
async def revoke_sessions(
    user_id: uuid.UUID, actor: CurrentActor, session: SessionDep, settings: SettingsDep, auth: AuthRuntimeDep
) -> Response:
    """Admin: revoke every session of a user (their tokens issued until now are refused)."""
    await service.revoke_sessions(session, auth.revocations, settings, actor, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeOut, dependencies=[roles(*EVERYONE, "partner")])
async def me(actor: CurrentActor, session: SessionDep) -> MeOut:
    teams = []
    if actor.team_ids:
        rows = await session.execute(
            select(Team).where(col(Team.id).in_(actor.team_ids)).order_by(col(Team.slug))
        )
        teams = [TeamRefOut(id=t.id, slug=t.slug, name=t.name) for t in rows.scalars()]
    station = None
    if actor.station_id:
        s = await session.get(Station, actor.station_id)
        station = {"id": str(s.id), "slug": s.slug, "name": s.name} if s else None
    return MeOut(
        id=actor.id,
        username=actor.user.username,
        display_name=actor.user.display_name,
        roles=sorted(actor.roles),
        teams=teams,
        station=station,
        police_station=station["name"] if station else None,
    )
