"""A police report as incident rows: the incident, its indicators and routed teams.

Built, not written: intake (api.flows.intake) writes them with the rest of the report's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.db import Row, new_row, transient
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam
from api.incidents.schemas import IncidentCreate
from api.triage.rules import TriageOutcome
from api.triage.transition import AppliedCode


@dataclass(frozen=True)
class CustodyFacts:
    """What the report says of custody and of the missing episode, as triage and clocks read it."""

    custody: dict[str, Any]
    status: str | None
    charged: bool
    bail_refused: bool
    was_missing: bool
    police_protection_started_at: datetime | None
    detained_at: datetime | None


def custody_facts(body: IncidentCreate) -> CustodyFacts:
    custody = body.custody.model_dump(mode="json") if body.custody else {}
    if body.custody_status:
        custody["status"] = body.custody_status
    status = custody.get("status")
    return CustodyFacts(
        custody=custody,
        status=status,
        charged=bool(body.custody and body.custody.charged) or status == "charged_refused_bail",
        bail_refused=bool(body.custody and body.custody.bail_refused) or status == "charged_refused_bail",
        was_missing=bool(body.was_missing) or body.kind == "missing_return",
        police_protection_started_at=_police_protection_start(body, status),
        # PACE times count from detention only, never from the incident's time: without it the
        # worker is asked to get it from police (api.handover.clocks.custody_information).
        detained_at=body.custody.detained_at if body.custody else None,
    )


def new_incident(
    body: IncidentCreate,
    *,
    reference: str,
    now: datetime,
    reporter_id: uuid.UUID,
    station_id: uuid.UUID,
    young_person_id: uuid.UUID,
    location_area_id: uuid.UUID | None,
    area_id: uuid.UUID | None,
    outcome: TriageOutcome,
    place_id: uuid.UUID | None = None,
) -> Incident:
    """The incident as reported and triaged (state `reported`)."""
    facts = custody_facts(body)
    references = list(dict.fromkeys([r for r in [body.police_reference, *body.police_references] if r]))
    return transient(
        Incident,
        reference=reference,
        kind=body.kind,
        priority=outcome.priority,
        occurred_at=body.occurred_at,
        reported_at=now,
        reporter_id=reporter_id,
        station_id=station_id,
        police_references=references,
        young_person_id=young_person_id,
        location_description=body.location.description,
        location_area_id=location_area_id,
        place_id=place_id,
        area_id=area_id,
        circumstances=body.circumstances,
        custody=facts.custody,
        people_present=[p.model_dump() for p in body.people_present],
        police_protection_started_at=facts.police_protection_started_at,
        detained_at=facts.detained_at,
        charged=facts.charged,
        bail_refused=facts.bail_refused,
        was_missing=facts.was_missing,
        charged_at=body.custody.charged_at if body.custody else None,
        released_at=body.custody.released_at if body.custody else None,
        returned_home_at=body.returned_home_at,
        assault_at=body.assault_at,
        triage=outcome.to_dict(),
        needs_manager_review=outcome.needs_manager_review,
    )


def indicator_rows(
    incident_id: uuid.UUID, recorded: list[tuple[AppliedCode, str]], recorded_by_id: uuid.UUID
) -> list[Row]:
    """One row per (code, provenance) recorded, with the catalogue version it was read against
    (a code kept from an earlier catalogue keeps that version; api/triage/transition.py)."""
    return [
        new_row(
            IncidentIndicator,
            incident_id=incident_id,
            code=applied.code,
            category=applied.entry.category,
            provenance=provenance,
            catalogue_version=applied.version,
            recorded_by_id=recorded_by_id,
        )
        for applied, provenance in {(a.code, p): (a, p) for a, p in recorded}.values()
    ]


def team_links(incident_id: uuid.UUID, team_ids: list[uuid.UUID]) -> list[Row]:
    return [new_row(IncidentTeam, incident_id=incident_id, team_id=team_id) for team_id in team_ids]


def _police_protection_start(body: IncidentCreate, status: str | None):
    if body.custody and body.custody.police_protection_started_at:
        return body.custody.police_protection_started_at
    return body.occurred_at if status == "police_protection" else None
