"""The periodic pass that makes sure nothing with a time limit slips.

- At its due time (09:00) an item whose incident was responded to overnight moves the incident
  to `handed_over`.
- An item nobody picked up by 10:30 London on its due day is raised to the team's managers.
- A clock 80% through with no owner, or overdue and not met, is raised to the managers of the
  incident's teams (once for "approaching", once for "overdue").

Each raise is claimed with a conditional UPDATE, so two workers running the pass at once (or
a pass repeated after a crash) raise it once; the page job carries a dedupe key as well.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, time
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from api.events.bus import Audience, LiveEvent, publish
from api.handover.clocks import ClockSpec, clock_alert
from api.handover.models import Clock, HandoverItem, ItemState
from api.handover.transitions import record_transition
from api.incidents import timeline
from api.incidents.models import Incident, IncidentState, IncidentTeam
from api.jobs.service import enqueue
from api.rota.schedule import LONDON, require_aware

log = logging.getLogger("lantern.handover")

RAISE_UNPICKED_AT = time(10, 30)
PAGE_MANAGERS_JOB = "page.managers"
# Responded-to states that become `handed_over` at the handover; a live page (reported, paging,
# uncovered) keeps its state so boards still show it.
HANDED_OVER_FROM = (IncidentState.ACKNOWLEDGED, IncidentState.ATTENDING, IncidentState.SUPPORT_RECORDED)
# The handover clock is the item itself: raised by the 10:30 rule, not by the clock rule.
# A hub meeting's decision is reviewed at the next meeting (its pack shows it outstanding or
# overdue), never paged to the managers at night.
NOT_RAISED_AS_CLOCKS = ("handover", "hub_decision")


def raise_time(due_at: datetime) -> datetime:
    """10:30 London on the day an item is due (the due time is 09:00 London that day), in UTC."""
    day = require_aware("due_at", due_at).astimezone(LONDON).date()
    return datetime.combine(day, RAISE_UNPICKED_AT, tzinfo=LONDON).astimezone(UTC)


async def _page_managers(
    session: AsyncSession, payload: dict[str, Any], dedupe_key: str, now: datetime
) -> bool:
    return (
        await enqueue(
            session, PAGE_MANAGERS_JOB, {**payload, "urgency": "normal"}, run_at=now, dedupe_key=dedupe_key
        )
        is not None
    )


async def _hand_over(session: AsyncSession, now: datetime) -> int:
    ids = (
        (
            await session.execute(
                select(col(Incident.id))
                .join(HandoverItem, col(HandoverItem.incident_id) == col(Incident.id))
                .where(col(HandoverItem.due_at) <= now, col(Incident.state).in_(HANDED_OVER_FROM))
                .distinct()
                .order_by(col(Incident.id))  # one lock order for every pass: two passes never deadlock
            )
        )
        .scalars()
        .all()
    )
    moved = 0
    for incident_id in ids:
        incident = await session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
        assert incident is not None, "the id was read from the incidents table in this transaction"
        if incident.state in HANDED_OVER_FROM and timeline.move(session, incident, IncidentState.HANDED_OVER):
            moved += 1
            teams = (
                await session.execute(
                    select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident.id)
                )
            ).scalars()
            publish(
                session,
                LiveEvent(
                    "incident.updated",
                    {"incident_id": str(incident.id), "state": incident.state},
                    Audience(team_ids=frozenset(teams), station_ids=frozenset({incident.station_id})),
                ),
            )
    return moved


async def _raise_unpicked(session: AsyncSession, now: datetime) -> tuple[int, int]:
    candidates = (
        await session.execute(
            select(HandoverItem, col(Incident.reference))
            .join(Incident, col(Incident.id) == col(HandoverItem.incident_id))
            .where(
                col(HandoverItem.state) == ItemState.AWAITING_PICKUP,
                col(HandoverItem.escalated_at).is_(None),
                col(HandoverItem.due_at) <= now,
            )
            .order_by(col(HandoverItem.due_at), col(HandoverItem.id))
        )
    ).all()
    raised = pages = 0
    for item, reference in candidates:
        if now < raise_time(item.due_at):
            continue
        # An UPDATE's result is a CursorResult (it has a rowcount); execute() is typed as Result.
        claimed = cast(
            "CursorResult[Any]",
            await session.execute(
                update(HandoverItem)
                .where(
                    col(HandoverItem.id) == item.id,
                    col(HandoverItem.escalated_at).is_(None),
                    col(HandoverItem.state) == ItemState.AWAITING_PICKUP,
                )
                .values(escalated_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        if claimed.rowcount != 1:
            continue  # another pass got there first, or someone picked it up meanwhile
        set_committed_value(item, "escalated_at", now)
        set_committed_value(item, "updated_at", now)
        raised += 1
        record_transition(
            session,
            item,
            "escalated",
            now=now,
            history_detail={"to": "managers"},
            timeline_detail={"due_at": item.due_at.isoformat(), "reason": "not picked up by 10:30"},
        )
        pages += await _page_managers(
            session,
            {
                "reason": "handover_not_picked_up",
                "team_id": str(item.team_id),
                "incident_id": str(item.incident_id),
                "reference": reference,
                "item_id": str(item.id),
            },
            f"handover.escalated:{item.id}",
            now,
        )
    return raised, pages


async def _raise_clocks(session: AsyncSession, now: datetime) -> tuple[int, int]:
    rows = (
        await session.execute(
            select(Clock, col(Incident.reference))
            .join(Incident, col(Incident.id) == col(Clock.incident_id))
            .where(
                col(Clock.met_at).is_(None),
                col(Clock.raised_overdue_at).is_(None),
                col(Clock.kind).not_in(NOT_RAISED_AS_CLOCKS),
                col(Clock.starts_at) <= now,
            )
            .order_by(col(Clock.due_at), col(Clock.id))
        )
    ).all()
    raised = pages = 0
    for clock, reference in rows:
        spec = ClockSpec(clock.kind, clock.label, clock.starts_at, clock.due_at, clock.source)
        alert = clock_alert(spec, now, clock.owner_id is not None)
        if alert is None or (alert == "approaching" and clock.raised_approaching_at is not None):
            continue
        raised_at = "raised_overdue_at" if alert == "overdue" else "raised_approaching_at"
        claimed = cast(
            "CursorResult[Any]",
            await session.execute(
                update(Clock)
                .where(
                    col(Clock.id) == clock.id,
                    col(getattr(Clock, raised_at)).is_(None),
                    col(Clock.met_at).is_(None),
                )
                .values({raised_at: now, "updated_at": now})
                .execution_options(synchronize_session=False)
            ),
        )
        if claimed.rowcount != 1:
            continue
        set_committed_value(clock, raised_at, now)
        raised += 1
        team_ids: list[uuid.UUID] = list(
            (
                await session.execute(
                    select(col(IncidentTeam.team_id)).where(
                        col(IncidentTeam.incident_id) == clock.incident_id
                    )
                )
            ).scalars()
        )
        timeline.add_event(
            session,
            clock.incident_id,
            "clock.raised",
            detail={
                "clock_id": str(clock.id),
                "kind": clock.kind,
                "alert": alert,
                "due_at": clock.due_at.isoformat(),
                "owned": clock.owner_id is not None,
            },
        )
        publish(
            session,
            LiveEvent(
                "handover.updated",
                {"clock_id": str(clock.id), "incident_id": str(clock.incident_id), "alert": alert},
                # An incident no team took goes to every manager.
                Audience(team_ids=frozenset(team_ids), all_managers=not team_ids),
            ),
        )
        audiences: list[uuid.UUID | None] = [*team_ids] if team_ids else [None]
        for team_id in audiences:
            pages += await _page_managers(
                session,
                {
                    "reason": f"clock_{alert}",
                    "team_id": str(team_id) if team_id else None,
                    "incident_id": str(clock.incident_id),
                    "reference": reference,
                    "clock_id": str(clock.id),
                    "clock_kind": clock.kind,
                },
                f"clock.{alert}:{clock.id}:{team_id or 'all'}",
                now,
            )
    return raised, pages


async def raise_due(session: AsyncSession, now: datetime) -> dict[str, int]:
    """One pass at instant `now`; idempotent. Returns what it did (counts, no personal data)."""
    now = require_aware("now", now)
    handed_over = await _hand_over(session, now)
    items_raised, item_pages = await _raise_unpicked(session, now)
    clocks_raised, clock_pages = await _raise_clocks(session, now)
    await session.flush()
    result = {
        "handed_over": handed_over,
        "items_raised": items_raised,
        "clocks_raised": clocks_raised,
        "pages_enqueued": item_pages + clock_pages,
    }
    if any(result.values()):
        log.info("handover pass", extra=result)
    return result
