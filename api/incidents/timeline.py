"""The incident timeline and its state machine: every change is an event (who, when, what)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Row, new_row, utcnow
from api.incidents.models import STATES, Incident, IncidentState, TimelineEvent

# Forward moves along the night (STATES lists them in order, then `uncovered`), plus
# `uncovered` from a live state, and back out of `uncovered` when someone finally acknowledges.
_ORDER: list[str] = [state for state in STATES if state != IncidentState.UNCOVERED]


def event(
    incident_id: uuid.UUID,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    police_visible: bool = False,
) -> Row:
    """A new timeline event as a row, not yet written (its time is now: build events in order)."""
    return new_row(
        TimelineEvent,
        incident_id=incident_id,
        action=action,
        actor_id=actor_id,
        team_id=team_id,
        detail=detail or {},
        police_visible=police_visible,
    )


def add_event(
    session: AsyncSession,
    incident_id: uuid.UUID,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    police_visible: bool = False,
) -> TimelineEvent:
    """Append an event to the incident's timeline, in the caller's transaction."""
    row = event(
        incident_id, action, actor_id=actor_id, team_id=team_id, detail=detail, police_visible=police_visible
    )
    added = TimelineEvent(**row.values)
    session.add(added)
    return added


def can_move(current: str, target: str) -> bool:
    if current == target:
        return False
    if target == IncidentState.UNCOVERED:
        return current in {IncidentState.REPORTED, IncidentState.PAGING}
    if current == IncidentState.UNCOVERED:
        return target in {
            IncidentState.ACKNOWLEDGED,
            IncidentState.ATTENDING,
            IncidentState.SUPPORT_RECORDED,
            IncidentState.HANDED_OVER,
            IncidentState.CLOSED,
        }
    if current not in _ORDER or target not in _ORDER:
        return False
    return _ORDER.index(target) > _ORDER.index(current)


def transition(
    incident: Incident,
    target: IncidentState,
    *,
    actor_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> Row | None:
    """Move `incident` (the object) forward to `target` if that is a move forward, and return
    the event that records it as a row, not yet written; None (and no change) otherwise."""
    if not can_move(incident.state, target):
        return None
    previous = incident.state
    incident.state = target
    incident.version += 1
    incident.updated_at = utcnow()
    return event(
        incident.id,
        "state.changed",
        actor_id=actor_id,
        team_id=team_id,
        detail={"from": str(previous), "to": str(target), **(detail or {})},
        police_visible=True,
    )


def move(
    session: AsyncSession,
    incident: Incident,
    target: IncidentState,
    *,
    actor_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Move the incident forward to `target` if that is a move forward; record it.

    Returns False (and changes nothing) for a backward or repeated move, so a late or
    repeated job cannot drag an incident back.
    """
    moved = transition(incident, target, actor_id=actor_id, team_id=team_id, detail=detail)
    if moved is None:
        return False
    session.add(TimelineEvent(**moved.values))
    return True
