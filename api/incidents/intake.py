"""Intake: a police report becomes a triaged incident, routed and paged, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.incidents import timeline
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam
from api.incidents.references import next_reference
from api.incidents.schemas import IncidentCreate
from api.people.service import age_on, match_or_create
from api.teams.directory import TeamEntry, directory
from api.triage.catalogue import load_catalogue
from api.triage.rules import ObservedIndicator, TeamRef, TriageCase, age_problems, triage

FUTURE_TOLERANCE = timedelta(minutes=10)


@dataclass
class IntakeResult:
    incident: Incident
    teams: list[TeamEntry]
    outcome: dict[str, Any]

    def as_response(self) -> dict[str, Any]:
        return {
            "id": str(self.incident.id),
            "reference": self.incident.reference,
            "state": self.incident.state,
            "priority": self.incident.priority,
            "teams": [{"id": str(t.id), "slug": t.slug} for t in self.teams],
            "triage": {
                "reasons": self.outcome["reasons"],
                "categories": self.outcome["categories"],
                "area": self.outcome["area"],
                "prompts": self.outcome.get("prompts", []),
            },
            "needs_manager_review": self.incident.needs_manager_review,
        }


async def report_incident(session: AsyncSession, actor: Actor, body: IncidentCreate) -> IntakeResult:
    """Record a police report, triage it, route it and start paging. Raises before writing
    anything if any field is wrong (every field at fault is named at once)."""
    now = utcnow()
    catalogue = load_catalogue()
    errors: list[dict[str, str]] = []

    if body.occurred_at > now + FUTURE_TOLERANCE:
        errors.append({"field": "occurred_at", "message": "more than 10 minutes in the future"})
    dob = body.young_person.date_of_birth
    if dob is not None:
        on = body.occurred_at.date()
        if dob > on:
            errors.append({"field": "young_person.date_of_birth", "message": "not yet born"})
        else:
            problems = age_problems(age_on(dob, on), True, body.young_person.legal_status)
            errors.extend({"field": field, "message": message} for field, message in problems)
    if body.assault_at is not None and body.assault_at > now + FUTURE_TOLERANCE:
        errors.append({"field": "assault_at", "message": "more than 10 minutes in the future"})
    for i, item in enumerate(body.indicators):
        if catalogue.get(item.code) is None:
            errors.append({"field": f"indicators.{i}.code", "message": f"unknown indicator '{item.code}'"})

    known = await directory(session)  # areas, stations, active teams: cached per process
    station = known.station(body.police_station)
    if station is None:
        errors.append({"field": "police_station", "message": "unknown station"})
    elif actor.station_id and station.id != actor.station_id:
        errors.append({"field": "police_station", "message": "you can only report for your own station"})
    areas = known.areas
    if body.location.area and body.location.area not in areas:
        errors.append({"field": "location.area", "message": "unknown area"})
    if body.young_person.responsible_area and body.young_person.responsible_area not in areas:
        errors.append({"field": "young_person.responsible_area", "message": "unknown area"})
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)

    yp = body.young_person
    responsible = areas.get(yp.responsible_area) if yp.responsible_area else None
    match = await match_or_create(
        session,
        first_name=yp.first_name,
        last_name=yp.last_name,
        date_of_birth=yp.date_of_birth,
        apparent_age=yp.apparent_age,
        la_reference=yp.la_reference,
        aliases=yp.aliases,
        gender=yp.gender,
        responsible_area_id=responsible.id if responsible else None,
        legal_status=yp.legal_status,
        learning_disability=yp.learning_disability,
    )
    person = match.person
    area_by_id = known.area_by_id()
    responsible_slug = area_by_id[person.responsible_area_id].slug if person.responsible_area_id else None

    age = age_on(person.date_of_birth, body.occurred_at.date()) if person.date_of_birth else yp.apparent_age
    teams = known.active_teams
    team_refs = [TeamRef(t.id, t.slug, t.specialism, area_by_id[t.area_id].slug) for t in teams]
    observed = [
        ObservedIndicator(i.code, catalogue.get(i.code).category, i.provenance) for i in body.indicators
    ]
    custody = body.custody.model_dump(mode="json") if body.custody else {}
    if body.custody_status:
        custody["status"] = body.custody_status
    status = custody.get("status")
    charged = bool(body.custody and body.custody.charged) or status == "charged_refused_bail"
    bail_refused = bool(body.custody and body.custody.bail_refused) or status == "charged_refused_bail"
    was_missing = bool(body.was_missing) or body.kind == "missing_return"
    outcome = triage(
        TriageCase(
            kind=body.kind,
            indicators=observed,
            age_years=age,
            learning_disability=person.learning_disability,
            location_area=body.location.area,
            responsible_area=responsible_slug,
            station_area=area_by_id[station.area_id].slug,
            teams=team_refs,
            age_known=person.date_of_birth is not None,
            legal_status=person.legal_status,
            custody_status=status,
            police_protection=_police_protection_start(body, status) is not None,
            charged_bail_refused=charged and bail_refused,
            was_missing=was_missing,
        ),
        area_names={a.slug: a.name for a in areas.values()},
        catalogue=catalogue,
    )

    references = list(dict.fromkeys([r for r in [body.police_reference, *body.police_references] if r]))
    incident = Incident(
        reference=await next_reference(session, now),
        kind=body.kind,
        priority=outcome.priority,
        occurred_at=body.occurred_at,
        reported_at=now,
        reporter_id=actor.id,
        station_id=station.id,
        police_references=references,
        young_person_id=person.id,
        location_description=body.location.description,
        location_area_id=areas[body.location.area].id if body.location.area else None,
        area_id=areas[outcome.area].id if outcome.area else None,
        circumstances=body.circumstances,
        custody=custody,
        people_present=[p.model_dump() for p in body.people_present],
        police_protection_started_at=_police_protection_start(body, status),
        detained_at=_detained_at(body, status),
        charged=charged,
        bail_refused=bail_refused,
        was_missing=was_missing,
        charged_at=body.custody.charged_at if body.custody else None,
        released_at=body.custody.released_at if body.custody else None,
        returned_home_at=body.returned_home_at,
        assault_at=body.assault_at,
        triage=outcome.to_dict(),
        needs_manager_review=outcome.needs_manager_review,
    )
    # One flush below writes the incident and its rows: the person is already written, and
    # the flush inserts the incident before its indicators, teams and timeline events.
    session.add(incident)
    for item in {(i.code, i.provenance): i for i in body.indicators}.values():
        session.add(
            IncidentIndicator(
                incident_id=incident.id,
                code=item.code,
                category=catalogue.get(item.code).category,
                provenance=item.provenance,
                catalogue_version=catalogue.version,
                recorded_by_id=actor.id,
            )
        )
    routed = [t for t in teams if t.id in {ref.id for ref in outcome.teams}]
    routed.sort(key=lambda t: [r.id for r in outcome.teams].index(t.id))
    for team in routed:
        session.add(IncidentTeam(incident_id=incident.id, team_id=team.id))
    timeline.add_event(
        session,
        incident.id,
        "incident.reported",
        actor_id=actor.id,
        detail={"kind": incident.kind, "station": station.slug},
        police_visible=True,
    )
    timeline.add_event(
        session,
        incident.id,
        "incident.triaged",
        detail={
            "priority": outcome.priority,
            "teams": [t.slug for t in routed],
            "reasons": outcome.reasons,
            "matched_by": match.matched_by,
            "possible_matches": len(match.possible_matches),
        },
    )
    if outcome.needs_manager_review:
        timeline.add_event(session, incident.id, "incident.flagged_for_managers", detail={"why": "no team"})
    await session.flush()
    await _start_paging(session, incident, routed)
    from api.handover import service as handover  # handover builds on incidents, not the reverse

    await handover.on_incident_triaged(session, incident, [t.id for t in routed], new_incident=True)
    audit.record(
        session,
        actor,
        "incident.create",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=person.id,
    )
    publish(
        session,
        LiveEvent(
            "incident.created",
            {"incident_id": str(incident.id), "reference": incident.reference},
            Audience(
                team_ids=frozenset(t.id for t in routed),
                station_ids=frozenset({station.id}),
                all_managers=outcome.needs_manager_review,
            ),
        ),
    )
    return IntakeResult(incident, list(routed), outcome.to_dict())


def _detained_at(body: IncidentCreate, status: str | None):
    # PACE times count from detention only, never from the incident's time: without it the
    # worker is asked to get it from police (api.handover.clocks.custody_information).
    return body.custody.detained_at if body.custody else None


def _police_protection_start(body: IncidentCreate, status: str | None):
    if body.custody and body.custody.police_protection_started_at:
        return body.custody.police_protection_started_at
    return body.occurred_at if status == "police_protection" else None


async def _start_paging(session: AsyncSession, incident: Incident, teams: list[TeamEntry]) -> None:
    if not teams:
        return
    from api.paging import service as paging  # paging builds on incidents, not the reverse

    await paging.start_paging(session, incident, [t.id for t in teams], new_incident=True)
