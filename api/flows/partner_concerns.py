"""A partner reports a concern about a place or a peer group: triage routes it to the area's hub.

One transaction: check every field (named at once, before anything is written); run the same
triage rules as intake with the facts a partner has (the place's area, the indicators, the
youngest apparent age; no young person, no custody); write the concern and the hub teams it
reached; when triage makes it P1, queue a page to each hub team (api.paging.partner_pages);
audit; announce `partner_concern.reported` to the hub teams. Below P1 it waits in the hub's queue.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.jobs.service import enqueue
from api.paging.partner_pages import CONCERN_JOB, concern_job_payload
from api.partners.models import ConcernTeam, PartnerConcern
from api.partners.schemas import ConcernCreated, ConcernIn
from api.partners.service import new_reference
from api.teams.directory import directory
from api.triage.catalogue import load_catalogue
from api.triage.rules import P1, ObservedIndicator, TeamRef, TriageCase, triage

FUTURE_TOLERANCE = timedelta(minutes=10)
# What a partner saw, as triage's provenance: they are not police and did not hear a disclosure.
PARTNER_PROVENANCE = "concern"


async def report_concern(session: AsyncSession, actor: Actor, body: ConcernIn) -> ConcernCreated:
    now = utcnow()
    catalogue = load_catalogue()
    known = await directory(session)
    errors: list[dict[str, str]] = []
    area = known.areas.get(body.area)
    if area is None:
        errors.append({"field": "area", "message": "unknown area"})
    if body.about == "place" and not body.location:
        errors.append({"field": "location", "message": "required for a concern about a place"})
    if body.about == "peer_group" and not body.peer_group:
        errors.append({"field": "peer_group", "message": "required for a concern about a peer group"})
    if body.observed_at > now + FUTURE_TOLERANCE:
        errors.append({"field": "observed_at", "message": "more than 10 minutes in the future"})
    for i, item in enumerate(body.indicators):
        if catalogue.get(item.code) is None:
            errors.append({"field": f"indicators.{i}.code", "message": f"unknown indicator '{item.code}'"})
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    assert area is not None

    area_by_id = known.area_by_id()
    codes = list(dict.fromkeys(i.code for i in body.indicators))
    outcome = triage(
        TriageCase(
            kind="partner_concern",
            indicators=[
                ObservedIndicator(c, catalogue.require(c).category, PARTNER_PROVENANCE) for c in codes
            ],
            age_years=body.youngest_apparent_age,
            learning_disability=False,
            location_area=area.slug,
            responsible_area=None,
            station_area=None,
            teams=[
                TeamRef(t.id, t.slug, t.specialism, area_by_id[t.area_id].slug) for t in known.active_teams
            ],
            age_known=False,
        ),
        area_names={a.slug: a.name for a in known.areas.values()},
        catalogue=catalogue,
    )
    paged = outcome.priority == P1 and bool(outcome.teams)
    concern = PartnerConcern(
        reference=new_reference(now),
        reporter_id=actor.id,
        organisation=body.organisation,
        about=body.about,
        area_id=area.id,
        location_description=body.location,
        peer_group_description=body.peer_group,
        details=body.details,
        indicators=codes,
        youngest_apparent_age=body.youngest_apparent_age,
        observed_at=body.observed_at,
        priority=outcome.priority,
        triage=outcome.to_dict(),
        needs_manager_review=outcome.needs_manager_review,
        paged=paged,
        reported_at=now,
    )
    session.add(concern)
    await session.flush()
    session.add_all([ConcernTeam(concern_id=concern.id, team_id=t.id) for t in outcome.teams])
    if paged:
        for team in outcome.teams:
            await enqueue(
                session,
                CONCERN_JOB,
                concern_job_payload(concern.id, concern.reference, team.id, concern.priority),
                run_at=now,
                dedupe_key=f"{CONCERN_JOB}:{concern.id}:{team.id}",
            )
    audit.record(
        session,
        actor,
        "partner_concern.create",
        resource_type="partner_concern",
        resource_id=concern.id,
        detail={"priority": concern.priority, "paged": paged},
    )
    publish(
        session,
        LiveEvent(
            "partner_concern.reported",
            {"concern_id": str(concern.id), "reference": concern.reference, "priority": concern.priority},
            Audience(
                team_ids=frozenset(t.id for t in outcome.teams),
                all_managers=outcome.needs_manager_review,
            ),
        ),
    )
    return ConcernCreated(id=concern.id, reference=concern.reference, state=concern.state, reported_at=now)
