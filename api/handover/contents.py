"""What a handover item holds (domain reference, "What a handover item holds").

What happened; the decisions and why; what was done overnight (pages, acknowledgements,
support offered and the answers, the worker's handover notes); current risk; places and peers
of concern; open clocks; owner and pick-up; and a summary of the young person's pattern.

No authorisation or audit here: the service calls these after both.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.auth.queries import users_by_id
from api.db import utcnow
from api.handover import nrm
from api.handover.clocks import ClockKind, ClockSpec, clock_alert, custody_information
from api.handover.models import Clock, HandoverEvent, HandoverItem
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam, TimelineEvent
from api.paging import service as paging
from api.paging.models import Page
from api.people.identity import same_child
from api.people.models import YoungPerson
from api.support import service as support
from api.teams.models import Area, Station, Team
from api.triage.catalogue import Indicator, entry_as_recorded, newest_entry

KIND_LABELS = {
    "missing_return": "Missing return",
    "arrest": "Arrest",
    "stop_conversation": "Stop conversation",
}
# Timeline actions that tell the night's story to the day team (the rest is plumbing).
STORY_ACTIONS = frozenset(
    {
        "incident.reported",
        "incident.triaged",
        "incident.flagged_for_managers",
        "state.changed",
        "page.started",
        "page.escalated",
        "page.acknowledged",
        "incident.uncovered",
        "support.recorded",
        "handover.queued",
        "handover.picked_up",
        "handover.reassigned",
        "handover.escalated",
        "handover.closed",
        "clock.raised",
        "clock.due_before_handover",
        "clock.met",
        "clock.step",
        "nrm.raised",
        "nrm.reasons_added",
        "nrm.s45_flagged",
        "nrm.decided",
    }
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_ref(users: dict[uuid.UUID, User], user_id: uuid.UUID | None) -> dict[str, str] | None:
    if user_id is None:
        return None
    return {"id": str(user_id), "display_name": display_name(users, user_id)}


def display_name(users: dict[uuid.UUID, User], user_id: uuid.UUID) -> str:
    """The user's display name; empty when the user is not among `users`."""
    user = users.get(user_id)
    return user.display_name if user else ""


def clock_status(clock: Clock, now: datetime) -> str:
    """`met`, `overdue`, `approaching` (80% through with no owner) or `open`."""
    if clock.met:
        return "met"
    # Clock rows are written only from a ClockSpec, so the plain-string column holds a ClockKind.
    spec = ClockSpec(cast(ClockKind, clock.kind), clock.label, clock.starts_at, clock.due_at, clock.source)
    return clock_alert(spec, now, clock.owner_id is not None) or "open"


def clock_view(
    clock: Clock, users: dict[uuid.UUID, User], now: datetime, reference: str | None = None
) -> dict[str, Any]:
    view = {
        "id": str(clock.id),
        "incident_id": str(clock.incident_id),
        "kind": clock.kind,
        "sequence": clock.sequence,
        "label": clock.label,
        "source": clock.source,
        "starts_at": iso(clock.starts_at),
        "due_at": iso(clock.due_at),
        "owner": person_ref(users, clock.owner_id),
        "met": clock.met,
        "met_at": iso(clock.met_at),
        "met_by": person_ref(users, clock.met_by_id),
        "met_note": clock.met_note,
        "outcome": clock.outcome,
        "detail": clock.detail or {},
        "status": clock_status(clock, now),
        "raised_approaching_at": iso(clock.raised_approaching_at),
        "raised_overdue_at": iso(clock.raised_overdue_at),
    }
    if reference is not None:
        view["incident_reference"] = reference
    return view


async def clocks_of(session: AsyncSession, incident_id: uuid.UUID) -> list[Clock]:
    return list(
        (
            await session.execute(
                select(Clock)
                .where(col(Clock.incident_id) == incident_id)
                .order_by(col(Clock.due_at), col(Clock.kind))
            )
        ).scalars()
    )


async def clock_views(
    session: AsyncSession, incident_id: uuid.UUID, now: datetime | None = None
) -> list[dict[str, Any]]:
    now = now or utcnow()
    clocks = await clocks_of(session, incident_id)
    users = await users_by_id(session, {c.owner_id for c in clocks} | {c.met_by_id for c in clocks})
    return [clock_view(c, users, now) for c in clocks]


