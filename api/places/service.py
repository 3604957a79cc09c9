"""Places: created by case roles, resolved at intake, merged and retired by managers and hub
coordinators. Every change is audited; nothing is deleted.

Who reaches a place: the case roles (worker, day team, manager) and coordinators whose teams
cover the place's area. Police reach no place through these routes (intake resolves their
free text itself). A place outside the reader's areas is a 404, like an unknown id.

The active places are read on every intake: they are kept in a short per-process cache
(`PLACES_TTL_SECONDS`), dropped at once by any change to a place made in this process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.incidents.models import Incident
from api.places.matching import Candidate, Match, Matcher, normalise, suggest
from api.places.models import Place, PlaceMerge
from api.places.schemas import PlaceIn
from api.platform.cache import MISSING, ProcessCache
from api.teams.directory import directory

CASE_ROLES = ("worker", "day_team", "manager", "coordinator")
STEWARD_ROLES = ("manager", "coordinator")  # merge and retire
PLACES_TTL_SECONDS = 5.0
_places = ProcessCache("places", (Place,), PLACES_TTL_SECONDS)


@dataclass(frozen=True)
class PlaceIndex:
    """The active places, and where each merged place went (for an id given at intake)."""

    active: dict[uuid.UUID, Candidate]
    merged: dict[uuid.UUID, uuid.UUID]
    by_area: dict[uuid.UUID | None, Matcher] = field(default_factory=dict)

    def __post_init__(self) -> None:
        groups: dict[uuid.UUID | None, list[Candidate]] = {}
        for place in self.active.values():
            groups.setdefault(place.area_id, []).append(place)
        self.by_area.update({area_id: Matcher(places) for area_id, places in groups.items()})

    def lookup(self, place_id: uuid.UUID) -> Candidate | None:
        """The active place `place_id` is, or was merged into; None if unknown or retired."""
        seen: set[uuid.UUID] = set()
        while place_id in self.merged and place_id not in seen:
            seen.add(place_id)
            place_id = self.merged[place_id]
        return self.active.get(place_id)

    def in_area(self, area_id: uuid.UUID | None) -> list[Candidate]:
        return [p for p in self.active.values() if area_id is None or p.area_id in (area_id, None)]

    def resolve(self, text: str, area_id: uuid.UUID | None) -> Match | None:
        """Intake's silent link: only within the location's area, only when certain."""
        matcher = self.by_area.get(area_id) if area_id is not None else None
        return matcher.resolve(text) if matcher is not None else None


async def place_index(session: AsyncSession) -> PlaceIndex:
    """The active places (one query when the cache is cold, none within its TTL)."""
    cached = _places.get(session, "index")
    if cached is not MISSING:
        return cached
    generation = _places.generation
    rows = (
        await session.execute(
            select(
                col(Place.id),
                col(Place.name),
                col(Place.aliases),
                col(Place.area_id),
                col(Place.type),
                col(Place.retired_at),
                col(Place.merged_into_id),
            )
        )
    ).all()
    active, merged = {}, {}
    for place_id, name, aliases, area_id, kind, retired_at, merged_into_id in rows:
        if merged_into_id is not None:
            merged[place_id] = merged_into_id
        elif retired_at is None:
            active[place_id] = Candidate(place_id, name, tuple(aliases or ()), area_id, kind)
    index = PlaceIndex(active, merged)
    _places.put(session, "index", index, generation)
    return index


async def actor_area_ids(session: AsyncSession, actor: Actor) -> frozenset[uuid.UUID]:
    """The areas of the actor's teams: the places they reach."""
    known = await directory(session)
    return frozenset(t.area_id for t in known.active_teams if t.id in actor.team_ids)


async def readable_place(session: AsyncSession, actor: Actor, place_id: uuid.UUID) -> Place:
    place = await session.get(Place, place_id)
    if place is None or not actor.has(*CASE_ROLES):
        raise NotFound("No such place.")
    if place.area_id is not None and place.area_id not in await actor_area_ids(session, actor):
        raise NotFound("No such place.")
    return place


async def list_places(
    session: AsyncSession, actor: Actor, area: str | None, include_retired: bool
) -> list[Place]:
    """The places of the actor's areas (or of one of them), by name; merged ones never."""
    mine = await actor_area_ids(session, actor)
    query = select(Place).where(
        col(Place.merged_into_id).is_(None),
        col(Place.area_id).is_(None) | col(Place.area_id).in_(mine),
    )
    if area is not None:
        entry = (await directory(session)).areas.get(area)
        if entry is None:
            raise ValidationFailed.field("area", "unknown area")
        query = query.where(col(Place.area_id) == entry.id)
    if not include_retired:
        query = query.where(col(Place.retired_at).is_(None))
    return list((await session.execute(query.order_by(col(Place.name), col(Place.id)).limit(1000))).scalars())


async def area_slugs(session: AsyncSession) -> dict[uuid.UUID, str]:
    return {a.id: a.slug for a in (await directory(session)).areas.values()}


async def suggestions(
    session: AsyncSession, actor: Actor, text: str, area: str | None, limit: int
) -> list[tuple[Match, str | None]]:
    """Places like `text` in `area` (a slug) or, without one, in the actor's areas."""
    known = await directory(session)
    index = await place_index(session)
    if area is not None:
        entry = known.areas.get(area)
        if entry is None:
            raise ValidationFailed.field("area", "unknown area")
        places = index.in_area(entry.id)
    elif actor.has("police"):
        places = list(index.active.values())
    else:
        mine = await actor_area_ids(session, actor)
        places = [p for p in index.active.values() if p.area_id is None or p.area_id in mine]
    slugs = {a.id: a.slug for a in known.areas.values()}
    return [
        (m, slugs.get(m.place.area_id) if m.place.area_id else None)
        for m in suggest(text, places, limit=limit)
    ]


