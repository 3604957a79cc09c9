"""Handing the night's incidents to the day teams: items, pick-up, reassignment, closing, clocks.

Entry points for other domains:

- `plan_handover(incident, team_ids, ...)`: the handover items (one per team) and clocks of a
  new incident, for intake (api.flows.intake) to write with it; `on_incident_triaged` does the
  same for an incident that exists.
- `raise_due(session, now)`: the worker's periodic pass (see `api.handover.raising`).
- `clocks_for_incident(session, incident_id)`: the clocks for the incident detail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.db import Row, new_row, utcnow
from api.errors import Conflict, Forbidden, ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.handover import contents
from api.handover.access import HANDOVER_ROLES
from api.handover.clocks import PACE_REVIEW_INTERVAL, ClockFacts, clocks_for
from api.handover.models import OPEN_ITEM_STATES, Clock, HandoverEvent, HandoverItem
from api.handover.raising import raise_due  # noqa: F401  (exported for the worker)
from api.incidents import timeline
from api.incidents.models import Incident, IncidentTeam, TimelineEvent
from api.rota.hours import handover_due
from api.teams.models import Membership, Team

MISSING_WINDOW = timedelta(days=30)


# --- Created at triage ---------------------------------------------------------------------


async def missing_episodes_30d(session: AsyncSession, incident: Incident) -> int:
    """Missing episodes of the incident's young person in the 30 days up to it, this one included."""
    earlier = (
        await session.execute(
            select(func.count())
            .select_from(Incident)
            .where(
                Incident.young_person_id == incident.young_person_id,
                Incident.kind == "missing_return",
                Incident.id != incident.id,
                Incident.occurred_at > incident.occurred_at - MISSING_WINDOW,
                Incident.occurred_at <= incident.occurred_at,
            )
            # Other incidents only: this transaction's pending rows cannot change the count,
            # so they are left for one flush at the end.
            .execution_options(autoflush=False)
        )
    ).scalar_one()
    return earlier + (1 if incident.kind == "missing_return" else 0)


@dataclass
class HandoverPlan:
    """Rows to write for an incident's handover: items, clocks and their timeline events."""

    items: list[Row] = field(default_factory=list)
    clocks: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


