"""Hubs and their meetings' decisions.

A hub is a CSE or CCE team, named by its slug (`city-cce`); its coordinators and managers (by
team membership) read its pack and record decisions. Anyone else gets 403 from the route's
roles, and a coordinator or manager who is not a member gets 404, as for a hub that does not
exist. A decision's due date becomes a clock (``hub_decision``) on the child's latest incident
routed to the hub, owned by the decision's owner; the decision is done when that clock is met.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import Membership, User
from api.auth.queries import users_by_id
from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.handover.clocks import hub_decision_clock
from api.handover.models import Clock
from api.hubs.models import DECISION_LABELS, HubDecision
from api.hubs.schemas import DecisionIn
from api.hubs.weeks import Week, parse_week, week_of
from api.incidents import timeline
from api.incidents.models import Incident, IncidentTeam
from api.people.identity import same_child
from api.people.queries import young_people_by_id
from api.rota.schedule import LONDON
from api.teams.models import Area, Team

HUB_ROLES = ("coordinator", "manager")
HUB_SPECIALISMS = ("cse", "cce")
OWNER_ROLES = ("day_team", "manager")  # who can see and meet clocks (api.handover.access)
DUE_HOUR = time(17, 0)
# A withdrawn decision's clock is closed with this outcome (met_at: when, met_note: the reason);
# it never counts as met (the pack shows it withdrawn, the response report leaves it out).
WITHDRAWN = "withdrawn"
LONGEST_DUE = timedelta(days=366)
EARLIEST_YEAR = 2000  # no pack before Lantern's records (and no date arithmetic near year 1)


async def hub_for(session: AsyncSession, actor: Actor, slug: str) -> Team:
    """The hub `slug`, if the actor is one of its coordinators or managers (else 404)."""
    team = (await session.execute(select(Team).where(col(Team.slug) == slug))).scalar_one_or_none()
    if (
        team is None
        or team.specialism not in HUB_SPECIALISMS
        or not actor.has(*HUB_ROLES)
        or team.id not in actor.team_ids
    ):
        raise NotFound("No such hub.")
    return team


async def my_hubs(session: AsyncSession, actor: Actor) -> list[Team]:
    """The hubs the actor coordinates or manages (their CSE and CCE team memberships)."""
    if not actor.has(*HUB_ROLES) or not actor.team_ids:
        return []
    rows = await session.execute(
        select(Team)
        .where(col(Team.id).in_(actor.team_ids), col(Team.specialism).in_(HUB_SPECIALISMS))
        .order_by(col(Team.name), col(Team.slug))
    )
    return list(rows.scalars())


async def area_slug(session: AsyncSession, team: Team) -> str:
    return (await session.execute(select(col(Area.slug)).where(col(Area.id) == team.area_id))).scalar_one()


def week_or_422(text: str, now: datetime, field: str = "week") -> Week:
    week = parse_week(text)
    if week is None or week.year < EARLIEST_YEAR:
        raise ValidationFailed.field(field, f"an ISO week such as 2026-W49, from {EARLIEST_YEAR}")
    if week.starts_at > now:
        raise ValidationFailed.field(field, "a week that has not begun")
    return week


def due_at_of(due_on: date) -> datetime:
    return datetime.combine(due_on, DUE_HOUR, tzinfo=LONDON)


async def _latest_hub_incident(
    session: AsyncSession, team_id: uuid.UUID, young_person_id: uuid.UUID, before: datetime
) -> Incident | None:
    return (
        await session.execute(
            select(Incident)
            .join(IncidentTeam, col(IncidentTeam.incident_id) == col(Incident.id))
            .where(
                col(IncidentTeam.team_id) == team_id,
                col(Incident.young_person_id).in_(same_child(young_person_id)),
                col(Incident.occurred_at) < before,
            )
            .order_by(col(Incident.occurred_at).desc(), col(Incident.id))
            .limit(1)
        )
    ).scalar_one_or_none()


async def owners(session: AsyncSession, team: Team) -> list[dict[str, Any]]:
    """Who may own a decision: the active day-team members and managers of the hub's team."""
    rows = await session.execute(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.team_id) == team.id, col(User.active).is_(True))
        .order_by(col(User.display_name), col(User.id))
    )
    return [
        {"id": u.id, "display_name": u.display_name}
        for u in rows.scalars()
        if set(u.roles) & set(OWNER_ROLES)
    ]


