"""Running a search: check the filters, build one scoped SQL query, page it, audit every child shown.

Scope: a case role sees the incidents routed to their teams (api.incidents.access.team_scope),
whatever the filters say; a filter naming a team or area outside it simply finds nothing
there. Order: newest `occurred_at` first, then id, with a keyset cursor over the two (the
`ix_incidents_occurred_at_id` index).
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.errors import ValidationFailed
from api.incidents.access import team_scope
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam
from api.people.models import YoungPerson
from api.places.matching import normalise
from api.places.models import IncidentPerson, PersonOfConcern, Place
from api.search.schemas import IncidentQuery, PersonOfHit, PlaceOfHit, SearchHit, SearchResults, WindowOut
from api.teams.directory import Directory, directory
from api.teams.models import Team
from api.triage.catalogue import CATALOGUE_VERSIONS, codes_meaning, load_catalogue


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None


def window_of(query: IncidentQuery, now: datetime) -> Window:
    """The absolute window of a run: `last_days` counts back from `now` (each run's own now)."""
    if query.last_days is not None:
        return Window(now - timedelta(days=query.last_days), None)
    return Window(query.from_, query.to)


def _codes_by(attribute: str) -> dict[str, set[str]]:
    """Every code of every catalogue version, by group or by category."""
    found: dict[str, set[str]] = {}
    for version in CATALOGUE_VERSIONS:
        for indicator in load_catalogue(version).all():
            found.setdefault(getattr(indicator, attribute), set()).add(indicator.code)
    return found


def _known_codes() -> set[str]:
    return {code for codes in _codes_by("group").values() for code in codes}


def problems(query: IncidentQuery, known: Directory, prefix: str = "") -> list[dict[str, str]]:
    """Every field of the query at fault (unknown codes, groups, areas, teams; two windows)."""
    errors: list[dict[str, str]] = []
    codes, groups = _known_codes(), _codes_by("group")
    team_slugs = {t.slug for t in known.active_teams}
    for i, code in enumerate(query.indicators):
        if code not in codes:
            errors.append({"field": f"{prefix}indicators.{i}", "message": f"unknown indicator '{code}'"})
    for i, group in enumerate(query.indicator_groups):
        if group not in groups:
            errors.append({"field": f"{prefix}indicator_groups.{i}", "message": f"unknown group '{group}'"})
    for i, area in enumerate(query.areas):
        if area not in known.areas:
            errors.append({"field": f"{prefix}areas.{i}", "message": "unknown area"})
    for i, team in enumerate(query.teams):
        if team not in team_slugs:
            errors.append({"field": f"{prefix}teams.{i}", "message": "unknown team"})
    if query.last_days is not None and (query.from_ is not None or query.to is not None):
        for name in ("last_days", "from" if query.from_ is not None else "to"):
            errors.append(
                {"field": f"{prefix}{name}", "message": "give either last_days or from/to, not both"}
            )
    if query.from_ is not None and query.to is not None and query.from_ >= query.to:
        errors.append({"field": f"{prefix}to", "message": "must be after from"})
    return errors


@dataclass(frozen=True)
class Checked:
    """What a query was checked against: the directory, and its places resolved to ids
    (None: no place filter; an empty set: a place filter nothing matches)."""

    known: Directory
    place_ids: frozenset[uuid.UUID] | None = None


async def _places(
    session: AsyncSession, query: IncidentQuery, prefix: str, errors: list[dict[str, str]]
) -> frozenset[uuid.UUID] | None:
    """The place ids the place filters name, each merged place followed to where it went."""
    if not (query.places or query.place_name or query.place_types):
        return None
    rows = (
        await session.execute(
            select(
                col(Place.id), col(Place.name), col(Place.aliases), col(Place.type), col(Place.merged_into_id)
            )
        )
    ).all()
    by_id = {row.id: row for row in rows}

    def target(place_id: uuid.UUID) -> uuid.UUID:
        seen: set[uuid.UUID] = set()
        while by_id[place_id].merged_into_id is not None and place_id not in seen:
            seen.add(place_id)
            place_id = by_id[place_id].merged_into_id
        return place_id

    chosen: set[uuid.UUID] | None = None
    if query.places:
        for i, place_id in enumerate(query.places):
            if place_id not in by_id:
                errors.append({"field": f"{prefix}places.{i}", "message": "no such place"})
        chosen = {target(p) for p in query.places if p in by_id}
    if query.place_name:
        wanted = normalise(query.place_name)
        named = {
            row.id
            for row in rows
            if row.merged_into_id is None
            and any(wanted in normalise(label) for label in (row.name, *(row.aliases or ())))
        }
        chosen = named if chosen is None else chosen & named
    if query.place_types:
        typed = {row.id for row in rows if row.merged_into_id is None and row.type in query.place_types}
        chosen = typed if chosen is None else chosen & typed
    return frozenset(chosen or ())


async def check(session: AsyncSession, query: IncidentQuery, prefix: str = "") -> Checked:
    """What the query was checked against; ValidationFailed naming every field at fault."""
    known = await directory(session)
    errors = problems(query, known, prefix)
    place_ids = await _places(session, query, prefix, errors)
    if query.persons_of_concern:
        found = set(
            (
                await session.execute(
                    select(col(PersonOfConcern.id)).where(
                        col(PersonOfConcern.id).in_(query.persons_of_concern)
                    )
                )
            ).scalars()
        )
        errors += [
            {"field": f"{prefix}persons_of_concern.{i}", "message": "no such person of concern"}
            for i, poc in enumerate(query.persons_of_concern)
            if poc not in found
        ]
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    return Checked(known, place_ids)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def encode_cursor(incident: Incident) -> str:
    return base64.urlsafe_b64encode(f"{incident.occurred_at.isoformat()}|{incident.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.field("cursor", "not a cursor from this search") from exc


# The columns a result shows (the JSON of custody, people present and police references stays unread).
_LISTED: tuple[Any, ...] = (
    col(Incident.id),
    col(Incident.reference),
    col(Incident.kind),
    col(Incident.state),
    col(Incident.priority),
    col(Incident.triage),
    col(Incident.occurred_at),
    col(Incident.reported_at),
    col(Incident.area_id),
    col(Incident.location_description),
    col(Incident.young_person_id),
    col(Incident.place_id),
)


def statement(
    query: IncidentQuery, actor: Actor, checked: Checked, window: Window
) -> Select[tuple[Incident]]:
    """The scoped SQL of a query (no order or page yet)."""
    known = checked.known
    stmt = select(Incident).options(load_only(*_LISTED)).where(team_scope(actor))
    # A current code also finds the incidents recorded with the deprecated code it replaced.
    codes: set[str] = {c for code in query.indicators for c in codes_meaning(code)}
    if query.indicator_groups:
        by_group = _codes_by("group")
        codes |= {c for g in query.indicator_groups for c in by_group.get(g, set())}
    if query.indicator_categories:
        by_category = _codes_by("category")
        codes |= {c for cat in query.indicator_categories for c in by_category.get(cat, set())}
    if query.indicators or query.indicator_groups or query.indicator_categories:
        stmt = stmt.where(
            exists().where(
                col(IncidentIndicator.incident_id) == col(Incident.id),
                col(IncidentIndicator.code).in_(sorted(codes)),
            )
        )
    if query.areas:
        stmt = stmt.where(col(Incident.area_id).in_([known.areas[a].id for a in query.areas]))
    if query.teams:
        team_ids = [t.id for t in known.active_teams if t.slug in set(query.teams)]
        stmt = stmt.where(
            exists().where(
                col(IncidentTeam.incident_id) == col(Incident.id), col(IncidentTeam.team_id).in_(team_ids)
            )
        )
    if query.kinds:
        stmt = stmt.where(col(Incident.kind).in_(query.kinds))
    if query.priorities:
        stmt = stmt.where(col(Incident.priority).in_(query.priorities))
    if query.young_person_id is not None:
        stmt = stmt.where(col(Incident.young_person_id) == query.young_person_id)
    if checked.place_ids is not None:
        stmt = stmt.where(col(Incident.place_id).in_(sorted(checked.place_ids)))
    if query.persons_of_concern:
        stmt = stmt.where(
            exists().where(
                col(IncidentPerson.incident_id) == col(Incident.id),
                col(IncidentPerson.person_of_concern_id).in_(query.persons_of_concern),
            )
        )
    if query.location_contains:
        pattern = f"%{_escape_like(query.location_contains)}%"
        stmt = stmt.where(col(Incident.location_description).ilike(pattern, escape="\\"))
    if window.start is not None:
        stmt = stmt.where(col(Incident.occurred_at) >= window.start)
    if window.end is not None:
        stmt = stmt.where(col(Incident.occurred_at) < window.end)
    return stmt


async def find(
    session: AsyncSession,
    actor: Actor,
    query: IncidentQuery,
    *,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    checked: Checked | None = None,
) -> tuple[list[Incident], str | None, Window]:
    """A page of the incidents the query finds in the actor's scope, newest first."""
    checked = checked or await check(session, query)
    window = window_of(query, now)
    stmt = statement(query, actor, checked, window)
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                col(Incident.occurred_at) < at,
                and_(col(Incident.occurred_at) == at, col(Incident.id) < ident),
            )
        )
    stmt = stmt.order_by(col(Incident.occurred_at).desc(), col(Incident.id).desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    page = rows[:limit]
    return page, encode_cursor(page[-1]) if len(rows) > limit else None, window


async def hits(session: AsyncSession, incidents: Sequence[Incident], known: Directory) -> list[SearchHit]:
    """The list view of each incident: its person, teams and indicator codes (three queries)."""
    if not incidents:
        return []
    ids = [i.id for i in incidents]
    people = {
        row.id: row
        for row in await session.execute(
            select(col(YoungPerson.id), col(YoungPerson.first_name), col(YoungPerson.last_name)).where(
                col(YoungPerson.id).in_({i.young_person_id for i in incidents})
            )
        )
    }
    teams_of: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    for incident_id, slug in await session.execute(
        select(col(IncidentTeam.incident_id), col(Team.slug))
        .join(Team, col(Team.id) == col(IncidentTeam.team_id))
        .where(col(IncidentTeam.incident_id).in_(ids))
        .order_by(col(Team.slug))
    ):
        teams_of[incident_id].append(slug)
    codes_of: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    for incident_id, code in await session.execute(
        select(col(IncidentIndicator.incident_id), col(IncidentIndicator.code)).where(
            col(IncidentIndicator.incident_id).in_(ids)
        )
    ):
        codes_of[incident_id].add(code)
    place_ids = {i.place_id for i in incidents if i.place_id is not None}
    places = {
        row.id: PlaceOfHit.model_construct(id=row.id, name=row.name, type=row.type)
        for row in (
            await session.execute(
                select(col(Place.id), col(Place.name), col(Place.type)).where(col(Place.id).in_(place_ids))
            )
            if place_ids
            else []
        )
    }
    areas = known.area_by_id()
    out = []
    for incident in incidents:
        person = people[incident.young_person_id]
        categories = [c for c in incident.triage.get("categories", []) if c in ("cse", "cce")]
        area = areas.get(incident.area_id) if incident.area_id else None
        # Rows read from the database as typed columns: built without validating them again.
        out.append(
            SearchHit.model_construct(
                id=incident.id,
                reference=incident.reference,
                kind=incident.kind,
                state=incident.state,
                priority=incident.priority,
                category="_".join(categories) if categories else "general",
                occurred_at=incident.occurred_at,
                reported_at=incident.reported_at,
                area=area.slug if area else None,
                location=incident.location_description,
                place=places.get(incident.place_id) if incident.place_id else None,
                young_person=PersonOfHit(
                    id=person.id, first_name=person.first_name, last_name=person.last_name
                ),
                teams=teams_of[incident.id],
                indicators=sorted(codes_of[incident.id]),
            )
        )
    return out


def audit_shown(
    session: AsyncSession,
    actor: Actor,
    action: str,
    incidents: Sequence[Incident],
    *,
    saved_search_id: uuid.UUID | None = None,
) -> None:
    """One audit event naming every incident shown, and every child shown as its subjects."""
    detail: dict[str, object] = {"incident_ids": [str(i.id) for i in incidents]}
    if saved_search_id is not None:
        detail["saved_search_id"] = str(saved_search_id)
    audit.record(
        session,
        actor,
        action,
        resource_type="saved_search" if saved_search_id else "incident",
        resource_id=saved_search_id,
        detail=detail,
        subjects=[i.young_person_id for i in incidents],
    )


async def search(
    session: AsyncSession,
    actor: Actor,
    query: IncidentQuery,
    *,
    now: datetime,
    limit: int,
    cursor: str | None,
    saved_search_id: uuid.UUID | None = None,
) -> SearchResults:
    checked = await check(session, query)
    page, next_cursor, window = await find(
        session, actor, query, now=now, limit=limit, cursor=cursor, checked=checked
    )
    items = await hits(session, page, checked.known)
    audit_shown(session, actor, "incident.search", page, saved_search_id=saved_search_id)
    return SearchResults(
        items=items, next_cursor=next_cursor, window=WindowOut(from_=window.start, to=window.end)
    )


CSV_COLUMNS = [
    "reference",
    "occurred_at",
    "reported_at",
    "kind",
    "priority",
    "state",
    "category",
    "area",
    "location",
    "place",
    "young_person_id",
    "first_name",
    "last_name",
    "teams",
    "indicators",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


async def export_csv(
    session: AsyncSession,
    actor: Actor,
    query: IncidentQuery,
    *,
    now: datetime,
    limit: int,
    saved_search_id: uuid.UUID | None = None,
) -> str:
    """Every incident the query finds (up to `limit`, newest first) as CSV; audited as an export."""
    checked = await check(session, query)
    page, _, _ = await find(session, actor, query, now=now, limit=limit, checked=checked)
    rows = await hits(session, page, checked.known)
    audit_shown(session, actor, "incident.search.export", page, saved_search_id=saved_search_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for hit in rows:
        writer.writerow(
            _cell(v)
            for v in (
                hit.reference,
                hit.occurred_at.isoformat(),
                hit.reported_at.isoformat(),
                hit.kind,
                hit.priority,
                hit.state,
                hit.category,
                hit.area,
                hit.location,
                hit.place.name if hit.place else "",
                hit.young_person.id,
                hit.young_person.first_name,
                hit.young_person.last_name,
                " ".join(hit.teams),
                " ".join(hit.indicators),
            )
        )
    return buffer.getvalue()


def export_filename(now: datetime) -> str:
    """No names, no filters: only when it was exported."""
    return f"lantern-search-{now.strftime('%Y%m%dT%H%MZ')}.csv"
