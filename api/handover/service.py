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
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.auth.queries import users_by_id
from api.db import Row, new_row, utcnow
from api.errors import Conflict, Forbidden, ValidationFailed
from api.events.bus import Audience, LiveEvent, publish
from api.handover import contents, nrm
from api.handover.access import HANDOVER_ROLES
from api.handover.clocks import (
    PACE_REVIEW_INTERVAL,
    ClockFacts,
    IncidentKind,
    clocks_for,
    closure_problems,
    due_before_handover,
    next_handover,
)
from api.handover.models import OPEN_ITEM_STATES, Clock, HandoverItem, ItemState
from api.handover.raising import raise_due  # noqa: F401  (exported for the worker)
from api.handover.schemas import CloseOut, PersonRef, PickupOut, ReassignOut
from api.handover.transitions import record_transition
from api.incidents import timeline
from api.incidents.models import Incident, IncidentIndicator, IncidentState, IncidentTeam, TimelineEvent
from api.jobs.service import NewJob, enqueue_many
from api.paging.alerts import ALERT_JOB
from api.people.identity import same_child
from api.people.models import YoungPerson
from api.people.service import age_on
from api.rota.hours import handover_due
from api.teams.models import Membership, Team
from api.triage.rules import SEXUAL_ASSAULT, is_adult

MISSING_WINDOW = timedelta(days=30)
BEFORE_HANDOVER_REASON = "clock_due_before_handover"
STEP_FUTURE_TOLERANCE = timedelta(minutes=10)


# --- Created at triage ---------------------------------------------------------------------


async def missing_episodes_30d(session: AsyncSession, incident: Incident) -> int:
    """Missing episodes of the incident's young person in the 30 days up to it, this one included,
    over every record of the child (confirmed matches)."""
    earlier = (
        await session.execute(
            select(func.count())
            .select_from(Incident)
            .where(
                col(Incident.young_person_id).in_(same_child(incident.young_person_id)),
                col(Incident.was_missing).is_(True),
                col(Incident.id) != incident.id,
                col(Incident.occurred_at) > incident.occurred_at - MISSING_WINDOW,
                col(Incident.occurred_at) <= incident.occurred_at,
            )
            # Intake calls this before its rows are written (they go in one statement per table),
            # so they are left for one flush at the end.
            .execution_options(autoflush=False)
        )
    ).scalar_one()
    return earlier + (1 if incident.was_missing or incident.kind == "missing_return" else 0)


def facts_of(
    incident: Incident, *, missing_episodes_30d: int, adult: bool, sexual_assault: bool, now: datetime
) -> ClockFacts:
    """The facts the clocks start from (pure: the caller gathers what is not on the incident)."""
    return ClockFacts(
        # The request schema admits only these kinds; the column is a plain string.
        kind=cast(IncidentKind, incident.kind),
        occurred_at=incident.occurred_at,
        police_protection_started_at=incident.police_protection_started_at,
        detained_at=incident.detained_at,
        charged=incident.charged,
        bail_refused=incident.bail_refused,
        missing_episodes_30d=missing_episodes_30d,
        now=now,
        was_missing=bool(incident.was_missing),
        custody_status=(incident.custody or {}).get("status"),
        returned_home_at=incident.returned_home_at,
        released_at=incident.released_at,
        charged_at=incident.charged_at,
        adult=adult,
        sexual_assault=sexual_assault,
        assault_at=incident.assault_at,
        reported_at=incident.reported_at,
    )


async def clock_facts(session: AsyncSession, incident: Incident, now: datetime) -> ClockFacts:
    """The same facts for an incident that exists, read from its young person and indicators."""
    person = await session.get(YoungPerson, incident.young_person_id)
    dob = person.date_of_birth if person else None
    age = age_on(dob, incident.occurred_at.date()) if dob else None
    assault = (
        await session.execute(
            select(col(IncidentIndicator.id))
            .where(
                col(IncidentIndicator.incident_id) == incident.id,
                col(IncidentIndicator.code) == SEXUAL_ASSAULT,
            )
            .limit(1)
        )
    ).first()
    return facts_of(
        incident,
        missing_episodes_30d=await missing_episodes_30d(session, incident),
        adult=is_adult(age, dob is not None),
        sexual_assault=assault is not None,
        now=now,
    )


@dataclass
class HandoverPlan:
    """Rows to write for an incident's handover: items, clocks and their timeline events, and
    the managers' alerts for clocks due before the next handover (jobs)."""

    items: list[Row] = field(default_factory=list)
    clocks: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    alerts: list[NewJob] = field(default_factory=list)


