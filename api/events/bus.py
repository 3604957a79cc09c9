"""Live events for SSE subscribers: published only after the change commits.

An event carries ids only. Its audience says who may receive it: members of some teams,
police of one station, named users, or every manager/admin.

How an event travels:

- PostgreSQL (several API replicas): `publish()` queues the event on the session; a
  `before_commit` hook (`api.db.notify_on_commit`) runs `SELECT pg_notify('lantern_events',
  <json>)` on the session's own connection, inside the publishing transaction. PostgreSQL
  delivers a notification only if that transaction commits, so a rolled-back change never
  reaches a screen and a committed one reaches every replica (each listens on one connection,
  see `listener.py`), this one included. A worker process that publishes needs no listener of its own.
- SQLite (one process): the event is handed to the in-process hub once the session has
  committed (`api.db.after_commit`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit, notify_on_commit
from api.events.hub import hub

EVENT_NAMES = (
    "incident.created",
    "incident.updated",
    "page.sent",
    "page.acknowledged",
    "page.escalated",
    "incident.uncovered",
    "support.recorded",
    "handover.updated",
    "partner_concern.reported",
)
CHANNEL = "lantern_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7900


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


@dataclass(frozen=True)
class Envelope:
    """An event on its way to subscribers, with the id it carries on the SSE stream."""

    id: str
    event: LiveEvent

    def encode(self) -> str:
        audience = self.event.audience
        return json.dumps(
            {
                "id": self.id,
                "name": self.event.name,
                "data": self.event.data,
                "audience": {
                    "team_ids": sorted(str(t) for t in audience.team_ids),
                    "station_ids": sorted(str(s) for s in audience.station_ids),
                    "user_ids": sorted(str(u) for u in audience.user_ids),
                    "all_managers": audience.all_managers,
                },
            },
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def decode(cls, payload: str) -> Envelope:
        raw = json.loads(payload)
        audience = raw["audience"]
        return cls(
            id=raw["id"],
            event=LiveEvent(
                name=raw["name"],
                data=raw["data"],
                audience=Audience(
                    team_ids=frozenset(uuid.UUID(t) for t in audience["team_ids"]),
                    station_ids=frozenset(uuid.UUID(s) for s in audience["station_ids"]),
                    user_ids=frozenset(uuid.UUID(u) for u in audience["user_ids"]),
                    all_managers=bool(audience["all_managers"]),
                ),
            ),
        )


def publish(session: AsyncSession, event: LiveEvent) -> None:
    """Queue `event` for delivery once `session` commits (dropped on rollback)."""
    if event.name not in EVENT_NAMES:
        raise ValueError(f"unknown event {event.name}")
    envelope = Envelope(id=uuid.uuid4().hex, event=event)
    payload = envelope.encode()
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event {event.name} is too large for NOTIFY; send ids only")
    if session.get_bind().dialect.name == "postgresql":
        notify_on_commit(session, CHANNEL, payload)
        return

    async def _deliver() -> None:
        hub.deliver(envelope)

    after_commit(session, _deliver)