async def _owner_or_422(session: AsyncSession, team: Team, owner_id: uuid.UUID) -> User:
    owner = await session.get(User, owner_id)
    member = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(col(Membership.user_id) == owner_id, col(Membership.team_id) == team.id)
    )
    if owner is None or not owner.active or not member or not set(owner.roles) & set(OWNER_ROLES):
        raise ValidationFailed.field(
            "owner_id", "must be an active day-team member or manager of this hub's team"
        )
    return owner


async def record_decision(
    session: AsyncSession, actor: Actor, team: Team, body: DecisionIn, now: datetime | None = None
) -> dict[str, Any]:
    """Record one decision of the meeting and start its owner's clock."""
    now = now or utcnow()
    week = week_or_422(body.week, now) if body.week else week_of(now)
    errors: list[dict[str, str]] = []
    incident = await _latest_hub_incident(session, team.id, body.young_person_id, min(week.ends_at, now))
    if incident is None:
        errors.append({"field": "young_person_id", "message": "has no incident routed to this hub"})
    due_at = due_at_of(body.due_on)
    if body.due_on < week.monday:
        errors.append({"field": "due_on", "message": "before the meeting's week"})
    elif due_at > now + LONGEST_DUE:
        errors.append({"field": "due_on", "message": "more than a year ahead"})
    try:
        owner = await _owner_or_422(session, team, body.owner_id)
    except ValidationFailed as problem:
        errors.extend(problem.errors or [])
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    assert incident is not None
    label = f"Hub decision: {DECISION_LABELS[body.kind]}"
    spec = hub_decision_clock(now, due_at, label)
    sequence = (
        await session.scalar(
            select(func.coalesce(func.max(col(Clock.sequence)), 0)).where(
                col(Clock.incident_id) == incident.id, col(Clock.kind) == spec.kind
            )
        )
        or 0
    ) + 1
    clock = Clock(
        incident_id=incident.id,
        kind=spec.kind,
        sequence=sequence,
        label=spec.label,
        source=spec.source,
        starts_at=spec.starts_at,
        due_at=spec.due_at,
        owner_id=owner.id,
        created_at=now,
        updated_at=now,
    )
    session.add(clock)
    await session.flush()
    decision = HubDecision(
        team_id=team.id,
        week=str(week),
        young_person_id=body.young_person_id,
        incident_id=incident.id,
        kind=body.kind,
        owner_id=owner.id,
        due_on=body.due_on,
        clock_id=clock.id,
        note=body.note,
        decided_by_id=actor.id,
        decided_at=now,
    )
    session.add(decision)
    return await _recorded(session, actor, team, decision, clock, "clock.raised", "recorded", now)


async def decisions_of(
    session: AsyncSession, team_id: uuid.UUID, *, week: str | None = None, before_week: str | None = None
) -> list[HubDecision]:
    query = select(HubDecision).where(col(HubDecision.team_id) == team_id)
    if week is not None:
        query = query.where(col(HubDecision.week) == week)
    if before_week is not None:
        # "YYYY-Www" sorts as the weeks do.
        query = query.where(col(HubDecision.week) < before_week)
    query = query.order_by(col(HubDecision.due_on), col(HubDecision.decided_at), col(HubDecision.id))
    return list((await session.execute(query)).scalars())