async def _teams_of(session: AsyncSession, incident_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Team]]:
    out: dict[uuid.UUID, list[Team]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    rows = await session.execute(
        select(col(IncidentTeam.incident_id), Team)
        .join(Team, col(Team.id) == col(IncidentTeam.team_id))
        .where(col(IncidentTeam.incident_id).in_(incident_ids))
        .order_by(col(IncidentTeam.created_at), col(Team.slug))
    )
    for incident_id, team in rows:
        out[incident_id].append(team)
    return out


def _label(entry: Indicator | None, code: str) -> str:
    return entry.label if entry else code


async def young_person_summary(
    session: AsyncSession, person: YoungPerson, incident: Incident
) -> dict[str, Any]:
    """The pattern up to this incident: earlier incidents, missing episodes in the last 30 and 90
    days (this one included), indicators seen before, and every team involved; over every
    record of the child (confirmed matches)."""
    history = list(
        (
            await session.execute(
                select(Incident)
                .where(
                    col(Incident.young_person_id).in_(same_child(person.id)),
                    col(Incident.occurred_at) <= incident.occurred_at,
                )
                .order_by(col(Incident.occurred_at).desc(), col(Incident.id))
            )
        ).scalars()
    )
    earlier = [i for i in history if i.id != incident.id]
    teams = await _teams_of(session, [i.id for i in history])

    def missing_within(days: int) -> int:
        since = incident.occurred_at - timedelta(days=days)
        return sum(
            1 for i in history if (i.was_missing or i.kind == "missing_return") and i.occurred_at > since
        )

    seen: Counter[str] = Counter()
    last_seen: dict[str, datetime] = {}
    if earlier:
        occurred = {i.id: i.occurred_at for i in earlier}
        for row in (
            await session.execute(
                select(col(IncidentIndicator.incident_id), col(IncidentIndicator.code)).where(
                    col(IncidentIndicator.incident_id).in_(list(occurred))
                )
            )
        ).all():
            incident_id, code = row
            seen[code] += 1
            if code not in last_seen or occurred[incident_id] > last_seen[code]:
                last_seen[code] = occurred[incident_id]
    involved: dict[uuid.UUID, Team] = {}
    for i in history:
        for team in teams[i.id]:
            involved.setdefault(team.id, team)
    return {
        "id": str(person.id),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "apparent_age": person.apparent_age,
        "legal_status": person.legal_status,
        "learning_disability": person.learning_disability,
        "la_reference": person.la_reference,
        "earlier_incidents": [
            {
                "id": str(i.id),
                "reference": i.reference,
                "kind": i.kind,
                "priority": i.priority,
                "occurred_at": iso(i.occurred_at),
                "teams": [t.slug for t in teams[i.id]],
            }
            for i in earlier
        ],
        "missing_episodes_30d": missing_within(30),
        "missing_episodes_90d": missing_within(90),
        "indicators_seen_before": [
            {
                "code": code,
                "label": _label(newest_entry(code), code),
                "times": count,
                "last_seen_at": iso(last_seen[code]),
            }
            for code, count in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "teams_involved": [
            {"id": str(t.id), "slug": t.slug, "name": t.name}
            for t in sorted(involved.values(), key=lambda t: t.slug)
        ],
    }


async def _places_and_peers(session: AsyncSession, incident: Incident, area: Area | None) -> dict[str, Any]:
    # Contextual safeguarding: a place that keeps coming up matters beyond this one child.
    same_place = (
        await session.execute(
            select(func.count())
            .select_from(Incident)
            .where(
                func.lower(col(Incident.location_description)) == func.lower(incident.location_description),
                col(Incident.id) != incident.id,
                col(Incident.occurred_at) <= incident.occurred_at,
            )
        )
    ).scalar_one()
    return {
        "location": {
            "description": incident.location_description,
            "area": area.slug if area else None,
            "earlier_incidents_here": same_place,
        },
        "people_present": incident.people_present,
    }


async def _story(session: AsyncSession, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    events = list(
        (
            await session.execute(
                select(TimelineEvent)
                .where(col(TimelineEvent.incident_id) == incident_id)
                .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
            )
        ).scalars()
    )
    users = await users_by_id(session, {e.actor_id for e in events})
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "actor": display_name(users, e.actor_id) if e.actor_id else "Lantern",
            "team_id": str(e.team_id) if e.team_id else None,
            "detail": e.detail,
        }
        for e in events
        if e.action in STORY_ACTIONS
    ]


async def history_of(session: AsyncSession, item_id: uuid.UUID) -> list[dict[str, Any]]:
    events = list(
        (
            await session.execute(
                select(HandoverEvent)
                .where(col(HandoverEvent.item_id) == item_id)
                .order_by(col(HandoverEvent.at), col(HandoverEvent.id))
            )
        ).scalars()
    )
    users = await users_by_id(
        session,
        {e.actor_id for e in events} | {e.from_user_id for e in events} | {e.to_user_id for e in events},
    )
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "actor": person_ref(users, e.actor_id),
            "from": person_ref(users, e.from_user_id),
            "to": person_ref(users, e.to_user_id),
            "detail": e.detail,
        }
        for e in events
    ]


