"""The incident view: one incident as a case role sees it, assembled from every domain.

Incidents (the report, indicators, timeline), people (the young person, open possible
matches), paging (pages, deliveries, acknowledgements), support (offers and handover notes)
and handover (clocks). A read model above the domains, so none of them imports another
upwards to build it. The read is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.queries import display_names
from api.auth.schemas import Instant, ReadModel
from api.db import utcnow
from api.errors import NotFound
from api.handover import service as handover
from api.handover.clocks import custody_information
from api.handover.schemas import ClockOut
from api.incidents.access import may_see_case
from api.incidents.models import Incident, IncidentIndicator, IncidentState, IncidentTeam, TimelineEvent
from api.incidents.schemas import (
    AckAction,
    IncidentIndicatorOut,
    Kind,
    LocationOut,
    PlaceRef,
    PossibleMatchRef,
    StationOfIncident,
    TeamOfIncidentDetail,
    TimelineEntryOut,
    TriageOut,
    YoungPersonOfIncident,
)
from api.incidents.service import category_of
from api.paging import service as paging
from api.paging.schemas import PageOut
from api.people import identity
from api.people.models import YoungPerson
from api.places.models import Place
from api.support import service as support
from api.support.schemas import HandoverNoteOut, SupportOfferOut
from api.teams.models import Area, Station, Team
from api.triage.catalogue import entry_as_recorded


class IncidentDetailOut(ReadModel):
    """GET /incidents/{id}: the incident as a case role sees it. Pages, offers, notes and clocks
    are their own domains' read models (paging, support, handover)."""

    id: str
    reference: str
    version: int = Field(description="The incident's version: send it as If-Match to PATCH it")
    kind: Kind
    state: IncidentState
    priority: str
    occurred_at: Instant
    reported_at: Instant
    police_station: StationOfIncident
    police_references: list[str]
    police_reference: str | None
    category: str
    custody_status: str | None
    location: LocationOut
    young_person: YoungPersonOfIncident
    indicators: list[IncidentIndicatorOut]
    circumstances: str | None
    custody: dict[str, Any] | None
    people_present: list[dict[str, Any]] | None
    triage: TriageOut
    needs_manager_review: bool
    teams: list[TeamOfIncidentDetail]
    acknowledged_at: Instant | None
    acknowledged_action: AckAction | None
    eta_minutes: int | None
    uncovered: bool
    timeline: list[TimelineEntryOut]
    pages: list[PageOut]
    support_offers: list[SupportOfferOut]
    handover_notes: list[HandoverNoteOut]
    clocks: list[ClockOut]
    custody_information: dict[str, Any] | None


async def incident_to_read(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID
) -> tuple[Incident, str]:
    """The incident a caller may open, and on what grounds ("team", or "paged_uncovered").

    Case roles: incidents routed to their teams. Admins have no case content, except an
    incident one of whose pages went uncovered: every admin is paged then, and must be able
    to see what they are asked to take. That read is audited like any other, with its ground.
    Anything else is 404 (the id's existence is not revealed)."""
    incident = await session.get(Incident, incident_id)
    if incident is not None:
        if await may_see_case(session, actor, incident_id):
            return incident, "team"
        if actor.has("admin") and await paging.went_uncovered(session, incident_id):
            return incident, "paged_uncovered"
    raise NotFound("No such incident.")


