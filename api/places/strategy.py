"""Strategy meetings about a place: recorded by managers and hub coordinators whose teams cover
the place's area (as merges and retirements are), audited like place changes; nothing deleted.

The review date is a clock of kind `strategy_review` built by the clock rules
(`api.handover.clocks.strategy_review_clock`, `clock_alert`): due at the end of the review
day (London), met when the next strategy meeting about the place is recorded, or marked met.
It is kept on the meeting row, not in `clocks` (whose rows belong to an incident), and is
shown to the hub coordinators and managers of the place's area (`review_clocks`), on the
place's profile, and among their own clocks (`my_review_clocks`, with the owners of the meeting's
open actions; `GET /me/clocks`). Never raised to managers by the handover's pass (it reads only
`clocks`): like a hub decision, a review is followed up at the next meeting, not paged at night.
Attendees' names and the free text never go into an audit detail or a log.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.queries import display_names, users_by_id
from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.handover.clocks import ClockSpec, clock_alert, strategy_review_clock
from api.places.models import Place, StrategyAction, StrategyMeeting
from api.places.service import CASE_ROLES, STEWARD_ROLES, actor_area_ids, readable_place
from api.places.strategy_schemas import (
    AttendeeOut,
    OwnerRef,
    PlaceStrategy,
    ReviewClockOut,
    StrategyActionOut,
    StrategyMeetingIn,
    StrategyMeetingOut,
)
from api.rota.schedule import LONDON

MET_BY_NEXT_MEETING = "Reviewed at the next strategy meeting about the place"


def _today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def _spec(meeting: StrategyMeeting) -> ClockSpec:
    spec = strategy_review_clock(meeting.review_starts_at, meeting.review_on)
    # The due time is stored; the rules give the label and source.
    return ClockSpec(spec.kind, spec.label, meeting.review_starts_at, meeting.review_due_at, spec.source)


def review_out(meeting: StrategyMeeting, place_name: str, now: datetime) -> ReviewClockOut:
    spec = _spec(meeting)
    met = meeting.review_met_at is not None
    alert = clock_alert(spec, now, has_owner=False, met=met)
    return ReviewClockOut(
        meeting_id=meeting.id,
        place_id=meeting.place_id,
        place_name=place_name,
        label=spec.label,
        source=spec.source,
        review_on=meeting.review_on,
        starts_at=spec.starts_at,
        due_at=spec.due_at,
        met=met,
        met_at=meeting.review_met_at,
        status="met" if met else alert or "open",
    )


def action_out(action: StrategyAction, names: dict[uuid.UUID, str], now: datetime) -> StrategyActionOut:
    owner = (
        OwnerRef(user_id=action.owner_user_id, name=names.get(action.owner_user_id, "A colleague"))
        if action.owner_user_id is not None
        else OwnerRef(name=action.owner_text or "")
    )
    return StrategyActionOut(
        id=action.id,
        meeting_id=action.meeting_id,
        place_id=action.place_id,
        kind=action.kind,
        description=action.description,
        owner=owner,
        due_on=action.due_on,
        status=action.status,
        done_at=action.done_at,
        overdue=action.status == "open" and action.due_on is not None and action.due_on < _today(now),
    )


async def owner_names(session: AsyncSession, action: StrategyAction) -> dict[uuid.UUID, str]:
    return await display_names(session, {action.owner_user_id})


async def _check_owners(session: AsyncSession, body: StrategyMeetingIn) -> None:
    errors: list[dict[str, str]] = []
    wanted = {a.owner_user_id for a in body.actions if a.owner_user_id is not None}
    users = await users_by_id(session, wanted)
    for n, action in enumerate(body.actions):
        if (action.owner_user_id is None) == (action.owner is None):
            errors.append(
                {"field": f"actions.{n}.owner", "message": "give the owner as owner_user_id or as owner text"}
            )
        elif action.owner_user_id is not None:
            user = users.get(action.owner_user_id)
            if user is None or not user.active or not set(user.roles) & set(CASE_ROLES):
                errors.append({"field": f"actions.{n}.owner_user_id", "message": "no such colleague"})
        if action.due_on is not None and action.due_on < body.held_on:
            errors.append({"field": f"actions.{n}.due_on", "message": "must not be before held_on"})
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)


async def record_meeting(
    session: AsyncSession,
    actor: Actor,
    place: Place,
    body: StrategyMeetingIn,
    *,
    now: datetime | None = None,
) -> StrategyMeeting:
    """Record a meeting about `place` with its actions; its review date starts a clock, and
    the review clocks of earlier meetings about the place still open are met by this one."""
    now = now or utcnow()
    if not actor.has(*STEWARD_ROLES):
        raise NotFound("No such place.")
    if place.merged_into_id is not None:
        raise Conflict("This place was merged: record the meeting at the place it was merged into.")
    if body.held_on > _today(now):
        raise ValidationFailed.field("held_on", "must not be in the future")
    if body.review_on <= body.held_on:
        raise ValidationFailed.field("review_on", "must be after held_on")
    await _check_owners(session, body)
    earlier = list(
        (
            await session.execute(
                select(StrategyMeeting).where(
                    col(StrategyMeeting.place_id) == place.id, col(StrategyMeeting.review_met_at).is_(None)
                )
            )
        ).scalars()
    )
    for previous in earlier:
        previous.review_met_at = now
        previous.review_met_by_id = actor.id
        previous.review_met_note = MET_BY_NEXT_MEETING
    spec = strategy_review_clock(now, body.review_on)
    meeting = StrategyMeeting(
        place_id=place.id,
        held_on=body.held_on,
        attendees=[{"name": a.name, "agency": a.agency} for a in body.attendees],
        concerns=body.concerns,
        review_on=body.review_on,
        review_starts_at=spec.starts_at,
        review_due_at=spec.due_at,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    for n, item in enumerate(body.actions):
        session.add(
            StrategyAction(
                meeting_id=meeting.id,
                place_id=place.id,
                position=n,
                kind=item.kind,
                description=item.description,
                owner_user_id=item.owner_user_id,
                owner_text=item.owner,
                due_on=item.due_on,
                created_at=now,
            )
        )
    await session.flush()
    audit.record(
        session,
        actor,
        "place.strategy_meeting.create",
        resource_type="place",
        resource_id=place.id,
        detail={
            "meeting": str(meeting.id),
            "actions": len(body.actions),
            "attendees": len(body.attendees),
            "review_on": body.review_on.isoformat(),
            "reviews_met": [str(m.id) for m in earlier],
        },
    )
    return meeting


async def meetings_of(session: AsyncSession, place: Place) -> list[StrategyMeeting]:
    return list(
        (
            await session.execute(
                select(StrategyMeeting)
                .where(col(StrategyMeeting.place_id) == place.id)
                .order_by(col(StrategyMeeting.held_on).desc(), col(StrategyMeeting.created_at).desc())
            )
        ).scalars()
    )


async def list_meetings(session: AsyncSession, actor: Actor, place: Place) -> list[StrategyMeeting]:
    """The place's meetings, latest first (a read of professionals' names: audited)."""
    meetings = await meetings_of(session, place)
    audit.record(
        session,
        actor,
        "place.strategy_meeting.list",
        resource_type="place",
        resource_id=place.id,
        detail={"meetings": len(meetings)},
    )
    return meetings


async def _actions(session: AsyncSession, *conditions) -> list[StrategyAction]:
    return list(
        (
            await session.execute(
                select(StrategyAction)
                .where(*conditions)
                .order_by(
                    col(StrategyAction.due_on).is_(None),
                    col(StrategyAction.due_on),
                    col(StrategyAction.created_at),
                    col(StrategyAction.position),
                )
            )
        ).scalars()
    )


async def meetings_out(
    session: AsyncSession, place: Place, meetings: list[StrategyMeeting], *, now: datetime | None = None
) -> list[StrategyMeetingOut]:
    now = now or utcnow()
    ids = [m.id for m in meetings]
    actions = await _actions(session, col(StrategyAction.meeting_id).in_(ids)) if ids else []
    names = await display_names(session, {a.owner_user_id for a in actions})
    by_meeting: dict[uuid.UUID, list[StrategyActionOut]] = {}
    for action in sorted(actions, key=lambda a: a.position):
        by_meeting.setdefault(action.meeting_id, []).append(action_out(action, names, now))
    return [
        StrategyMeetingOut(
            id=m.id,
            place_id=m.place_id,
            held_on=m.held_on,
            attendees=[AttendeeOut(name=a.get("name", ""), agency=a.get("agency", "")) for a in m.attendees],
            concerns=m.concerns,
            actions=by_meeting.get(m.id, []),
            review=review_out(m, place.name, now),
            created_at=m.created_at,
        )
        for m in meetings
    ]


async def place_strategy(
    session: AsyncSession, place: Place, *, now: datetime | None = None
) -> PlaceStrategy:
    """The place's open actions (soonest due first) and the open review clock due soonest."""
    now = now or utcnow()
    open_actions = await _actions(
        session, col(StrategyAction.place_id) == place.id, col(StrategyAction.status) == "open"
    )
    names = await display_names(session, {a.owner_user_id for a in open_actions})
    meetings = await meetings_of(session, place)
    pending = sorted((m for m in meetings if m.review_met_at is None), key=lambda m: m.review_due_at)
    return PlaceStrategy(
        open_actions=[action_out(a, names, now) for a in open_actions],
        next_review=review_out(pending[0], place.name, now) if pending else None,
        meetings=len(meetings),
    )


