"""The SSE wire format and one subscriber's stream.

`retry:` first, then an `id:`/`event:`/`data:` block per event, a comment line as a
keep-alive, and an end after the maximum connection age: the client reconnects (with its
token, which may have been refreshed) and refetches what it shows.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator

from api.events.bus import Envelope
from api.events.hub import EventHub, Viewer


def format_event(envelope: Envelope) -> str:
    data = json.dumps(envelope.event.data, separators=(",", ":"), default=str)
    return f"id: {envelope.id}\nevent: {envelope.event.name}\ndata: {data}\n\n"


async def event_stream(
    hub: EventHub,
    viewer: Viewer,
    *,
    keepalive_seconds: float,
    max_age_seconds: float,
    retry_ms: int,
) -> AsyncIterator[str]:
    """Yield one subscriber's stream until it is too old, dropped, or the client goes."""
    loop = asyncio.get_running_loop()
    # Subscribe before the first byte, so nothing committed after "connected" is missed.
    subscription = hub.subscribe(viewer)
    # Spread reconnects so that replicas started together are not hit together later.
    deadline = loop.time() + max_age_seconds * random.uniform(0.9, 1.0)  # noqa: S311
    try:
        yield f"retry: {retry_ms}\n: connected\n\n"
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                yield ": max-age reached, reconnect\n\n"
                return
            try:
                envelope = await asyncio.wait_for(
                    subscription.queue.get(), timeout=min(keepalive_seconds, remaining)
                )
            except TimeoutError:
                if deadline - loop.time() > 0:
                    yield ": keep-alive\n\n"
                continue
            if envelope is None:
                yield ": closed, reconnect\n\n"
                return
            yield format_event(envelope)
    finally:
        hub.unsubscribe(subscription)