async def incident_detail(
    session: AsyncSession, actor: Actor, incident: Incident, *, ground: str = "team"
) -> IncidentDetailOut:
    """Everything a case role may see of one incident; the read is audited (with its ground
    when it is not team membership)."""
    person = await session.get(YoungPerson, incident.young_person_id)
    assert person is not None, "incidents.young_person_id is a non-null foreign key"
    station = await session.get(Station, incident.station_id)
    assert station is not None, "incidents.station_id is a non-null foreign key"
    area = await session.get(Area, incident.area_id) if incident.area_id else None
    place = await session.get(Place, incident.place_id) if incident.place_id else None
    teams = [
        TeamOfIncidentDetail(id=str(t.id), slug=t.slug, name=t.name, specialism=t.specialism)
        for t in (
            await session.execute(
                select(Team)
                .join(IncidentTeam, col(IncidentTeam.team_id) == col(Team.id))
                .where(col(IncidentTeam.incident_id) == incident.id)
            )
        ).scalars()
    ]
    indicators: list[IncidentIndicatorOut] = []
    for row in (
        await session.execute(
            select(IncidentIndicator)
            .where(col(IncidentIndicator.incident_id) == incident.id)
            .order_by(col(IncidentIndicator.code))
        )
    ).scalars():
        # Each row is read in the catalogue version it was recorded with: a v1 incident keeps
        # v1's labels after v3 reworded or retired them.
        entry = entry_as_recorded(row.code, row.catalogue_version)
        indicators.append(
            IncidentIndicatorOut(
                code=row.code,
                label=entry.label if entry else row.code,
                category=row.category,
                group=entry.group if entry else None,
                provenance=row.provenance,
                recorded_at=row.recorded_at.isoformat(),
                catalogue_version=row.catalogue_version,
            )
        )
    events = (
        (
            await session.execute(
                select(TimelineEvent)
                .where(col(TimelineEvent.incident_id) == incident.id)
                .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
            )
        )
        .scalars()
        .all()
    )
    names = await display_names(session, {e.actor_id for e in events})
    possible = await identity.open_suggestions(session, person.id)
    audit.record(
        session,
        actor,
        "incident.read",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=person.id,
        detail={"ground": ground} if ground != "team" else None,
    )
    return IncidentDetailOut(
        id=str(incident.id),
        reference=incident.reference,
        version=incident.version,
        kind=incident.kind,
        state=incident.state,
        priority=incident.priority,
        occurred_at=incident.occurred_at.isoformat(),
        reported_at=incident.reported_at.isoformat(),
        police_station=StationOfIncident(slug=station.slug, name=station.name),
        police_references=incident.police_references,
        police_reference=incident.police_references[0] if incident.police_references else None,
        category=category_of(incident),
        custody_status=incident.custody.get("status"),
        location=LocationOut(
            description=incident.location_description,
            area=area.slug if area else None,
            place=PlaceRef(id=str(place.id), name=place.name, type=place.type) if place else None,
        ),
        young_person=YoungPersonOfIncident(
            id=str(person.id),
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
            apparent_age=person.apparent_age,
            la_reference=person.la_reference,
            legal_status=person.legal_status,
            learning_disability=person.learning_disability,
            possible_matches=[
                PossibleMatchRef(candidate_id=str(s.other.id), reason=s.match.reason) for s in possible
            ],
        ),
        indicators=indicators,
        circumstances=incident.circumstances,
        custody=incident.custody,
        people_present=incident.people_present,
        triage=incident.triage,
        needs_manager_review=incident.needs_manager_review,
        teams=teams,
        acknowledged_at=incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
        acknowledged_action=incident.acknowledged_action,
        eta_minutes=incident.eta_minutes,
        uncovered=incident.uncovered,
        timeline=[
            TimelineEntryOut(
                at=e.at.isoformat(),
                action=e.action,
                actor=names.get(e.actor_id) if e.actor_id else "Lantern",
                team_id=str(e.team_id) if e.team_id else None,
                detail=e.detail,
            )
            for e in events
        ],
        pages=await paging.pages_for_incident(session, incident.id),
        support_offers=await support.offers_for_incident(session, incident.id),
        handover_notes=await support.notes_for_incident(session, incident.id),
        clocks=await handover.clocks_for_incident(session, incident.id),
        # PACE reviews and the 24-hour limit: police duties, shown for information, never clocks.
        custody_information=custody_information(
            (incident.custody or {}).get("status"), incident.detained_at, utcnow()
        ),
    )