async def writable_action(
    session: AsyncSession, actor: Actor, place: Place, action_id: uuid.UUID
) -> StrategyAction:
    action = await session.get(StrategyAction, action_id)
    if action is None or action.place_id != place.id:
        raise NotFound("No such action at this place.")
    return action


async def set_action_status(
    session: AsyncSession, actor: Actor, action: StrategyAction, status: str, *, now: datetime | None = None
) -> StrategyAction:
    """Mark an action done (or open again); setting the status it has changes nothing."""
    now = now or utcnow()
    if action.status == status:
        return action
    action.status = status
    action.done_at = now if status == "done" else None
    action.done_by_id = actor.id if status == "done" else None
    await session.flush()
    audit.record(
        session,
        actor,
        "place.strategy_action.update",
        resource_type="place",
        resource_id=action.place_id,
        detail={"action": str(action.id), "meeting": str(action.meeting_id), "status": status},
    )
    return action


async def readable_meeting(session: AsyncSession, actor: Actor, meeting_id: uuid.UUID) -> StrategyMeeting:
    meeting = await session.get(StrategyMeeting, meeting_id)
    if meeting is None:
        raise NotFound("No such strategy meeting.")
    await readable_place(session, actor, meeting.place_id)
    return meeting


async def mark_review_met(
    session: AsyncSession,
    actor: Actor,
    meeting: StrategyMeeting,
    note: str | None,
    *,
    now: datetime | None = None,
) -> StrategyMeeting:
    """Record that the review was held (marking it again changes nothing)."""
    if meeting.review_met_at is None:
        meeting.review_met_at = now or utcnow()
        meeting.review_met_by_id = actor.id
        meeting.review_met_note = note
        await session.flush()
        audit.record(
            session,
            actor,
            "place.strategy_review.met",
            resource_type="place",
            resource_id=meeting.place_id,
            detail={"meeting": str(meeting.id)},
        )
    return meeting