def plan_handover(
    incident: Incident,
    team_ids: list[uuid.UUID],
    *,
    facts: ClockFacts,
    now: datetime,
    queued: frozenset[uuid.UUID] = frozenset(),
    started: frozenset[str] = frozenset(),
) -> HandoverPlan:
    """A handover item per team not in `queued`, and the clocks (by kind) not in `started`.

    Items are due at the end of the out-of-hours window the incident happened in (09:00
    London, next working day). Any new clock that falls due before the next handover (bank
    holidays known) pages the managers of the incident's teams (every manager when no team
    took it) at high urgency, naming the clock and its due time: nobody on the day team could
    act on it in time. The alert carries no personal data.
    """
    plan = HandoverPlan()
    due = handover_due(incident.occurred_at)
    teams = list(dict.fromkeys(team_ids))
    for team_id in teams:
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
    new = [spec for spec in clocks_for(facts) if spec.kind not in started]
    rows: dict[str, Row] = {
        spec.kind: new_row(
            Clock,
            incident_id=incident.id,
            kind=spec.kind,
            label=spec.label,
            source=spec.source,
            starts_at=spec.starts_at,
            due_at=spec.due_at,
            met_at=spec.met_at,
            met_by_id=incident.reporter_id if spec.met_at else None,
            met_note=spec.met_note,
            created_at=now,
            updated_at=now,
        )
        for spec in new
    }
    plan.clocks = list(rows.values())
    if new:
        plan.events.append(
            timeline.event(
                incident.id,
                "clocks.started",
                detail={"clocks": [{"kind": s.kind, "due_at": s.due_at.isoformat()} for s in new]},
            )
        )
    for spec in due_before_handover(new, next_handover(now)):
        clock_id = rows[spec.kind]["id"]
        plan.events.append(
            timeline.event(
                incident.id,
                "clock.due_before_handover",
                detail={
                    "clock_id": str(clock_id),
                    "kind": spec.kind,
                    "alert": "due_before_handover",
                    "due_at": spec.due_at.isoformat(),
                    "owned": False,
                },
            )
        )
        audiences: list[uuid.UUID | None] = [*teams] if teams else [None]
        for alerted in audiences:
            plan.alerts.append(
                NewJob(
                    ALERT_JOB,
                    {
                        "reason": BEFORE_HANDOVER_REASON,
                        "urgency": "high",
                        "team_id": str(alerted) if alerted else None,
                        "incident_id": str(incident.id),
                        "reference": incident.reference,
                        "clock_id": str(clock_id),
                        "clock_kind": spec.kind,
                        "due_at": spec.due_at.isoformat(),
                    },
                    run_at=now,
                    dedupe_key=f"clock.before_handover:{clock_id}:{alerted or 'all'}",
                )
            )
    return plan


async def on_incident_triaged(
    session: AsyncSession, incident: Incident, team_ids: list[uuid.UUID], *, now: datetime | None = None
) -> None:
    """Queue a handover item for each routed team and start the incident's clocks, in the
    caller's transaction (after the incident is flushed), for an incident that exists (intake
    writes a new one's through `plan_handover`). Calling it again is harmless: existing items
    and clocks are kept."""
    now = now or utcnow()
    queued = (
        await session.execute(
            select(col(HandoverItem.team_id)).where(col(HandoverItem.incident_id) == incident.id)
        )
    ).scalars()
    started = (
        await session.execute(select(col(Clock.kind)).where(col(Clock.incident_id) == incident.id))
    ).scalars()
    plan = plan_handover(
        incident,
        team_ids,
        facts=await clock_facts(session, incident, now),
        now=now,
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
    await enqueue_many(session, plan.alerts)
    await session.flush()


# --- Reading the queue ---------------------------------------------------------------------


async def team_for(session: AsyncSession, actor: Actor, slug: str) -> Team:
    team = (await session.execute(select(Team).where(col(Team.slug) == slug))).scalar_one_or_none()
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
        .join(Incident, col(Incident.id) == col(HandoverItem.incident_id))
        .where(col(HandoverItem.team_id).in_(team_ids))
    )
    query = (
        query.where(col(HandoverItem.state) == state)
        if state
        else query.where(col(HandoverItem.state).in_(OPEN_ITEM_STATES))
    )
    query = query.order_by(
        col(Incident.priority), col(Incident.occurred_at), col(HandoverItem.created_at), col(HandoverItem.id)
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


def _person(users: dict[uuid.UUID, User], user_id: uuid.UUID | None) -> PersonRef | None:
    return PersonRef(id=user_id, display_name=contents.display_name(users, user_id)) if user_id else None


def _owner_answer(item: HandoverItem, users: dict[uuid.UUID, User]) -> PickupOut:
    """The answer to a pick-up; reassigning and closing answer with its fields and more."""
    return PickupOut(
        id=item.id, state=item.state, owner=_person(users, item.owner_id), picked_up_at=item.picked_up_at
    )


async def _record_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    item: HandoverItem,
    incident: Incident,
    *,
    incident_moved: bool,
) -> None:
    """Audit a change to an item and tell the live boards if the incident moved (the item's own
    live event is `record_transition`'s)."""
    audit.record(
        session,
        actor,
        action,
        resource_type="handover_item",
        resource_id=item.id,
        young_person_id=incident.young_person_id,
        team_id=item.team_id,
    )
    if incident_moved:
        await _publish_incident(session, incident)


