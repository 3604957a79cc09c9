"""The areas, stations and active teams, as intake sees them: read on every report, changed
a few times a year. Kept per database engine, per process, as plain snapshots.

Freshness: any change to an area, station or team made through a session of this process
(the admin API, the CLI, tests) drops every snapshot when it is flushed and again when it
commits; changes made by other processes (another replica) are seen within `TTL_SECONDS`.
"""

from __future__ import annotations

import time
import uuid
import weakref
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import col

from api.teams.models import Area, Station, Team

TTL_SECONDS = 5.0
_WATCHED = (Area, Station, Team)
_CHANGED_KEY = "lantern_directory_changed"


@dataclass(frozen=True)
class AreaEntry:
    id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class StationEntry:
    id: uuid.UUID
    slug: str
    name: str
    area_id: uuid.UUID


@dataclass(frozen=True)
class TeamEntry:
    id: uuid.UUID
    slug: str
    name: str
    specialism: str
    area_id: uuid.UUID


@dataclass(frozen=True)
class Directory:
    areas: dict[str, AreaEntry]  # by slug
    stations: tuple[StationEntry, ...]
    active_teams: tuple[TeamEntry, ...]  # in the order the database returned them
    generation: int
    loaded_at: float

    def station(self, key: str) -> StationEntry | None:
        """The station whose slug or name is `key` (as `WHERE slug = key OR name = key`)."""
        found = [s for s in self.stations if key in (s.slug, s.name)]
        if len(found) > 1:
            raise MultipleResultsFound("more than one station matches")
        return found[0] if found else None

    def area_by_id(self) -> dict[uuid.UUID, AreaEntry]:
        return {a.id: a for a in self.areas.values()}


_generation = 0
_cache: weakref.WeakKeyDictionary[Engine | Connection, Directory] = weakref.WeakKeyDictionary()


def invalidate() -> None:
    """Drop every snapshot (a change to areas, stations or teams is on its way)."""
    global _generation
    _generation += 1
    _cache.clear()


async def directory(session: AsyncSession) -> Directory:
    """The current snapshot, loaded in `session` when missing or older than the TTL."""
    engine = session.get_bind()
    cached = _cache.get(engine)
    if cached is not None and cached.generation == _generation:
        if time.monotonic() - cached.loaded_at < TTL_SECONDS:
            return cached
    generation = _generation
    areas = {a.slug: AreaEntry(a.id, a.slug, a.name) for a in (await session.execute(select(Area))).scalars()}
    stations = tuple(
        StationEntry(s.id, s.slug, s.name, s.area_id)
        # A retired station takes no more reports: intake no longer finds it.
        for s in (await session.execute(select(Station).where(col(Station.active).is_(True)))).scalars()
    )
    teams = tuple(
        TeamEntry(t.id, t.slug, t.name, t.specialism, t.area_id)
        for t in (await session.execute(select(Team).where(col(Team.active).is_(True)))).scalars()
    )
    loaded = Directory(areas, stations, teams, generation, time.monotonic())
    if generation == _generation:  # nothing changed while we read: keep it
        _cache[engine] = loaded
    return loaded


def _touches_directory(objects) -> bool:
    return any(isinstance(o, _WATCHED) for o in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    if any(_touches_directory(objects) for objects in (session.new, session.dirty, session.deleted)):
        session.info[_CHANGED_KEY] = True
        invalidate()


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_change(state: ORMExecuteState) -> None:
    # update(Team)..., delete(Station)..., insert(Area)... bypass the flush.
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, _WATCHED):
            state.session.info[_CHANGED_KEY] = True
            invalidate()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Again once committed: a snapshot read between the flush and the commit saw old rows.
    if session.info.pop(_CHANGED_KEY, False):
        invalidate()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    if session.info.pop(_CHANGED_KEY, False):
        invalidate()
