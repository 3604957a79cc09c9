"""Intake: a police report arrives, and becomes a triaged incident, routed and paged.

The flow, in one transaction: validate the report (every field at fault named at once, before
anything is written); match the young person (people); triage (triage); build the incident and
its rows (incidents), its pages and their first jobs (paging), its handover items and clocks
(handover); write them; audit the report; publish `incident.created` once it commits.

The hot path is written for few statements: reads first (the person, the reference, and the
person's earlier missing episodes only when the person is known), then one INSERT per table
with the incident already in its final state (`paging` when a team was paged), one for the
jobs, and the audit row with the commit. The actor, the areas, stations and teams, and the
escalation policies come from short per-process caches. bench/statements.py counts them. On
SQLite the INSERTs are deferred (api.db.defer_inserts) and reach the driver's thread in one
hand-off with the next statement that reads (the audit chain's head) or the COMMIT; they, the
reference and the audit chain's head go as plain statements (api.db.PlainWriter: compiled once,
no ORM execution), and the incident and a new person are built with api.db.transient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import Row, defer_inserts, insert_rows, utcnow
from api.errors import ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.handover.nrm import plan_nrm
from api.handover.service import facts_of, missing_episodes_30d, plan_handover
from api.incidents import reports, timeline
from api.incidents.models import Incident, IncidentState
from api.incidents.references import next_reference
from api.incidents.schemas import IncidentCreate
from api.jobs.service import enqueue_many
from api.paging.policy import effective_policies
from api.paging.service import DEFAULT_ACK_TIMEOUT_SECONDS, PagePlan, plan_pages
from api.people.service import age_on, match_person
from api.places.service import PlaceIndex, place_index
from api.referrals.routing import Authority, RoutingFacts, route_referral
from api.referrals.service import plan_referral, remembered_team
from api.teams.directory import Directory, StationEntry, TeamEntry, directory
from api.triage.catalogue import Catalogue, load_catalogue
from api.triage.rules import (
    SEXUAL_ASSAULT,
    ObservedIndicator,
    TeamRef,
    TriageCase,
    age_problems,
    is_adult,
    triage,
)
from api.triage.transition import AppliedCode, Refusal, apply_code, describe, reading_catalogue

FUTURE_TOLERANCE = timedelta(minutes=10)


@dataclass
class IntakeResult:
    incident: Incident
    teams: list[TeamEntry]
    outcome: dict[str, Any]
    catalogue: dict[str, Any]

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
            "catalogue": self.catalogue,
        }


async def report_incident(session: AsyncSession, actor: Actor, body: IncidentCreate) -> IntakeResult:
    """Record a police report, triage it, route it and start paging. Raises before writing
    anything if any field is wrong (every field at fault is named at once)."""
    now = utcnow()
    # On SQLite, from here the INSERTs are held back and sent with the next statement or the
    # commit, and the writes and the reference go as plain statements (api.db.PlainWriter).
    await defer_inserts(session)
    catalogue = load_catalogue()
    known = await directory(session)  # areas, stations, active teams: cached per process
    places = await place_index(session)  # the active places: cached per process
    station, recorded = _validate(body, actor, known, catalogue, now, places)
    applied = [a for a, _ in recorded]
    applied_catalogue = describe(applied, catalogue)

    # The young person (people).
    yp = body.young_person
    areas = known.areas
    responsible = areas.get(yp.responsible_area) if yp.responsible_area else None
    match = await match_person(
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

    # Triage.
    age = age_on(person.date_of_birth, body.occurred_at.date()) if person.date_of_birth else yp.apparent_age
    teams = known.active_teams
    team_refs = [TeamRef(t.id, t.slug, t.specialism, area_by_id[t.area_id].slug) for t in teams]
    observed = [ObservedIndicator(a.code, a.entry.category, provenance) for a, provenance in recorded]
    custody = reports.custody_facts(body)
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
            custody_status=custody.status,
            police_protection=custody.police_protection_started_at is not None,
            charged_bail_refused=custody.charged and custody.bail_refused,
            was_missing=custody.was_missing,
        ),
        area_names={a.slug: a.name for a in areas.values()},
        catalogue=reading_catalogue(applied, catalogue),
    )
    order = [ref.id for ref in outcome.teams]
    routed = sorted((t for t in teams if t.id in set(order)), key=lambda t: order.index(t.id))
    routed_ids = [t.id for t in routed]

    # The place (places): the one given, else a certain match in the location's area.
    place_id, place_by = _place(body, places, known, station)

    # The incident and its rows (incidents), in the order their timeline tells it.
    incident = reports.new_incident(
        body,
        reference=await next_reference(session, now),
        now=now,
        reporter_id=actor.id,
        station_id=station.id,
        young_person_id=person.id,
        location_area_id=areas[body.location.area].id if body.location.area else None,
        area_id=areas[outcome.area].id if outcome.area else None,
        outcome=outcome,
        place_id=place_id,
    )
    events = [
        timeline.event(
            incident.id,
            "incident.reported",
            actor_id=actor.id,
            detail={"kind": incident.kind, "station": station.slug},
            police_visible=True,
        ),
        timeline.event(
            incident.id,
            "incident.triaged",
            detail={
                "priority": outcome.priority,
                "teams": [t.slug for t in routed],
                "reasons": outcome.reasons,
                "matched_by": match.matched_by,
                "possible_matches": len(match.possible_matches),
                "catalogue": applied_catalogue,
                "place": place_by,
            },
        ),
    ]
    if outcome.needs_manager_review:
        events.append(timeline.event(incident.id, "incident.flagged_for_managers", detail={"why": "no team"}))

    # Paging: a page per routed team; the incident is written already moved to `paging`.
    pages = PagePlan()
    if routed_ids:
        policies = await effective_policies(session, routed_ids, DEFAULT_ACK_TIMEOUT_SECONDS)
        pages = plan_pages(incident.id, routed_ids, policies, now)
        events += pages.events
        if moved := timeline.transition(incident, IncidentState.PAGING):
            events.append(moved)

    # Handover: items for the day teams, and the statutory clocks. A new person has no
    # earlier episodes to count.
    episodes = (1 if incident.was_missing else 0) if match.is_new else None
    handover = plan_handover(
        incident,
        routed_ids,
        facts=facts_of(
            incident,
            missing_episodes_30d=episodes
            if episodes is not None
            else await missing_episodes_30d(session, incident),
            adult=is_adult(age if person.date_of_birth else None, person.date_of_birth is not None),
            sexual_assault=any(a.code == SEXUAL_ASSAULT for a in applied),
            now=now,
        ),
        now=now,
    )
    events += handover.events

    # The NRM action (when the rules apply) and the referral to the front door.
    nrm_rows = plan_nrm(incident, observed, catalogue=catalogue, now=now)
    referral_rows = _referral(
        incident,
        known,
        body,
        responsible_slug=responsible_slug,
        station_area=area_by_id[station.area_id].slug,
        legal_status=person.legal_status,
        allocated_team=yp.allocated_team
        or (None if match.is_new else await remembered_team(session, person.id)),
        now=now,
    )

    # Write: parents before children, one statement per table; then the jobs. On SQLite the
    # INSERTs go to the driver's thread together with the next statement or the commit.
    await insert_rows(
        session,
        [
            *match.rows(),
            incident,
            *reports.indicator_rows(incident.id, recorded, actor.id),
            *reports.team_links(incident.id, routed_ids),
            *pages.pages,
            *handover.items,
            *handover.clocks,
            *events,
            *nrm_rows,
            *referral_rows,
        ],
    )
    await enqueue_many(session, [*pages.jobs, *handover.alerts])

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
                team_ids=frozenset(routed_ids),
                station_ids=frozenset({station.id}),
                all_managers=outcome.needs_manager_review,
            ),
        ),
    )
    return IntakeResult(incident, routed, outcome.to_dict(), applied_catalogue)


def _place(
    body: IncidentCreate, places: PlaceIndex, known: Directory, station: StationEntry
) -> tuple[uuid.UUID | None, str]:
    """The incident's place and how it was found: "given" (the report named it), "matched" (the
    description certainly names a place of the location's area, else of the station's area), or
    "none". No place is created here: an unmatched location stays unlinked for a worker to link
    or to create (a police report's free text would otherwise fill the list with near-duplicates)."""
    if body.place_id is not None:
        given = places.lookup(body.place_id)
        assert given is not None, "an unknown place is a validation error raised before"
        return given.id, "given"
    area = known.areas.get(body.location.area) if body.location.area else None
    match = places.resolve(body.location.description, area.id if area else station.area_id)
    return (match.place.id, "matched") if match else (None, "none")


def _referral(
    incident: Incident,
    known: Directory,
    body: IncidentCreate,
    *,
    responsible_slug: str | None,
    station_area: str,
    legal_status: str,
    allocated_team: str | None,
    now: datetime,
) -> list[Row]:
    """The referral rows: routed by who knows the child (api.referrals.routing)."""
    areas = known.areas

    def authority(slug: str | None) -> Authority | None:
        return Authority(slug, areas[slug].name) if slug and slug in areas else None

    routing = route_referral(
        RoutingFacts(
            responsible=authority(responsible_slug),
            found_in=authority(body.location.area),
            station_area=authority(station_area),
            legal_status=legal_status,
            allocated_team=allocated_team,
            placement=authority(body.young_person.placement_area),
        )
    )
    return plan_referral(
        incident,
        routing,
        authority_id=areas[routing.authority.slug].id if routing.authority else None,
        host_authority_id=areas[routing.host.slug].id if routing.host else None,
        allocated_team=allocated_team,
        now=now,
    )


def _validate(
    body: IncidentCreate,
    actor: Actor,
    known: Directory,
    catalogue: Catalogue,
    now: datetime,
    places: PlaceIndex,
) -> tuple[StationEntry, list[tuple[AppliedCode, str]]]:
    """The report's station and how each indicator is recorded (a code of an earlier catalogue
    version is accepted during its transition), or ValidationFailed naming every field at fault."""
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
    recorded: list[tuple[AppliedCode, str]] = []
    for i, item in enumerate(body.indicators):
        applied = apply_code(item.code, now.date(), catalogue)
        if isinstance(applied, Refusal):
            errors.append({"field": f"indicators.{i}.code", "message": applied.message})
        else:
            recorded.append((applied, item.provenance))
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
    if body.young_person.placement_area and body.young_person.placement_area not in areas:
        errors.append({"field": "young_person.placement_area", "message": "unknown area"})
    if body.place_id is not None and places.lookup(body.place_id) is None:
        errors.append({"field": "place_id", "message": "no such active place"})
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    assert station is not None, "an unknown station is a validation error raised above"
    return station, recorded
