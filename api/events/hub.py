"""The process's fan-out to its SSE subscribers, and who may receive which event.

Each subscriber has a bounded queue. A subscriber that does not keep up is dropped (its
stream ends); the client reconnects and refetches, which is cheaper and safer than
buffering without limit for a phone on a bad connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

if TYPE_CHECKING:
    from api.events.bus import Envelope, LiveEvent

log = logging.getLogger("lantern.events")

STAFF_ROLES = ("worker", "day_team", "manager")
# Police see the response status of their station's reports, nothing else.
POLICE_EVENTS = frozenset({"incident.created", "incident.updated", "page.acknowledged"})

SUBSCRIBERS = Gauge("lantern_sse_subscribers", "Open live event streams in this process")
DROPPED = Counter("lantern_sse_dropped_total", "Live event streams ended because the client fell behind")


@dataclass(frozen=True)
class Viewer:
    """Who is watching, as known when the stream opened (a reconnect picks up changes)."""

    user_id: uuid.UUID
    roles: frozenset[str]
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    station_id: uuid.UUID | None = None


def may_receive(viewer: Viewer, event: LiveEvent) -> bool:
    """The same scoping as the reads: teams for staff, station for police, managers for flags."""
    audience = event.audience
    if viewer.roles.intersection(STAFF_ROLES) or "admin" in viewer.roles:
        if viewer.user_id in audience.user_ids:
            return True
        if viewer.roles.intersection(STAFF_ROLES) and viewer.team_ids & audience.team_ids:
            return True
        if audience.all_managers and viewer.roles.intersection({"manager", "admin"}):
            return True
    if "police" in viewer.roles and event.name in POLICE_EVENTS:
        if viewer.station_id is not None and viewer.station_id in audience.station_ids:
            return True
        if viewer.user_id in audience.user_ids:
            return True
    return False


class Subscription:
    def __init__(self, viewer: Viewer, queue_size: int) -> None:
        self.viewer = viewer
        self.queue: asyncio.Queue[Envelope | None] = asyncio.Queue(maxsize=queue_size)
        self.closed = False

    def offer(self, envelope: Envelope) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(envelope)
        except asyncio.QueueFull:
            log.info("dropping a slow live event subscriber")
            DROPPED.inc()
            self.close()

    def close(self) -> None:
        """End the stream: whatever is queued is discarded, the client will refetch."""
        if self.closed:
            return
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventHub:
    def __init__(self, queue_size: int = 100) -> None:
        self.queue_size = queue_size
        self._subscriptions: set[Subscription] = set()

    def subscribe(self, viewer: Viewer) -> Subscription:
        subscription = Subscription(viewer, self.queue_size)
        self._subscriptions.add(subscription)
        SUBSCRIBERS.set(len(self._subscriptions))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.closed = True
        self._subscriptions.discard(subscription)
        SUBSCRIBERS.set(len(self._subscriptions))

    def deliver(self, envelope: Envelope) -> int:
        """Hand `envelope` to every subscriber who may see it; returns how many."""
        delivered = 0
        for subscription in list(self._subscriptions):
            if may_receive(subscription.viewer, envelope.event):
                subscription.offer(envelope)
                delivered += 1
        return delivered

    def close_all(self) -> None:
        """End every stream (shutdown, or events may have been missed): clients reconnect."""
        for subscription in list(self._subscriptions):
            subscription.close()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)


hub = EventHub()
