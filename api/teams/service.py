"""Areas, stations, teams and users: creation and lookup rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.auth.passwords import hash_password
from api.errors import Conflict, NotFound, ValidationFailed
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
    if area is None or not area.active:
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


# -- administration: changes (nothing referenced is ever deleted; it is retired) ---------------


async def create_area(session: AsyncSession, *, slug: str, name: str) -> Area:
    if await area_by_slug(session, slug) is not None:
        raise Conflict(f"An area with slug '{slug}' exists.")
    area = Area(slug=slug, name=name)
    session.add(area)
    await session.flush()
    return area


async def create_station(session: AsyncSession, *, slug: str, name: str, area_slug: str) -> Station:
    area = await area_by_slug(session, area_slug)
    if area is None or not area.active:
        raise ValidationFailed.field("area", f"unknown area '{area_slug}'")
    if await station_by_slug(session, slug) is not None:
        raise Conflict(f"A station with slug '{slug}' exists.")
    station = Station(slug=slug, name=name, area_id=area.id)
    session.add(station)
    await session.flush()
    return station


def _apply(row: object, changes: dict[str, Any]) -> list[str]:
    """Set the attributes that differ; the names of those that changed."""
    changed = []
    for key, value in changes.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed


async def update_area(
    session: AsyncSession, area_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[Area, list[str]]:
    area = await session.get(Area, area_id, with_for_update=True)
    if area is None:
        raise NotFound("No such area.")
    changed = _apply(area, changes)
    await session.flush()
    return area, changed


async def _area_slug_to_id(session: AsyncSession, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes with an `area` slug (if any) turned into the `area_id` it names."""
    changes = dict(changes)
    if "area" in changes:
        area = await area_by_slug(session, changes.pop("area"))
        if area is None:
            raise ValidationFailed.field("area", "unknown area")
        changes["area_id"] = area.id
    return changes


async def update_station(
    session: AsyncSession, station_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[Station, list[str]]:
    station = await session.get(Station, station_id, with_for_update=True)
    if station is None:
        raise NotFound("No such station.")
    changes = await _area_slug_to_id(session, changes)
    changed = _apply(station, changes)
    await session.flush()
    return station, changed


async def update_team(
    session: AsyncSession, team_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[Team, list[str]]:
    """Rename, re-specialise, move or retire (`active: false`: no more routing to it) a team."""
    team = await session.get(Team, team_id, with_for_update=True)
    if team is None:
        raise NotFound("No such team.")
    changes = await _area_slug_to_id(session, changes)
    changed = _apply(team, changes)
    await session.flush()
    return team, changed


async def set_memberships(session: AsyncSession, user_id: uuid.UUID, team_ids: list[uuid.UUID]) -> bool:
    """Make the user's teams exactly `team_ids`; True when that changed anything."""
    team_ids = list(dict.fromkeys(team_ids))
    if team_ids:
        found = set((await session.execute(select(col(Team.id)).where(col(Team.id).in_(team_ids)))).scalars())
        missing = [str(t) for t in team_ids if t not in found]
        if missing:
            raise ValidationFailed.field("team_ids", f"unknown teams {', '.join(missing)}")
    current = set(await team_ids_of(session, user_id))
    wanted = set(team_ids)
    if current == wanted:
        return False
    if current - wanted:
        await session.execute(
            delete(Membership).where(
                col(Membership.user_id) == user_id, col(Membership.team_id).in_(list(current - wanted))
            )
        )
    for team_id in team_ids:
        if team_id not in current:
            session.add(Membership(user_id=user_id, team_id=team_id))
    await session.flush()
    return True


async def update_user(
    session: AsyncSession, user_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[User, list[str]]:
    """Change a user's name, roles, teams, station or `active` (a user who leaves is
    deactivated, never deleted: incidents, pages and the audit trail name them)."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("No such user.")
    changes = dict(changes)
    changed: list[str] = []
    if "team_ids" in changes and await set_memberships(session, user.id, changes.pop("team_ids")):
        changed.append("team_ids")
    if "station" in changes:
        slug = changes.pop("station")
        station_id = None
        if slug:
            station = await station_by_slug(session, slug)
            if station is None:
                raise ValidationFailed.field("station", f"unknown station '{slug}'")
            station_id = station.id
        changes["station_id"] = station_id
    if "roles" in changes:
        changes["roles"] = sorted(set(changes["roles"]))
    roles = changes.get("roles", user.roles)
    station_id = changes.get("station_id", user.station_id)
    if "police" in roles and station_id is None:
        raise ValidationFailed.field("station", "a police user belongs to a station")
    changed += _apply(user, changes)
    await session.flush()
    return user, changed


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    await session.flush()


async def station_slugs(session: AsyncSession, station_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not station_ids:
        return {}
    rows = await session.execute(
        select(col(Station.id), col(Station.slug)).where(col(Station.id).in_(station_ids))
    )
    return {sid: slug for sid, slug in rows.all()}


async def list_users(session: AsyncSession) -> list[tuple[User, list[uuid.UUID]]]:
    users = list((await session.execute(select(User).order_by(col(User.username)))).scalars())
    teams: dict[uuid.UUID, list[uuid.UUID]] = {u.id: [] for u in users}
    for user_id, team_id in (
        await session.execute(select(col(Membership.user_id), col(Membership.team_id)))
    ).all():
        teams.setdefault(user_id, []).append(team_id)
    return [(u, teams[u.id]) for u in users]
