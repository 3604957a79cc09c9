"""Sign-in and "who am I"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from sqlalchemy import select

from api.auth import service
from api.auth.dependencies import EVERYONE, CurrentActor, public, roles
from api.auth.schemas import MeOut, TeamRefOut, TokenOut
from api.deps import DatabaseDep, SessionDep, SettingsDep
from api.teams.models import Station, Team

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenOut,
    dependencies=[public()],
    responses={401: {"description": "Bad credentials"}, 429: {"description": "Too many failures"}},
)
async def sign_in(
    database: DatabaseDep,
    settings: SettingsDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenOut:
    issued = await service.sign_in(database, settings, username, password)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.get("/me", response_model=MeOut, dependencies=[roles(*EVERYONE)])
async def me(actor: CurrentActor, session: SessionDep) -> MeOut:
    teams = []
    if actor.team_ids:
        rows = await session.execute(select(Team).where(Team.id.in_(actor.team_ids)).order_by(Team.slug))
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