async def _locked_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    incident = await session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    assert incident is not None, "handover_items.incident_id is a non-null foreign key"
    return incident


def _may_act_on(actor: Actor, item: HandoverItem) -> bool:
    return item.owner_id == actor.id or actor.has("manager")


async def _publish_incident(session: AsyncSession, incident: Incident) -> None:
    team_ids = (
        await session.execute(
            select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident.id)
        )
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
) -> PickupOut:
    """The actor takes the item: they own it and the incident's unowned clocks from now on.

    A second pick-up by someone else is a 409 naming the owner (nothing changes); the same
    person picking up again gets the same answer (a double tap is not an error).
    """
    now = now or utcnow()
    if item.state == ItemState.PICKED_UP:
        users = await users_by_id(session, {item.owner_id})
        if item.owner_id == actor.id:
            return _owner_answer(item, users)
        owner = contents.person_ref(users, item.owner_id)
        assert owner is not None and item.picked_up_at is not None, "a picked-up item has an owner and a time"
        raise Conflict(
            f"Already picked up by {owner['display_name']} at {item.picked_up_at.isoformat()}.",
            extra={"owner": owner, "picked_up_at": contents.iso(item.picked_up_at)},
        )
    if item.state == ItemState.CLOSED:
        raise Conflict("This item is closed.", extra={"state": item.state})
    # The item is locked (by the route); the incident next, in that order for every change.
    incident = await _locked_incident(session, item.incident_id)
    item.state = ItemState.PICKED_UP
    item.owner_id = actor.id
    item.picked_up_at = now
    record_transition(session, item, "picked_up", now=now, actor_id=actor.id, to_user_id=actor.id)
    moved = timeline.move(session, incident, IncidentState.PICKED_UP, actor_id=actor.id, team_id=item.team_id)
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


async def assignees(session: AsyncSession, item: HandoverItem) -> list[PersonRef]:
    """Who the item may be reassigned to: active day-team members and managers of its team, by
    name, without its owner (the same rule `reassign` enforces)."""
    rows = await session.execute(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.team_id) == item.team_id, col(User.active).is_(True))
        .order_by(col(User.display_name))
    )
    return [
        PersonRef(id=user.id, display_name=user.display_name)
        for user in rows.scalars()
        if set(user.roles) & set(HANDOVER_ROLES) and user.id != item.owner_id
    ]


