"""The live events machinery of one API process, for the app lifespan.

The hub is per process, so the PostgreSQL listener is too: several apps in one process
(tests do this) share one listening connection per database instead of each delivering
every event again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from api.events.hub import hub
from api.events.listener import PgListener, asyncpg_dsn
from api.settings import Settings

_listeners: dict[str, tuple[PgListener, int]] = {}
_apps = 0


@asynccontextmanager
async def live_events(settings: Settings) -> AsyncIterator[None]:
    """Listen for every replica's events on PostgreSQL; on SQLite the bus is in-process."""
    global _apps
    _apps += 1
    hub.queue_size = settings.events_queue_size
    dsn = None if settings.is_sqlite else asyncpg_dsn(settings.database_url)
    if dsn is not None:
        if dsn in _listeners:
            listener, users = _listeners[dsn]
            _listeners[dsn] = (listener, users + 1)
        else:
            listener = PgListener(dsn, hub, ping_seconds=settings.events_listener_ping_seconds)
            _listeners[dsn] = (listener, 1)
            await listener.start()
    try:
        yield
    finally:
        if dsn is not None:
            listener, users = _listeners[dsn]
            if users > 1:
                _listeners[dsn] = (listener, users - 1)
            else:
                del _listeners[dsn]
                await listener.stop()
        _apps -= 1
        if not _apps:
            hub.close_all()  # shutting down: end the streams so the server can stop
