"""Administration of areas, police stations, teams and users (admins).

Nothing that other rows refer to is deleted: an area, station or team is retired and a user
deactivated with `active: false`, so the incidents, pages and audit trail that name them stay
whole. Every change is audited with the names of the fields it changed (never their values).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import ALL_STAFF, CurrentActor, roles
from api.auth.models import User
from api.deps import SessionDep
from api.errors import ValidationFailed
from api.teams import service
from api.teams.models import Area, Station, Team
from api.teams.schemas import (
    AreaCreate,
    AreaOut,
    AreaUpdate,
    StationCreate,
    StationOut,
    StationUpdate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["administration"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such row"}}


def _no_nulls(changes: dict, fields: tuple[str, ...]) -> None:
    nulls = [k for k in fields if k in changes and changes[k] is None]
    if nulls:
        raise ValidationFailed(
            "These fields cannot be emptied.",
            errors=[{"field": k, "message": "may not be null"} for k in nulls],
        )


def _team_out(team: Team, area_slug: str) -> TeamOut:
    return TeamOut(
        id=team.id,
        slug=team.slug,
        name=team.name,
        specialism=team.specialism,
        area=area_slug,
        active=team.active,
    )


async def _area_slug(session, area_id: uuid.UUID) -> str:
    area = await session.get(Area, area_id)
    return area.slug if area else ""


# -- teams -----------------------------------------------------------------------------------------


@router.post(
    "/teams", status_code=status.HTTP_201_CREATED, response_model=TeamOut, dependencies=[roles("admin")]
)
async def create_team(body: TeamCreate, session: SessionDep, actor: CurrentActor) -> TeamOut:
    team = await service.create_team(
        session, slug=body.slug, name=body.name, specialism=body.specialism, area_slug=body.area
    )
    audit.record(session, actor, "team.create", resource_type="team", resource_id=team.id, team_id=team.id)
    return _team_out(team, body.area)


@router.get("/teams", response_model=list[TeamOut], dependencies=[roles(*ALL_STAFF)])
async def list_teams(session: SessionDep) -> list[TeamOut]:
    return [_team_out(t, a.slug) for t, a in await service.list_teams(session)]


@router.patch("/teams/{team_id}", response_model=TeamOut, dependencies=[roles("admin")], responses=NOT_FOUND)
async def update_team(
    team_id: uuid.UUID, body: TeamUpdate, session: SessionDep, actor: CurrentActor
) -> TeamOut:
    """Rename, re-specialise, move to another area, or retire (`active: false`) a team."""
    changes = body.model_dump(exclude_unset=True)
    _no_nulls(changes, ("name", "specialism", "area", "active"))
    team, changed = await service.update_team(session, team_id, changes)
    audit.record(
        session,
        actor,
        "team.update",
        resource_type="team",
        resource_id=team.id,
        team_id=team.id,
        detail={"fields": changed},
    )
    return _team_out(team, await _area_slug(session, team.area_id))


# -- areas and stations ----------------------------------------------------------------------------


@router.get("/areas", response_model=list[AreaOut], dependencies=[roles("police", "partner", *ALL_STAFF)])
async def list_areas(session: SessionDep) -> list[AreaOut]:
    rows = await session.execute(select(Area).order_by(Area.name))
    return [AreaOut(id=a.id, slug=a.slug, name=a.name, active=a.active) for a in rows.scalars()]


@router.post(
    "/areas", status_code=status.HTTP_201_CREATED, response_model=AreaOut, dependencies=[roles("admin")]
)
async def create_area(body: AreaCreate, session: SessionDep, actor: CurrentActor) -> AreaOut:
    """A local authority area (teams and stations belong to one)."""
    area = await service.create_area(session, slug=body.slug, name=body.name)
    audit.record(session, actor, "area.create", resource_type="area", resource_id=area.id)
    return AreaOut(id=area.id, slug=area.slug, name=area.name, active=area.active)


@router.patch("/areas/{area_id}", response_model=AreaOut, dependencies=[roles("admin")], responses=NOT_FOUND)
async def update_area(
    area_id: uuid.UUID, body: AreaUpdate, session: SessionDep, actor: CurrentActor
) -> AreaOut:
    changes = body.model_dump(exclude_unset=True)
    _no_nulls(changes, ("name", "active"))
    area, changed = await service.update_area(session, area_id, changes)
    audit.record(
        session, actor, "area.update", resource_type="area", resource_id=area.id, detail={"fields": changed}
    )
    return AreaOut(id=area.id, slug=area.slug, name=area.name, active=area.active)


@router.get("/stations", response_model=list[StationOut], dependencies=[roles("police", *ALL_STAFF)])
async def list_stations(session: SessionDep) -> list[StationOut]:
    rows = await session.execute(
        select(Station, Area).join(Area, col(Area.id) == col(Station.area_id)).order_by(col(Station.name))
    )
    return [
        StationOut(id=s.id, slug=s.slug, name=s.name, area=a.slug, active=s.active) for s, a in rows.all()
    ]


@router.post(
    "/stations", status_code=status.HTTP_201_CREATED, response_model=StationOut, dependencies=[roles("admin")]
)
async def create_station(body: StationCreate, session: SessionDep, actor: CurrentActor) -> StationOut:
    """A police station (custody suite) whose staff report incidents."""
    station = await service.create_station(session, slug=body.slug, name=body.name, area_slug=body.area)
    audit.record(session, actor, "station.create", resource_type="station", resource_id=station.id)
    return StationOut(
        id=station.id, slug=station.slug, name=station.name, area=body.area, active=station.active
    )


@router.patch(
    "/stations/{station_id}", response_model=StationOut, dependencies=[roles("admin")], responses=NOT_FOUND
)
async def update_station(
    station_id: uuid.UUID, body: StationUpdate, session: SessionDep, actor: CurrentActor
) -> StationOut:
    """Rename, move, or retire (`active: false`: it takes no more reports) a station."""
    changes = body.model_dump(exclude_unset=True)
    _no_nulls(changes, ("name", "area", "active"))
    station, changed = await service.update_station(session, station_id, changes)
    audit.record(
        session,
        actor,
        "station.update",
        resource_type="station",
        resource_id=station.id,
        detail={"fields": changed},
    )
    return StationOut(
        id=station.id,
        slug=station.slug,
        name=station.name,
        area=await _area_slug(session, station.area_id),
        active=station.active,
    )


# -- users -----------------------------------------------------------------------------------------


async def _user_out(session, user: User, team_ids: list[uuid.UUID] | None = None) -> UserOut:
    stations = await service.station_slugs(session, {user.station_id} if user.station_id else set())
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        team_ids=team_ids if team_ids is not None else await service.team_ids_of(session, user.id),
        station=stations.get(user.station_id) if user.station_id else None,
        active=user.active,
    )


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
    return await _user_out(session, user)


@router.get("/users", response_model=list[UserOut], dependencies=[roles("admin")])
async def list_users(session: SessionDep) -> list[UserOut]:
    """Every user, deactivated ones included (staff names and roles; no case content)."""
    listed = await service.list_users(session)
    stations = await service.station_slugs(session, {u.station_id for u, _ in listed if u.station_id})
    return [
        UserOut(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            roles=u.roles,
            team_ids=team_ids,
            station=stations.get(u.station_id) if u.station_id else None,
            active=u.active,
        )
        for u, team_ids in listed
    ]


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=[roles("admin")], responses=NOT_FOUND)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, actor: CurrentActor
) -> UserOut:
    """Change a user's name, roles, teams (`team_ids` replaces them), station, or deactivate them
    (`active: false`; their tokens stop working at their next request). Admins cannot
    deactivate themselves or take their own admin role away (someone must be left to undo it)."""
    changes = body.model_dump(exclude_unset=True)
    _no_nulls(changes, ("display_name", "roles", "team_ids", "active"))
    if user_id == actor.id and (
        changes.get("active") is False or "admin" not in changes.get("roles", ["admin"])
    ):
        raise ValidationFailed.field(
            "active" if "active" in changes else "roles", "you cannot lock yourself out"
        )
    user, changed = await service.update_user(session, user_id, changes)
    audit.record(
        session, actor, "user.update", resource_type="user", resource_id=user.id, detail={"fields": changed}
    )
    return await _user_out(session, user)