async def create_place(session: AsyncSession, actor: Actor, body: PlaceIn) -> Place:
    known = await directory(session)
    area = known.areas.get(body.area)
    if area is None:
        raise ValidationFailed.field("area", "unknown area")
    if area.id not in await actor_area_ids(session, actor):
        raise ValidationFailed.field("area", "not an area of your teams")
    key = normalise(body.name)
    index = await place_index(session)
    for other in index.in_area(area.id):
        if other.area_id == area.id and key in {normalise(n) for n in (other.name, *other.aliases)}:
            raise Conflict(
                "A place with this name already exists in this area.",
                extra={"existing_place_id": str(other.id)},
            )
    aliases = list(dict.fromkeys(a for a in body.aliases if normalise(a) != key))
    place = Place(
        name=body.name,
        aliases=aliases,
        area_id=area.id,
        type=body.type,
        grid_reference=body.grid_reference,
        postcode_district=body.postcode_district,
        created_by_id=actor.id,
    )
    session.add(place)
    await session.flush()
    audit.record(session, actor, "place.create", resource_type="place", resource_id=place.id)
    return place


async def merge(session: AsyncSession, actor: Actor, place: Place, into_id: uuid.UUID) -> PlaceMerge:
    """Merge the duplicate `place` into `into_id`: its incidents move, its name and aliases
    become aliases of the place that stays. Recorded so that `unmerge` restores it exactly."""
    into = await readable_place(session, actor, into_id) if into_id != place.id else None
    if into is None:
        raise ValidationFailed.field("into_place_id", "a place cannot be merged into itself")
    if place.merged_into_id is not None or place.retired_at is not None:
        raise Conflict("This place was already merged or retired.")
    if into.merged_into_id is not None or into.retired_at is not None:
        raise ValidationFailed.field("into_place_id", "that place was merged or retired")
    if place.area_id != into.area_id:
        raise ValidationFailed.field("into_place_id", "places of different areas are not merged")
    now = utcnow()
    moved = list(
        (await session.execute(select(col(Incident.id)).where(col(Incident.place_id) == place.id))).scalars()
    )
    if moved:
        await session.execute(update(Incident).where(col(Incident.id).in_(moved)).values(place_id=into.id))
    known = {normalise(n) for n in (into.name, *into.aliases)}
    added = [n for n in dict.fromkeys((place.name, *place.aliases)) if normalise(n) not in known]
    into.aliases = [*into.aliases, *added]
    place.merged_into_id = into.id
    record = PlaceMerge(
        place_id=place.id,
        into_id=into.id,
        incident_ids=[str(i) for i in moved],
        aliases_added=added,
        merged_by_id=actor.id,
        merged_at=now,
    )
    session.add(record)
    await session.flush()
    audit.record(
        session,
        actor,
        "place.merge",
        resource_type="place",
        resource_id=place.id,
        detail={"into": str(into.id), "merge": str(record.id), "incidents": len(moved)},
    )
    return record


async def unmerge(session: AsyncSession, actor: Actor, record: PlaceMerge) -> PlaceMerge:
    """Undo a merge: the incidents it moved (still at the place that stayed) go back, the
    aliases it added are removed, and the duplicate is a place again."""
    if record.undone_at is not None:
        raise Conflict("This merge was already undone.")
    place = await readable_place(session, actor, record.place_id)
    into = await readable_place(session, actor, record.into_id)
    if into.merged_into_id is not None:
        raise Conflict("The place that stayed was merged since: undo that merge first.")
    moved = [uuid.UUID(i) for i in record.incident_ids]
    if moved:
        await session.execute(
            update(Incident)
            .where(col(Incident.id).in_(moved), col(Incident.place_id) == into.id)
            .values(place_id=place.id)
        )
    added = set(record.aliases_added)
    into.aliases = [a for a in into.aliases if a not in added]
    place.merged_into_id = None
    record.undone_at = utcnow()
    record.undone_by_id = actor.id
    await session.flush()
    audit.record(
        session,
        actor,
        "place.unmerge",
        resource_type="place",
        resource_id=place.id,
        detail={"into": str(into.id), "merge": str(record.id)},
    )
    return record


async def retire(session: AsyncSession, actor: Actor, place: Place) -> Place:
    """No longer offered or matched; its incidents keep it (and its profile stays readable)."""
    if place.merged_into_id is not None:
        raise Conflict("This place was merged; undo the merge first.")
    if place.retired_at is None:
        place.retired_at = utcnow()
        place.retired_by_id = actor.id
        await session.flush()
        audit.record(session, actor, "place.retire", resource_type="place", resource_id=place.id)
    return place


async def merge_record(session: AsyncSession, actor: Actor, merge_id: uuid.UUID) -> PlaceMerge:
    record = await session.get(PlaceMerge, merge_id)
    if record is None:
        raise NotFound("No such merge.")
    await readable_place(session, actor, record.place_id)
    return record


async def link_incident(
    session: AsyncSession, actor: Actor, incident: Incident, place_id: uuid.UUID | None
) -> Incident:
    """Link (or unlink) an incident to a place: a merged place's id links to where it went."""
    before = incident.place_id
    if place_id is not None:
        index = await place_index(session)
        target = index.lookup(place_id)
        if target is None:
            raise ValidationFailed.field("place_id", "no such active place")
        try:
            place_id = (await readable_place(session, actor, target.id)).id
        except NotFound:
            raise ValidationFailed.field("place_id", "no such active place") from None
    if before != place_id:
        incident.place_id = place_id
        await session.flush()
    audit.record(
        session,
        actor,
        "incident.place_linked",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        detail={"place": str(place_id) if place_id else None, "before": str(before) if before else None},
    )
    return incident
