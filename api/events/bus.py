"""Live events for SSE subscribers: published only after the change commits.

An event carries ids only. Its audience says who may receive it: members of some teams,
police of one station, named users, or every manager/admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit

EVENT_NAMES = (
    "incident.created",
    "incident.updated",
    "page.sent",
    "page.acknowledged",
    "page.escalated",
    "incident.uncovered",
    "support.recorded",
    "handover.updated",
)


@dataclass(frozen=True)
class Audience:
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    station_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    all_managers: bool = False


@dataclass(frozen=True)
class LiveEvent:
    name: str
    data: dict[str, Any]
    audience: Audience


_listeners: list = []


def publish(session: AsyncSession, event: LiveEvent) -> None:
    """Queue `event` for delivery once `session` commits (dropped on rollback)."""
    if event.name not in EVENT_NAMES:
        raise ValueError(f"unknown event {event.name}")

    async def _deliver() -> None:
        for listener in list(_listeners):
            await listener(event)

    after_commit(session, _deliver)