async def review_clocks(
    session: AsyncSession, actor: Actor, *, include_met: bool = False, now: datetime | None = None
) -> list[ReviewClockOut]:
    """The review clocks of the places in the actor's areas, soonest due first: the hub
    coordinators' and managers' queue of strategy reviews."""
    now = now or utcnow()
    areas = await actor_area_ids(session, actor)
    query = (
        select(StrategyMeeting, col(Place.name))
        .join(Place, col(Place.id) == col(StrategyMeeting.place_id))
        .where(col(Place.area_id).is_(None) | col(Place.area_id).in_(areas))
    )
    if not include_met:
        query = query.where(col(StrategyMeeting.review_met_at).is_(None))
    rows = (await session.execute(query.order_by(col(StrategyMeeting.review_due_at)))).all()
    audit.record(session, actor, "place.strategy_review.list", detail={"clocks": len(rows)})
    return [review_out(meeting, name, now) for meeting, name in rows]


async def my_review_clocks(
    session: AsyncSession, actor: Actor, *, now: datetime | None = None
) -> list[ReviewClockOut]:
    """The open review clocks among the actor's own clocks, soonest due first: of the places in
    their teams' areas when they are a hub coordinator or manager, and of the meetings that gave
    them an action still open (whatever their role)."""
    now = now or utcnow()
    owned = select(col(StrategyAction.meeting_id)).where(
        col(StrategyAction.owner_user_id) == actor.id, col(StrategyAction.status) == "open"
    )
    mine: list[ColumnElement[bool]] = [col(StrategyMeeting.id).in_(owned)]
    if actor.has(*STEWARD_ROLES):
        areas = await actor_area_ids(session, actor)
        mine.append(col(Place.area_id).is_(None) | col(Place.area_id).in_(areas))
    rows = (
        await session.execute(
            select(StrategyMeeting, col(Place.name))
            .join(Place, col(Place.id) == col(StrategyMeeting.place_id))
            .where(col(StrategyMeeting.review_met_at).is_(None), or_(*mine))
            .order_by(col(StrategyMeeting.review_due_at), col(StrategyMeeting.id))
        )
    ).all()
    audit.record(session, actor, "place.strategy_review.mine", detail={"clocks": len(rows)})
    return [review_out(meeting, name, now) for meeting, name in rows]
