"""Referral records: made at intake, read and downloaded (audited), received and decided.

Entry points: ``plan_referral`` (intake writes the rows with the incident), ``remembered_team``
(an allocated team named on an earlier referral of the same young person), ``referral_for``
(access: case roles of the incident's teams; anyone else gets 404), ``document``,
``record_receipt`` and ``record_decision`` (the decision meets the one-working-day clock).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.db import Row, new_row, utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.handover import nrm
from api.handover.clocks import referral_clock
from api.handover.models import Clock
from api.incidents import timeline
from api.incidents.access import may_see_case
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam
from api.people.models import YoungPerson
from api.referrals import document as doc
from api.referrals.models import Referral
from api.referrals.routing import Routing
from api.teams.models import Area, Station, Team
from api.triage.catalogue import load_catalogue

FUTURE_TOLERANCE = timedelta(minutes=10)


def plan_referral(
    incident: Incident,
    routing: Routing,
    *,
    authority_id: uuid.UUID | None,
    host_authority_id: uuid.UUID | None,
    allocated_team: str | None,
    now: datetime,
) -> list[Row]:
    """The referral, its decision clock and its timeline event, for intake to write."""
    spec = referral_clock(now)
    referral = new_row(
        Referral,
        incident_id=incident.id,
        young_person_id=incident.young_person_id,
        route=routing.route,
        authority_id=authority_id,
        receiving_kind=routing.receiving_kind,
        receiving_name=routing.receiving_name[:200],
        allocated_team=allocated_team,
        host_authority_id=host_authority_id,
        reasons=list(routing.reasons),
        referred_at=now,
        decision_due_at=spec.due_at,
        created_at=now,
        updated_at=now,
    )
    clock = new_row(
        Clock,
        incident_id=incident.id,
        kind=spec.kind,
        label=spec.label,
        source=spec.source,
        starts_at=spec.starts_at,
        due_at=spec.due_at,
        created_at=now,
        updated_at=now,
    )
    event = timeline.event(
        incident.id,
        "referral.made",
        detail={
            "referral_id": str(referral["id"]),
            "route": routing.route,
            "receiving": routing.receiving_name,
            "host_informed": routing.host.slug if routing.host else None,
            "decision_due_at": spec.due_at.isoformat(),
        },
    )
    return [referral, clock, event]


async def remembered_team(session: AsyncSession, young_person_id: uuid.UUID) -> str | None:
    """The allocated team named on the young person's latest referral that named one."""
    return (
        await session.execute(
            select(col(Referral.allocated_team))
            .where(
                col(Referral.young_person_id) == young_person_id, col(Referral.allocated_team).is_not(None)
            )
            .order_by(col(Referral.referred_at).desc())
            .limit(1)
            .execution_options(autoflush=False)
        )
    ).scalar_one_or_none()


async def referral_for(
    session: AsyncSession, actor: Actor, referral_id: uuid.UUID, *, for_update: bool = False
) -> Referral:
    """The referral, for a case role of one of its incident's teams; 404 for anyone else."""
    referral = await session.get(
        Referral, referral_id, with_for_update=for_update, populate_existing=for_update
    )
    if referral is None or not await may_see_case(session, actor, referral.incident_id):
        raise NotFound("No such referral.")
    return referral


