"""Administration of teams and users."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import ALL_STAFF, CurrentActor, roles
from api.deps import SessionDep
from api.teams import service
from api.teams.models import Area, Station
from api.teams.schemas import AreaOut, StationOut, TeamCreate, TeamOut, UserCreate, UserOut

router = APIRouter(prefix="/api/v1", tags=["administration"])


@router.post(
    "/teams", status_code=status.HTTP_201_CREATED, response_model=TeamOut, dependencies=[roles("admin")]
)
async def create_team(body: TeamCreate, session: SessionDep, actor: CurrentActor) -> TeamOut:
    team = await service.create_team(
        session, slug=body.slug, name=body.name, specialism=body.specialism, area_slug=body.area
    )
    audit.record(session, actor, "team.create", resource_type="team", resource_id=team.id, team_id=team.id)
    return TeamOut(id=team.id, slug=team.slug, name=team.name, specialism=team.specialism, area=body.area)


@router.get("/teams", response_model=list[TeamOut], dependencies=[roles(*ALL_STAFF)])
async def list_teams(session: SessionDep) -> list[TeamOut]:
    return [
        TeamOut(id=t.id, slug=t.slug, name=t.name, specialism=t.specialism, area=a.slug)
        for t, a in await service.list_teams(session)
    ]


@router.get("/areas", response_model=list[AreaOut], dependencies=[roles("police", "partner", *ALL_STAFF)])
async def list_areas(session: SessionDep) -> list[AreaOut]:
    rows = await session.execute(select(Area).order_by(Area.name))
    return [AreaOut(id=a.id, slug=a.slug, name=a.name) for a in rows.scalars()]


@router.get("/stations", response_model=list[StationOut], dependencies=[roles("police", *ALL_STAFF)])
async def list_stations(session: SessionDep) -> list[StationOut]:
    rows = await session.execute(
        select(Station, Area).join(Area, col(Area.id) == col(Station.area_id)).order_by(col(Station.name))
    )
    return [StationOut(id=s.id, slug=s.slug, name=s.name, area=a.slug) for s, a in rows.all()]


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, response_model=UserOut, dependencies=[roles("admin")]
)
async def create_user(body: UserCreate, session: SessionDep, actor: CurrentActor) -> UserOut:
    user = await service.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        team_ids=body.team_ids,
        station_slug=body.station,
    )
    audit.record(session, actor, "user.create", resource_type="user", resource_id=user.id)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        team_ids=await service.team_ids_of(session, user.id),
        station=body.station,
    )