async def reassign(
    session: AsyncSession, actor: Actor, item: HandoverItem, user_id: uuid.UUID, now: datetime | None = None
) -> ReassignOut:
    """Hand a picked-up item to a colleague of the same team (the owner or a manager may)."""
    now = now or utcnow()
    if item.state != ItemState.PICKED_UP:
        message = (
            "This item is closed."
            if item.state == ItemState.CLOSED
            else "Pick the item up before reassigning it."
        )
        raise Conflict(message, extra={"state": item.state})
    if not _may_act_on(actor, item):
        raise Forbidden("Only the owner or a manager of the team may reassign this item.")
    target = await session.get(User, user_id)
    member = (
        await session.execute(
            select(col(Membership.id)).where(
                col(Membership.user_id) == user_id, col(Membership.team_id) == item.team_id
            )
        )
    ).first()
    if target is None or not target.active or member is None or not set(target.roles) & set(HANDOVER_ROLES):
        raise ValidationFailed.field("user_id", "not a day-team member or manager of this item's team")
    if target.id == item.owner_id:
        raise ValidationFailed.field("user_id", "already the owner")
    previous = item.owner_id
    item.owner_id = target.id
    incident = await session.get(Incident, item.incident_id)
    assert incident is not None, "handover_items.incident_id is a non-null foreign key"
    record_transition(
        session,
        item,
        "reassigned",
        now=now,
        actor_id=actor.id,
        from_user_id=previous,
        to_user_id=target.id,
        timeline_detail={"from_user_id": str(previous), "to_user_id": str(target.id)},
        notify=frozenset({target.id}),
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
    await session.flush()
    users = await users_by_id(session, {item.owner_id, previous})
    return ReassignOut(
        **_owner_answer(item, users).model_dump(), previous_owner=_person(users, previous), reassigned_at=now
    )


async def close(
    session: AsyncSession, actor: Actor, item: HandoverItem, note: str, now: datetime | None = None
) -> CloseOut:
    """Close a picked-up item with a note; the incident closes when all its items are closed."""
    now = now or utcnow()
    if item.state == ItemState.CLOSED:
        raise Conflict("This item is already closed.", extra={"closed_at": contents.iso(item.closed_at)})
    if item.state != ItemState.PICKED_UP:
        raise Conflict("Pick the item up before closing it.", extra={"state": item.state})
    if not _may_act_on(actor, item):
        raise Forbidden("Only the owner or a manager of the team may close this item.")
    await nrm.require_decision(session, item.incident_id)
    incident = await _locked_incident(session, item.incident_id)
    item.state = ItemState.CLOSED
    item.closing_note = note
    item.closed_at = now
    item.closed_by_id = actor.id
    # The note is case content: it stays on the item, not in the timeline's detail.
    record_transition(session, item, "closed", now=now, actor_id=actor.id)
    await session.flush()
    still_open = (
        await session.execute(
            select(col(HandoverItem.id)).where(
                col(HandoverItem.incident_id) == incident.id, col(HandoverItem.state) != ItemState.CLOSED
            )
        )
    ).first()
    moved = still_open is None and timeline.move(
        session, incident, IncidentState.CLOSED, actor_id=actor.id, team_id=item.team_id
    )
    await _record_change(session, actor, "handover.close", item, incident, incident_moved=moved)
    users = await users_by_id(session, {item.owner_id, actor.id})
    return CloseOut(
        **_owner_answer(item, users).model_dump(),
        closed_at=now,
        closed_by=_person(users, actor.id),
        closing_note=note,
    )


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
        select(Clock, col(Incident.reference), col(Incident.young_person_id))
        .join(Incident, col(Incident.id) == col(Clock.incident_id))
        .join(IncidentTeam, col(IncidentTeam.incident_id) == col(Incident.id))
        .where(col(IncidentTeam.team_id) == team_id)
    )
    if not include_met:
        query = query.where(col(Clock.met_at).is_(None))
    rows = (await session.execute(query.order_by(col(Clock.due_at), col(Clock.kind), col(Clock.id)))).all()
    clocks = [row[0] for row in rows]
    users = await users_by_id(session, {c.owner_id for c in clocks} | {c.met_by_id for c in clocks})
    audit.record(
        session,
        actor,
        "handover.clocks.list",
        resource_type="team",
        resource_id=team_id,
        team_id=team_id,
        detail={"incident_ids": sorted({str(c.incident_id) for c in clocks})},
        subjects=[row[2] for row in rows],
    )
    return {"clocks": [contents.clock_view(c, users, now, reference) for c, reference, _ in rows]}


async def my_clocks(session: AsyncSession, actor: Actor, *, now: datetime | None = None) -> dict[str, Any]:
    """The open clocks the actor owns on their teams' incidents, soonest due first: the clocks
    of items they picked up, and the decisions a hub meeting gave them (``hub_decision``)."""
    now = now or utcnow()
    routed = select(col(IncidentTeam.incident_id)).where(col(IncidentTeam.team_id).in_(actor.team_ids))
    rows = (
        await session.execute(
            select(Clock, col(Incident.reference), col(Incident.young_person_id))
            .join(Incident, col(Incident.id) == col(Clock.incident_id))
            .where(
                col(Clock.owner_id) == actor.id,
                col(Clock.met_at).is_(None),
                col(Clock.incident_id).in_(routed),
            )
            .order_by(col(Clock.due_at), col(Clock.kind), col(Clock.id))
        )
    ).all()
    clocks = [row[0] for row in rows]
    users = await users_by_id(session, {actor.id})
    audit.record(
        session,
        actor,
        "handover.clocks.mine",
        resource_type="user",
        resource_id=actor.id,
        detail={"incident_ids": sorted({str(c.incident_id) for c in clocks})},
        subjects=[row[2] for row in rows],
    )
    return {"clocks": [contents.clock_view(c, users, now, reference) for c, reference, _ in rows]}


def _check_closure(clock: Clock, **fields: Any) -> None:
    problems = closure_problems(clock.kind, **fields)
    if problems:
        errors = [{"field": field, "message": message} for field, message in problems]
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)


