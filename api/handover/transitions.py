"""The one way a handover item changes: version, item history, incident timeline, live event.

Pick-up, reassignment, closing (api.handover.service) and raising to the managers
(api.handover.raising) all call `record_transition` after setting the item's own fields, so
every change bumps the version once, appends one `HandoverEvent`, one `handover.<action>`
timeline event and publishes one `handover.updated` shape (`item_event`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.events.bus import Audience, LiveEvent, publish
from api.handover.models import HandoverEvent, HandoverItem
from api.incidents import timeline


def item_event(item: HandoverItem, *, user_ids: frozenset[uuid.UUID] = frozenset()) -> LiveEvent:
    """`handover.updated` for an item: ids, state and whether it was raised; no personal data.

    Sent to the item's team, and to `user_ids` as well (a new owner on another screen)."""
    return LiveEvent(
        "handover.updated",
        {
            "item_id": str(item.id),
            "incident_id": str(item.incident_id),
            "team_id": str(item.team_id),
            "state": str(item.state),
            "escalated": item.escalated_at is not None,
        },
        Audience(team_ids=frozenset({item.team_id}), user_ids=user_ids),
    )


def record_transition(
    session: AsyncSession,
    item: HandoverItem,
    action: str,
    *,
    now: datetime,
    actor_id: uuid.UUID | None = None,
    from_user_id: uuid.UUID | None = None,
    to_user_id: uuid.UUID | None = None,
    history_detail: dict[str, Any] | None = None,
    timeline_detail: dict[str, Any] | None = None,
    notify: frozenset[uuid.UUID] = frozenset(),
) -> LiveEvent:
    """Record a change already made to `item`'s fields, in the caller's transaction.

    `action` names the history entry (`picked_up`, `reassigned`, `closed`, `escalated`) and the
    timeline event (`handover.<action>`, detail: the item's id and `timeline_detail`; never
    case content such as a closing note). Returns the live event it published.
    """
    item.version += 1
    item.updated_at = now
    session.add(
        HandoverEvent(
            item_id=item.id,
            at=now,
            actor_id=actor_id,
            action=action,
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            detail=history_detail or {},
        )
    )
    timeline.add_event(
        session,
        item.incident_id,
        f"handover.{action}",
        actor_id=actor_id,
        team_id=item.team_id,
        detail={"item_id": str(item.id), **(timeline_detail or {})},
    )
    live = item_event(item, user_ids=notify)
    publish(session, live)
    return live