async def decision_views(
    session: AsyncSession,
    team: Team,
    decisions: list[HubDecision],
    *,
    as_of: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    """Decisions as answered: done when the clock was met by `as_of` (a pack's week end, or now)."""
    if not decisions:
        return []
    clocks = {
        c.id: c
        for c in (
            await session.execute(select(Clock).where(col(Clock.id).in_([d.clock_id for d in decisions])))
        ).scalars()
    }
    user_ids = (
        {d.owner_id for d in decisions}
        | {d.decided_by_id for d in decisions}
        | {c.met_by_id for c in clocks.values() if c.met_by_id is not None}
    )
    users = await users_by_id(session, user_ids)
    people = await young_people_by_id(session, {d.young_person_id for d in decisions})
    references: dict[uuid.UUID, str] = {
        incident_id: reference
        for incident_id, reference in (
            await session.execute(
                select(col(Incident.id), col(Incident.reference)).where(
                    col(Incident.id).in_({d.incident_id for d in decisions})
                )
            )
        ).all()
    }
    views = []
    for d in decisions:
        clock = clocks[d.clock_id]
        closed = clock.met_at is not None and clock.met_at <= as_of
        withdrawn = closed and clock.outcome == WITHDRAWN
        done = closed and not withdrawn
        person = people.get(d.young_person_id)
        views.append(
            {
                "id": d.id,
                "hub": team.slug,
                "week": d.week,
                "young_person_id": d.young_person_id,
                "young_person_name": f"{person.first_name} {person.last_name}" if person else "",
                "kind": d.kind,
                "kind_label": DECISION_LABELS[d.kind],
                "owner": _ref(users, d.owner_id),
                "due_on": d.due_on,
                "due_at": clock.due_at,
                "clock_id": d.clock_id,
                "incident_id": d.incident_id,
                "incident_reference": references.get(d.incident_id, ""),
                "note": d.note,
                "decided_by": _ref(users, d.decided_by_id),
                "decided_at": d.decided_at,
                "status": "withdrawn" if withdrawn else "done" if done else "outstanding",
                "done_at": clock.met_at if done else None,
                "overdue": not closed and clock.due_at < min(as_of, now),
                "withdrawn_at": clock.met_at if withdrawn else None,
                "withdrawn_by": _ref(users, clock.met_by_id) if withdrawn and clock.met_by_id else None,
                "withdrawn_reason": clock.met_note if withdrawn else None,
            }
        )
    return views


def _ref(users: dict[uuid.UUID, User], user_id: uuid.UUID) -> dict[str, Any]:
    user = users.get(user_id)
    return {"id": user_id, "display_name": user.display_name if user else ""}


async def decision_of(session: AsyncSession, team: Team, decision_id: uuid.UUID) -> HubDecision:
    decision = await session.get(HubDecision, decision_id)
    if decision is None or decision.team_id != team.id:
        raise NotFound("No such decision of this hub.")
    return decision


async def withdraw_decision(
    session: AsyncSession,
    actor: Actor,
    team: Team,
    decision: HubDecision,
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Withdraw a decision still outstanding: its clock closes as withdrawn (not met), so it
    leaves the owner's clocks and the packs show it withdrawn. Done or withdrawn already: 409."""
    now = now or utcnow()
    clock = await session.get(Clock, decision.clock_id, with_for_update=True, populate_existing=True)
    assert clock is not None, "hub_decisions.clock_id is a non-null foreign key"
    if clock.met_at is not None:
        state = "withdrawn" if clock.outcome == WITHDRAWN else "done"
        raise Conflict(f"This decision is {state} already.")
    clock.met_at = now
    clock.met_by_id = actor.id
    clock.met_note = reason
    clock.outcome = WITHDRAWN
    clock.updated_at = now
    return await _recorded(session, actor, team, decision, clock, "clock.withdrawn", "withdrawn", now)


async def _recorded(
    session: AsyncSession,
    actor: Actor,
    team: Team,
    decision: HubDecision,
    clock: Clock,
    event: str,
    action: str,
    now: datetime,
) -> dict[str, Any]:
    """A decision recorded or withdrawn: the incident's timeline event, the audit row (no note or
    reason text), and the decision as the pack shows it."""
    timeline.add_event(
        session,
        decision.incident_id,
        event,
        actor_id=actor.id,
        team_id=team.id,
        detail={"clock_id": str(clock.id), "kind": clock.kind, "hub_decision": decision.kind},
    )
    await session.flush()
    audit.record(
        session,
        actor,
        f"hub.decision.{action}",
        resource_type="hub_decision",
        resource_id=decision.id,
        young_person_id=decision.young_person_id,
        team_id=team.id,
        detail={"week": decision.week, "kind": decision.kind, "clock_id": str(clock.id)},
    )
    views = await decision_views(session, team, [decision], as_of=now, now=now)
    return views[0]