async def mark_met(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    *,
    note: str | None = None,
    detention_ended: bool = False,
    outcome: str | None = None,
    ground: str | None = None,
    by: str | None = None,
    independent: bool | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record that a clock's limit was met. Marking it again changes nothing.

    Some clocks close only with an outcome from a fixed list (``api.handover.clocks.OUTCOMES``):
    the return home interview (completed, naming who and whether independent; or declined by
    the child), the s38(6) action (a certificate of impracticability needs a permitted ground:
    "no accommodation available" is refused) and the s47 outcome. Anything else is a 422
    naming the field. A met PACE review (rows from before PACE reviews became information)
    starts the next review (9 h after this one) unless the detention ended.
    """
    now = now or utcnow()
    if not clock.met:
        _check_closure(clock, outcome=outcome, ground=ground, by=by, independent=independent)
        clock.met_at = now
        clock.met_by_id = actor.id
        clock.met_note = note
        clock.outcome = outcome
        closing = {
            k: v for k, v in {"ground": ground, "by": by, "independent": independent}.items() if v is not None
        }
        if clock.kind == "rhi_72h" and outcome is not None:
            closing = {"step": outcome, "at": now.isoformat(), "recorded_by_id": str(actor.id), **closing}
            clock.detail = {
                **(clock.detail or {}),
                "steps": [*(clock.detail or {}).get("steps", []), closing],
            }
        elif closing:
            clock.detail = {**(clock.detail or {}), **closing}
        clock.updated_at = now
        incident = await session.get(Incident, clock.incident_id)
        assert incident is not None, "clocks.incident_id is a non-null foreign key"
        timeline.add_event(
            session,
            incident.id,
            "clock.met",
            actor_id=actor.id,
            detail={"clock_id": str(clock.id), "kind": clock.kind, "outcome": outcome, "ground": ground},
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
            detail={"kind": clock.kind, "outcome": outcome},
        )
        await _publish_clock(session, clock, incident)
        await session.flush()
    users = await users_by_id(session, {clock.owner_id, clock.met_by_id})
    return contents.clock_view(clock, users, now)


async def _publish_clock(session: AsyncSession, clock: Clock, incident: Incident) -> None:
    team_ids = (
        await session.execute(
            select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident.id)
        )
    ).scalars()
    publish(
        session,
        LiveEvent(
            "handover.updated",
            {"clock_id": str(clock.id), "incident_id": str(incident.id)},
            Audience(team_ids=frozenset(team_ids)),
        ),
    )


async def record_rhi_step(
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    *,
    step: str,
    at: datetime | None = None,
    by: str | None = None,
    independent: bool | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a step of the return home interview: offered, accepted, declined or completed.

    Offered and accepted are kept on the clock (with who and when) and leave it open; declined
    (by the child) and completed (naming who carried it out and whether they are independent of
    the child's care) close it. A closed interview takes no further step (409).
    """
    now = now or utcnow()
    if clock.kind != "rhi_72h":
        raise ValidationFailed.field("clock_id", "not a return home interview clock")
    if at is not None and at > now + STEP_FUTURE_TOLERANCE:
        raise ValidationFailed.field("at", "more than 10 minutes in the future")
    if step in {"declined", "completed"}:
        if clock.met:
            raise Conflict("The return home interview is already closed.", extra={"outcome": clock.outcome})
        return await mark_met(
            session, actor, clock, note=note, outcome=step, by=by, independent=independent, now=at or now
        )
    if clock.met:
        raise Conflict("The return home interview is already closed.", extra={"outcome": clock.outcome})
    entry: dict[str, Any] = {"step": step, "at": (at or now).isoformat(), "recorded_by_id": str(actor.id)}
    if by:
        entry["by"] = by
    if independent is not None:
        entry["independent"] = independent
    clock.detail = {**(clock.detail or {}), "steps": [*(clock.detail or {}).get("steps", []), entry]}
    clock.updated_at = now
    incident = await session.get(Incident, clock.incident_id)
    assert incident is not None, "clocks.incident_id is a non-null foreign key"
    timeline.add_event(
        session,
        incident.id,
        "clock.step",
        actor_id=actor.id,
        detail={"clock_id": str(clock.id), "kind": clock.kind, "step": step},
    )
    audit.record(
        session,
        actor,
        "clock.step",
        resource_type="clock",
        resource_id=clock.id,
        young_person_id=incident.young_person_id,
        detail={"kind": clock.kind, "step": step},
    )
    await _publish_clock(session, clock, incident)
    await session.flush()
    users = await users_by_id(session, {clock.owner_id, clock.met_by_id})
    return contents.clock_view(clock, users, now)
