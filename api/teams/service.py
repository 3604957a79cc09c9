"""Areas, stations, teams and users: creation and lookup rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.auth.passwords import hash_password
from api.errors import Conflict, ValidationFailed
from api.teams.models import Area, Membership, Station, Team


async def area_by_slug(session: AsyncSession, slug: str) -> Area | None:
    return (await session.execute(select(Area).where(col(Area.slug) == slug))).scalar_one_or_none()


async def station_by_slug(session: AsyncSession, slug: str) -> Station | None:
    return (await session.execute(select(Station).where(col(Station.slug) == slug))).scalar_one_or_none()


async def team_by_slug(session: AsyncSession, slug: str) -> Team | None:
    return (await session.execute(select(Team).where(col(Team.slug) == slug))).scalar_one_or_none()


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    return (
        await session.execute(select(User).where(col(User.username) == username.strip().lower()))
    ).scalar_one_or_none()


async def ensure_area(session: AsyncSession, slug: str, name: str) -> Area:
    area = await area_by_slug(session, slug)
    if area is None:
        area = Area(slug=slug, name=name)
        session.add(area)
        await session.flush()
    return area


async def ensure_station(session: AsyncSession, slug: str, name: str, area: Area) -> Station:
    station = await station_by_slug(session, slug)
    if station is None:
        station = Station(slug=slug, name=name, area_id=area.id)
        session.add(station)
        await session.flush()
    return station


async def create_team(
    session: AsyncSession, *, slug: str, name: str, specialism: str, area_slug: str
) -> Team:
    """Create a team in an existing area; the slug is unique."""
    area = await area_by_slug(session, area_slug)
    if area is None:
        raise ValidationFailed.field("area", f"unknown area '{area_slug}'")
    if await team_by_slug(session, slug) is not None:
        raise Conflict(f"A team with slug '{slug}' exists.")
    team = Team(slug=slug, name=name, specialism=specialism, area_id=area.id)
    session.add(team)
    await session.flush()
    return team


async def list_teams(session: AsyncSession) -> list[tuple[Team, Area]]:
    rows = await session.execute(
        select(Team, Area).join(Area, col(Area.id) == col(Team.area_id)).order_by(Team.slug)
    )
    return [(t, a) for t, a in rows.all()]


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str | None,
    roles: Iterable[str],
    team_ids: Iterable[uuid.UUID] = (),
    station_slug: str | None = None,
) -> User:
    """Create a local user with an Argon2 hash and team memberships."""
    username = username.strip().lower()
    if await user_by_username(session, username) is not None:
        raise Conflict(f"The username '{username}' is taken.")
    roles = sorted(set(roles))
    station_id = None
    if station_slug:
        station = await station_by_slug(session, station_slug)
        if station is None:
            raise ValidationFailed.field("station", f"unknown station '{station_slug}'")
        station_id = station.id
    elif "police" in roles:
        raise ValidationFailed.field("station", "a police user belongs to a station")
    team_ids = list(dict.fromkeys(team_ids))
    if team_ids:
        found = set((await session.execute(select(col(Team.id)).where(col(Team.id).in_(team_ids)))).scalars())
        missing = [str(t) for t in team_ids if t not in found]
        if missing:
            raise ValidationFailed.field("team_ids", f"unknown teams {', '.join(missing)}")
    user = User(
        username=username,
        display_name=display_name,
        roles=roles,
        password_hash=hash_password(password) if password else None,
        station_id=station_id,
    )
    session.add(user)
    await session.flush()
    for team_id in team_ids:
        session.add(Membership(user_id=user.id, team_id=team_id))
    await session.flush()
    return user


async def team_ids_of(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(select(col(Membership.team_id)).where(col(Membership.user_id) == user_id))
    return list(rows.scalars())