async def referral_of_incident(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> Referral:
    found = (
        await session.execute(select(col(Referral.id)).where(col(Referral.incident_id) == incident_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No referral for this incident.")
    return await referral_for(session, actor, found)


def audit_read(session: AsyncSession, actor: Actor, referral: Referral, fmt: str) -> None:
    """Every read and download of a referral is audited, with its format."""
    audit.record(
        session,
        actor,
        "referral.read" if fmt == "view" else "referral.download",
        resource_type="referral",
        resource_id=referral.id,
        young_person_id=referral.young_person_id,
        detail={"format": fmt, "incident_id": str(referral.incident_id)},
    )


def _authority(area: Area | None) -> doc.ReferralAuthority | None:
    return doc.ReferralAuthority(code=area.slug, name=area.name) if area else None


async def _name_of(session: AsyncSession, user_id: uuid.UUID | None) -> str:
    user = await session.get(User, user_id) if user_id else None
    return user.display_name if user else ""


async def document(session: AsyncSession, actor: Actor, referral: Referral) -> doc.ReferralDocument:
    """The referral as its JSON document (no audit here: the route audits with the format)."""
    catalogue = load_catalogue()
    incident = await session.get(Incident, referral.incident_id)
    assert incident is not None, "referrals.incident_id is a non-null foreign key"
    person = await session.get(YoungPerson, incident.young_person_id)
    assert person is not None, "incidents.young_person_id is a non-null foreign key"
    station = await session.get(Station, incident.station_id)
    assert station is not None, "incidents.station_id is a non-null foreign key"

    async def area(area_id: uuid.UUID | None) -> Area | None:
        return await session.get(Area, area_id) if area_id else None

    authority = await area(referral.authority_id)
    host = await area(referral.host_authority_id)
    indicators = (
        await session.execute(
            select(IncidentIndicator)
            .where(col(IncidentIndicator.incident_id) == incident.id)
            .order_by(col(IncidentIndicator.code), col(IncidentIndicator.provenance))
        )
    ).scalars()
    teams = (
        await session.execute(
            select(col(Team.slug))
            .join(IncidentTeam, col(IncidentTeam.team_id) == col(Team.id))
            .where(col(IncidentTeam.incident_id) == incident.id)
            .order_by(col(Team.slug))
        )
    ).scalars()
    clock = (
        await session.execute(
            select(Clock).where(col(Clock.incident_id) == incident.id, col(Clock.kind) == "referral_decision")
        )
    ).scalar_one()
    nrm_view = await nrm.view_for(session, incident.id)
    receipt = None
    if referral.received_at is not None:
        receipt = doc.ReferralReceipt(
            received_at=referral.received_at,
            received_by=referral.received_by or "",
            recorded_by=await _name_of(session, referral.receipt_recorded_by_id),
        )
    decision = None
    if referral.decision is not None and referral.decided_at is not None:
        decision = doc.ReferralDecision(
            decision=referral.decision,
            decided_at=referral.decided_at,
            decided_by=referral.decided_by or "",
            note=referral.decision_note,
            recorded_by=await _name_of(session, referral.decision_recorded_by_id),
        )
    return doc.ReferralDocument(
        id=referral.id,
        route=referral.route,
        routing_reasons=list(referral.reasons),
        receiving=doc.ReferralReceiving(
            kind=referral.receiving_kind,
            name=referral.receiving_name,
            authority=_authority(authority),
        ),
        inform=[a for a in [_authority(host)] if a is not None],
        referred_at=referral.referred_at,
        decision_clock=doc.ReferralClock(
            label=clock.label,
            source=clock.source,
            starts_at=clock.starts_at,
            due_at=clock.due_at,
            met_at=clock.met_at,
        ),
        child=doc.ReferralChild(
            first_name=person.first_name,
            last_name=person.last_name,
            aliases=list(person.aliases or []),
            date_of_birth=person.date_of_birth,
            apparent_age=person.apparent_age,
            age_known=person.date_of_birth is not None,
            gender=person.gender,
            la_reference=person.la_reference,
            legal_status=person.legal_status,
            learning_disability=person.learning_disability,
            responsible_authority=_authority(await area(person.responsible_area_id)),
            placement_authority=_authority(host),
            allocated_team=referral.allocated_team,
        ),
        incident=doc.ReferralIncident(
            reference=incident.reference,
            kind=incident.kind,
            occurred_at=incident.occurred_at,
            reported_at=incident.reported_at,
            police_station=station.name,
            police_references=list(incident.police_references or []),
            location=incident.location_description,
            location_authority=_authority(await area(incident.location_area_id)),
            circumstances=incident.circumstances,
            custody_status=(incident.custody or {}).get("status"),
            charged=incident.charged,
            priority=incident.priority,
            triage_reasons=list((incident.triage or {}).get("reasons", [])),
            lantern_teams=list(teams),
            indicators=[
                doc.ReferralIndicator(
                    code=i.code,
                    label=catalogue.label_of(i.code),
                    category=i.category,
                    provenance=i.provenance,
                )
                for i in indicators
            ],
        ),
        nrm=doc.ReferralNrm(
            reasons=nrm_view["reasons"],
            s45_flag=nrm_view["s45_flag"],
            decision=nrm_view["decision"],
            referral_reference=nrm_view["referral_reference"],
            referred_on=nrm_view["referred_on"],
        )
        if nrm_view
        else None,
        receipt=receipt,
        decision=decision,
        generated_at=utcnow(),
        generated_by=actor.user.display_name,
    )


def _when(value: datetime | None, now: datetime, referral: Referral, field: str) -> datetime:
    at = value or now
    if at > now + FUTURE_TOLERANCE:
        raise ValidationFailed.field(field, "more than 10 minutes in the future")
    if at < referral.referred_at - FUTURE_TOLERANCE:
        raise ValidationFailed.field(field, "before the referral was made")
    return at


def _publish(session: AsyncSession, referral: Referral, team_ids: list[uuid.UUID]) -> None:
    publish(
        session,
        LiveEvent(
            "handover.updated",  # the day teams' screens refresh the incident
            {"referral_id": str(referral.id), "incident_id": str(referral.incident_id)},
            Audience(team_ids=frozenset(team_ids)),
        ),
    )


async def _teams(session: AsyncSession, incident_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        (
            await session.execute(
                select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident_id)
            )
        ).scalars()
    )


async def record_receipt(
    session: AsyncSession,
    actor: Actor,
    referral: Referral,
    *,
    received_at: datetime | None,
    received_by: str,
    now: datetime | None = None,
) -> None:
    """The receiving team has the referral (once: a second receipt is 409)."""
    now = now or utcnow()
    if referral.received_at is not None:
        raise Conflict(
            "The receipt is already recorded.", extra={"received_at": referral.received_at.isoformat()}
        )
    at = _when(received_at, now, referral, "received_at")
    referral.received_at = at
    referral.received_by = received_by
    referral.receipt_recorded_by_id = actor.id
    referral.version += 1
    referral.updated_at = now
    timeline.add_event(
        session,
        referral.incident_id,
        "referral.received",
        actor_id=actor.id,
        detail={"referral_id": str(referral.id), "received_at": at.isoformat()},
    )
    audit.record(
        session,
        actor,
        "referral.receipt",
        resource_type="referral",
        resource_id=referral.id,
        young_person_id=referral.young_person_id,
    )
    _publish(session, referral, await _teams(session, referral.incident_id))
    await session.flush()


async def record_decision(
    session: AsyncSession,
    actor: Actor,
    referral: Referral,
    *,
    decision: str,
    decided_at: datetime | None,
    decided_by: str,
    note: str | None,
    now: datetime | None = None,
) -> None:
    """The receiving team's decision; it meets the one-working-day clock. Needs the receipt
    first (409), and is recorded once (409)."""
    now = now or utcnow()
    if referral.received_at is None:
        raise Conflict("Record the receipt of the referral before its decision.", extra={"received_at": None})
    if referral.decision is not None:
        raise Conflict("The decision is already recorded.", extra={"decision": referral.decision})
    at = _when(decided_at, now, referral, "decided_at")
    if at < referral.received_at:
        raise ValidationFailed.field("decided_at", "before the referral was received")
    referral.decision = decision
    referral.decided_at = at
    referral.decided_by = decided_by
    referral.decision_note = note
    referral.decision_recorded_by_id = actor.id
    referral.version += 1
    referral.updated_at = now
    clock = (
        await session.execute(
            select(Clock)
            .where(col(Clock.incident_id) == referral.incident_id, col(Clock.kind) == "referral_decision")
            .with_for_update()
        )
    ).scalar_one()
    if clock.met_at is None:
        clock.met_at = at
        clock.met_by_id = actor.id
        clock.outcome = decision
        clock.met_note = "Decision recorded on the referral"
        clock.updated_at = now
    timeline.add_event(
        session,
        referral.incident_id,
        "referral.decided",
        actor_id=actor.id,
        detail={
            "referral_id": str(referral.id),
            "decision": decision,
            "decided_at": at.isoformat(),
            "within_one_working_day": at <= clock.due_at,
        },
    )
    audit.record(
        session,
        actor,
        "referral.decision",
        resource_type="referral",
        resource_id=referral.id,
        young_person_id=referral.young_person_id,
        detail={"decision": decision},
    )
    _publish(session, referral, await _teams(session, referral.incident_id))
    await session.flush()


def view_fields(referral: Referral) -> dict[str, Any]:
    """Ids only, for answers that must not carry the referral's content."""
    return {"id": str(referral.id), "incident_id": str(referral.incident_id), "version": referral.version}