async def still_being_paged(session: AsyncSession, item: HandoverItem) -> dict[str, Any] | None:
    """The item's team's page while it is still escalating (nobody has acknowledged it, it has
    not gone uncovered, it was not cancelled): its level and whom it pages now; else None.

    At 09:00 such an incident is not yet the day team's to pick up: the night's response is
    still running (the queue shows it apart, "still being paged")."""
    active = (
        await session.execute(
            select(col(Page.id)).where(
                col(Page.incident_id) == item.incident_id,
                col(Page.team_id) == item.team_id,
                col(Page.state) == "active",
            )
        )
    ).first()
    if active is None:
        return None
    pages = (await paging.being_paged(session, [item.incident_id]))[item.incident_id]
    return next((p for p in pages if p["page_id"] == str(active[0])), None)


async def item_view(session: AsyncSession, item: HandoverItem, now: datetime | None = None) -> dict[str, Any]:
    """Everything the day team needs for one item, as JSON."""
    now = now or utcnow()
    incident = await session.get(Incident, item.incident_id)
    assert incident is not None, "handover_items.incident_id is a non-null foreign key"
    person = await session.get(YoungPerson, incident.young_person_id)
    assert person is not None, "incidents.young_person_id is a non-null foreign key"
    station = await session.get(Station, incident.station_id)
    assert station is not None, "incidents.station_id is a non-null foreign key"
    team = await session.get(Team, item.team_id)
    assert team is not None, "handover_items.team_id is a non-null foreign key"
    area_id = incident.location_area_id or incident.area_id
    area = await session.get(Area, area_id) if area_id else None
    indicators = [
        {
            "code": row.code,
            # In the catalogue version the row was recorded with (v1 keeps v1's labels).
            "label": _label(entry_as_recorded(row.code, row.catalogue_version), row.code),
            "category": row.category,
            "provenance": row.provenance,
        }
        for row in (
            await session.execute(
                select(IncidentIndicator)
                .where(col(IncidentIndicator.incident_id) == incident.id)
                .order_by(col(IncidentIndicator.code), col(IncidentIndicator.provenance))
            )
        ).scalars()
    ]
    teams = (await _teams_of(session, [incident.id]))[incident.id]
    users = await users_by_id(session, {item.owner_id, item.closed_by_id})
    clocks = await clock_views(session, incident.id, now)
    offers = [o.model_dump(mode="json") for o in await support.offers_for_incident(session, incident.id)]
    triage = incident.triage or {}
    return {
        "id": str(item.id),
        "state": item.state,
        "team": {"id": str(team.id), "slug": team.slug, "name": team.name},
        "due_at": iso(item.due_at),
        "created_at": iso(item.created_at),
        "owner": person_ref(users, item.owner_id),
        "picked_up_at": iso(item.picked_up_at),
        "escalated_at": iso(item.escalated_at),
        "closed_at": iso(item.closed_at),
        "closed_by": person_ref(users, item.closed_by_id),
        "closing_note": item.closing_note,
        "incident": {
            "id": str(incident.id),
            "reference": incident.reference,
            "kind": incident.kind,
            "kind_label": KIND_LABELS.get(incident.kind, incident.kind),
            "state": incident.state,
            "priority": incident.priority,
            "occurred_at": iso(incident.occurred_at),
            "reported_at": iso(incident.reported_at),
            "station": {"slug": station.slug, "name": station.name},
            "police_references": incident.police_references,
            "teams": [{"id": str(t.id), "slug": t.slug, "name": t.name} for t in teams],
            "uncovered": incident.uncovered,
        },
        "what_happened": {
            "summary": (
                f"{KIND_LABELS.get(incident.kind, incident.kind)} reported by {station.name}; "
                f"{incident.location_description}"
            ),
            "circumstances": incident.circumstances,
            "custody": incident.custody,
            "timeline": await _story(session, incident.id),
        },
        "decisions": {
            "priority": incident.priority,
            "categories": triage.get("categories", []),
            "area": triage.get("area"),
            "reasons": triage.get("reasons", []),
            "needs_manager_review": incident.needs_manager_review,
        },
        "pages": await paging.pages_for_incident(session, incident.id),
        "being_paged": await still_being_paged(session, item),
        "support_offers": offers,
        "handover_notes": [
            n.model_dump(mode="json") for n in await support.notes_for_incident(session, incident.id)
        ],
        "current_risk": {
            "priority": incident.priority,
            "indicators": indicators,
            "custody_status": (incident.custody or {}).get("status"),
            # PACE reviews and the 24-hour limit: police duties, for information, never clocks.
            "custody_information": custody_information(
                (incident.custody or {}).get("status"), incident.detained_at, now
            ),
            "prompts": triage.get("prompts", []),
            "safety_plan": [o for o in offers if o.get("kind") == "safety_plan"],
        },
        # "Consider an NRM referral": the reasons, the consent note, the decision (or None).
        "nrm": await nrm.view_for(session, incident.id),
        "places_and_peers": await _places_and_peers(session, incident, area),
        "clocks": clocks,
        "open_clocks": [c for c in clocks if not c["met"]],
        "young_person": await young_person_summary(session, person, incident),
        "history": await history_of(session, item.id),
    }