def plan_handover(
    incident: Incident,
    team_ids: list[uuid.UUID],
    *,
    missing_episodes_30d: int,
    now: datetime,
    queued: frozenset[uuid.UUID] = frozenset(),
    started: frozenset[str] = frozenset(),
) -> HandoverPlan:
    """A handover item per team not in `queued`, and the clocks (by kind) not in `started`.

    Items are due at the end of the out-of-hours window the incident happened in (09:00
    London, next working day). `missing_episodes_30d` includes this incident.
    """
    plan = HandoverPlan()
    due = handover_due(incident.occurred_at)
    for team_id in dict.fromkeys(team_ids):
        if team_id in queued:
            continue
        plan.items.append(
            new_row(
                HandoverItem,
                incident_id=incident.id,
                team_id=team_id,
                due_at=due,
                created_at=now,
                updated_at=now,
            )
        )
        plan.events.append(
            timeline.event(
                incident.id, "handover.queued", team_id=team_id, detail={"due_at": due.isoformat()}
            )
        )
    facts = ClockFacts(
        kind=incident.kind,  # type: ignore[arg-type]
        occurred_at=incident.occurred_at,
        police_protection_started_at=incident.police_protection_started_at,
        detained_at=incident.detained_at,
        charged=incident.charged,
        bail_refused=incident.bail_refused,
        missing_episodes_30d=missing_episodes_30d,
        now=now,
    )
    new = [spec for spec in clocks_for(facts) if spec.kind not in started]
    plan.clocks = [
        new_row(
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
        for spec in new
    ]
    if new:
        plan.events.append(
            timeline.event(
                incident.id,
                "clocks.started",
                detail={"clocks": [{"kind": s.kind, "due_at": s.due_at.isoformat()} for s in new]},
            )
        )
    return plan


async def on_incident_triaged(session: AsyncSession, incident: Incident, team_ids: list[uuid.UUID]) -> None:
    """Queue a handover item for each routed team and start the incident's clocks, in the
    caller's transaction (after the incident is flushed). Calling it again is harmless:
    existing items and clocks are kept."""
    queued = (
        await session.execute(select(HandoverItem.team_id).where(HandoverItem.incident_id == incident.id))
    ).scalars()
    started = (await session.execute(select(Clock.kind).where(Clock.incident_id == incident.id))).scalars()
    plan = plan_handover(
        incident,
        team_ids,
        missing_episodes_30d=await missing_episodes_30d(session, incident),
        now=incident.reported_at or utcnow(),
        queued=frozenset(queued),
        started=frozenset(started),
    )
    session.add_all(
        [
            *(HandoverItem(**row.values) for row in plan.items),
            *(Clock(**row.values) for row in plan.clocks),
            *(TimelineEvent(**row.values) for row in plan.events),
        ]
    )
    await session.flush()


# --- Reading the queue ---------------------------------------------------------------------


async def team_for(session: AsyncSession, actor: Actor, slug: str) -> Team:
    team = (await session.execute(select(Team).where(Team.slug == slug))).scalar_one_or_none()
    if team is None:
        raise ValidationFailed.field("team", "unknown team")
    if team.id not in actor.team_ids:
        raise Forbidden("You are not a member of that team.")
    return team


async def list_items(
    session: AsyncSession,
    actor: Actor,
    *,
    team_slug: str | None,
    state: str | None,
    limit: int = 200,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The queue of the actor's teams (or one of them): priority first, then oldest first.

    Without `state`, the open items (awaiting pick-up and picked up).
    """
    now = now or utcnow()
    team_ids = [(await team_for(session, actor, team_slug)).id] if team_slug else list(actor.team_ids)
    query = (
        select(HandoverItem)
        .join(Incident, Incident.id == HandoverItem.incident_id)
        .where(HandoverItem.team_id.in_(team_ids))
    )
    query = (
        query.where(HandoverItem.state == state)
        if state
        else query.where(HandoverItem.state.in_(OPEN_ITEM_STATES))
    )
    query = query.order_by(
        Incident.priority, Incident.occurred_at, HandoverItem.created_at, HandoverItem.id
    ).limit(limit)
    items = list((await session.execute(query)).scalars())
    views = []
    for item in items:
        view = await contents.item_view(session, item, now)
        views.append(view)
        _audit_read(session, actor, item, view, "handover.list")
    return {"items": views}


async def item_detail(session: AsyncSession, actor: Actor, item: HandoverItem) -> dict[str, Any]:
    view = await contents.item_view(session, item)
    _audit_read(session, actor, item, view, "handover.read")
    return view


def _audit_read(session: AsyncSession, actor: Actor, item: HandoverItem, view: dict, action: str) -> None:
    audit.record(
        session,
        actor,
        action,
        resource_type="handover_item",
        resource_id=item.id,
        young_person_id=uuid.UUID(view["young_person"]["id"]),
        team_id=item.team_id,
        detail={"incident_id": str(item.incident_id)},
    )


# --- Pick-up, reassignment, closing --------------------------------------------------------


def _owner_answer(item: HandoverItem, users: dict[uuid.UUID, User]) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "state": item.state,
        "owner": contents.person_ref(users, item.owner_id),
        "picked_up_at": contents.iso(item.picked_up_at),
    }


async def _record_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    item: HandoverItem,
    incident: Incident,
    *,
    incident_moved: bool,
) -> None:
    """Audit a change to an item and tell the live boards (the incident too if it moved)."""
    audit.record(
        session,
        actor,
        action,
        resource_type="handover_item",
        resource_id=item.id,
        young_person_id=incident.young_person_id,
        team_id=item.team_id,
    )
    await _publish_item(session, item)
    if incident_moved:
        await _publish_incident(session, incident)


async def _locked_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    return await session.get(Incident, incident_id, with_for_update=True, populate_existing=True)


def _may_act_on(actor: Actor, item: HandoverItem) -> bool:
    return item.owner_id == actor.id or actor.has("manager")


async def _publish_item(
    session: AsyncSession, item: HandoverItem, *, user_ids: frozenset[uuid.UUID] = frozenset()
) -> None:
    publish(
        session,
        LiveEvent(
            "handover.updated",
            {
                "item_id": str(item.id),
                "incident_id": str(item.incident_id),
                "team_id": str(item.team_id),
                "state": item.state,
            },
            Audience(team_ids=frozenset({item.team_id}), user_ids=user_ids),
        ),
    )


async def _publish_incident(session: AsyncSession, incident: Incident) -> None:
    team_ids = (
        await session.execute(select(IncidentTeam.team_id).where(IncidentTeam.incident_id == incident.id))
    ).scalars()
    publish(
        session,
        LiveEvent(
            "incident.updated",
            {"incident_id": str(incident.id), "state": incident.state},
            Audience(team_ids=frozenset(team_ids), station_ids=frozenset({incident.station_id})),
        ),
    )


async def pick_up(
    session: AsyncSession, actor: Actor, item: HandoverItem, now: datetime | None = None
) -> dict[str, Any]:
    """The actor takes the item: they own it and the incident's unowned clocks from now on.

    A second pick-up by someone else is a 409 naming the owner (nothing changes); the same
    person picking up again gets the same answer (a double tap is not an error).
    """
    now = now or utcnow()
    if item.state == "picked_up":
        users = await contents.people(session, {item.owner_id})
        if item.owner_id == actor.id:
            return _owner_answer(item, users)
        owner = contents.person_ref(users, item.owner_id)
        raise Conflict(
            f"Already picked up by {owner['display_name']} at {item.picked_up_at.isoformat()}.",
            extra={"owner": owner, "picked_up_at": contents.iso(item.picked_up_at)},
        )
    if item.state == "closed":
        raise Conflict("This item is closed.", extra={"state": item.state})
    item.state = "picked_up"
    item.owner_id = actor.id
    item.picked_up_at = now
    item.version += 1
    item.updated_at = now
    session.add(
        HandoverEvent(item_id=item.id, at=now, actor_id=actor.id, action="picked_up", to_user_id=actor.id)
    )
    incident = await _locked_incident(session, item.incident_id)
    timeline.add_event(
        session,
        incident.id,
        "handover.picked_up",
        actor_id=actor.id,
        team_id=item.team_id,
        detail={"item_id": str(item.id)},
    )
    moved = timeline.move(session, incident, "picked_up", actor_id=actor.id, team_id=item.team_id)
    for clock in await contents.clocks_of(session, incident.id):
        if clock.met:
            continue
        if clock.kind == "handover":
            # The day team has it: the handover limit is met by the first pick-up.
            clock.met_at, clock.met_by_id = now, actor.id
        if clock.owner_id is None:
            clock.owner_id = actor.id
        clock.updated_at = now
    await _record_change(session, actor, "handover.pickup", item, incident, incident_moved=moved)
    await session.flush()
    return _owner_answer(item, {actor.id: actor.user})


async def reassign(
    session: AsyncSession, actor: Actor, item: HandoverItem, user_id: uuid.UUID, now: datetime | None = None
) -> dict[str, Any]:
    """Hand a picked-up item to a colleague of the same team (the owner or a manager may)."""
    now = now or utcnow()
    if item.state != "picked_up":
        message = (
            "This item is closed." if item.state == "closed" else "Pick the item up before reassigning it."
        )
        raise Conflict(message, extra={"state": item.state})
    if not _may_act_on(actor, item):
        raise Forbidden("Only the owner or a manager of the team may reassign this item.")
    target = await session.get(User, user_id)
    member = (
        await session.execute(
            select(Membership.id).where(Membership.user_id == user_id, Membership.team_id == item.team_id)
        )
    ).first()
    if target is None or not target.active or member is None or not set(target.roles) & set(HANDOVER_ROLES):
        raise ValidationFailed.field("user_id", "not a day-team member or manager of this item's team")
    if target.id == item.owner_id:
        raise ValidationFailed.field("user_id", "already the owner")
    previous = item.owner_id
    item.owner_id = target.id
    item.version += 1
    item.updated_at = now
    session.add(
        HandoverEvent(
            item_id=item.id,
            at=now,
            actor_id=actor.id,
            action="reassigned",
            from_user_id=previous,
            to_user_id=target.id,
        )
    )
    incident = await session.get(Incident, item.incident_id)
    timeline.add_event(
        session,
        incident.id,
        "handover.reassigned",
        actor_id=actor.id,
        team_id=item.team_id,
        detail={"item_id": str(item.id), "from_user_id": str(previous), "to_user_id": str(target.id)},
    )
    for clock in await contents.clocks_of(session, incident.id):
        if not clock.met and clock.owner_id == previous:
            clock.owner_id = target.id
            clock.updated_at = now
    audit.record(
        session,
        actor,
        "handover.reassign",
        resource_type="handover_item",
        resource_id=item.id,
        young_person_id=incident.young_person_id,
        team_id=item.team_id,
        detail={"from_user_id": str(previous), "to_user_id": str(target.id)},
    )
    await _publish_item(session, item, user_ids=frozenset({target.id}))
    await session.flush()
    users = await contents.people(session, {item.owner_id, previous})
    return {
        **_owner_answer(item, users),
        "previous_owner": contents.person_ref(users, previous),
        "reassigned_at": now.isoformat(),
    }


async def close(
    session: AsyncSession, actor: Actor, item: HandoverItem, note: str, now: datetime | None = None
) -> dict[str, Any]:
    """Close a picked-up item with a note; the incident closes when all its items are closed."""
    now = now or utcnow()
    if item.state == "closed":
        raise Conflict("This item is already closed.", extra={"closed_at": contents.iso(item.closed_at)})
    if item.state != "picked_up":
        raise Conflict("Pick the item up before closing it.", extra={"state": item.state})
    if not _may_act_on(actor, item):
        raise Forbidden("Only the owner or a manager of the team may close this item.")
    item.state = "closed"
    item.closing_note = note
    item.closed_at = now
    item.closed_by_id = actor.id
    item.version += 1
    item.updated_at = now
    session.add(HandoverEvent(item_id=item.id, at=now, actor_id=actor.id, action="closed"))
    incident = await _locked_incident(session, item.incident_id)
    # The note is case content: it stays on the item, not in the timeline's detail.
    timeline.add_event(
        session,
        incident.id,
        "handover.closed",
        actor_id=actor.id,
        team_id=item.team_id,
        detail={"item_id": str(item.id)},
    )
    await session.flush()
    still_open = (
        await session.execute(
            select(HandoverItem.id).where(
                HandoverItem.incident_id == incident.id, HandoverItem.state != "closed"
            )
        )
    ).first()
    moved = still_open is None and timeline.move(
        session, incident, "closed", actor_id=actor.id, team_id=item.team_id
    )
    await _record_change(session, actor, "handover.close", item, incident, incident_moved=moved)
    users = await contents.people(session, {item.owner_id, actor.id})
    return {
        **_owner_answer(item, users),
        "closed_at": now.isoformat(),
        "closed_by": contents.person_ref(users, actor.id),
        "closing_note": note,
    }


# --- Clocks --------------------------------------------------------------------------------


async def clocks_for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    """The incident's clocks (met and open), by due time, as JSON: for the incident detail.

    No authorisation or audit here: the caller does both.
    """
    return await contents.clock_views(session, incident_id)


async def team_clocks(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    *,
    include_met: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Clocks of the incidents routed to a team, soonest due first."""
    now = now or utcnow()
    if team_id not in actor.team_ids:
        raise Forbidden("You are not a member of that team.")
    query = (
        select(Clock, Incident.reference)
        .join(Incident, Incident.id == Clock.incident_id)
        .join(IncidentTeam, IncidentTeam.incident_id == Incident.id)
        .where(IncidentTeam.team_id == team_id)
    )
    if not include_met:
        query = query.where(Clock.met_at.is_(None))
    rows = (await session.execute(query.order_by(Clock.due_at, Clock.kind, Clock.id))).all()
    clocks = [row[0] for row in rows]
    users = await contents.people(session, {c.owner_id for c in clocks} | {c.met_by_id for c in clocks})
    audit.record(
        session,
        actor,
        "handover.clocks.list",
        resource_type="team",
        resource_id=team_id,
        team_id=team_id,
        detail={"incident_ids": sorted({str(c.incident_id) for c in clocks})},
    )
    return {"clocks": [contents.clock_view(c, users, now, reference) for c, reference in rows]}


async def mark_met(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    *,
    note: str | None = None,
    detention_ended: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record that a clock's limit was met. Marking it again changes nothing.

    A met PACE review starts the next review (9 h after this one) unless the detention ended.
    """
    now = now or utcnow()
    if not clock.met:
        clock.met_at = now
        clock.met_by_id = actor.id
        clock.met_note = note
        clock.updated_at = now
        incident = await session.get(Incident, clock.incident_id)
        timeline.add_event(
            session,
            incident.id,
            "clock.met",
            actor_id=actor.id,
            detail={"clock_id": str(clock.id), "kind": clock.kind},
        )
        if clock.kind == "pace_review" and not detention_ended:
            held_at = min(now, clock.due_at)
            session.add(
                Clock(
                    incident_id=clock.incident_id,
                    kind=clock.kind,
                    sequence=clock.sequence + 1,
                    label=clock.label,
                    source=clock.source,
                    starts_at=held_at,
                    due_at=held_at + PACE_REVIEW_INTERVAL,
                    owner_id=clock.owner_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        audit.record(
            session,
            actor,
            "clock.met",
            resource_type="clock",
            resource_id=clock.id,
            young_person_id=incident.young_person_id,
            detail={"kind": clock.kind},
        )
        team_ids = (
            await session.execute(select(IncidentTeam.team_id).where(IncidentTeam.incident_id == incident.id))
        ).scalars()
        publish(
            session,
            LiveEvent(
                "handover.updated",
                {"clock_id": str(clock.id), "incident_id": str(incident.id)},
                Audience(team_ids=frozenset(team_ids)),
            ),
        )
        await session.flush()
    users = await contents.people(session, {clock.owner_id, clock.met_by_id})
    return contents.clock_view(clock, users, now)
