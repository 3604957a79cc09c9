"""One LISTEN connection per API process on PostgreSQL, feeding the local hub.

The connection is plain asyncpg (not from the SQLAlchemy pool: a pooled connection would
be recycled under our feet). When it is lost (database restart, network, a terminated
backend) it reconnects with capped exponential backoff; every open stream is then ended,
because notifications sent while nobody listened are gone and the clients must refetch.
"""

from __future__ import annotations

import asyncio
import logging
import random

import asyncpg
from prometheus_client import Gauge
from sqlalchemy.engine import make_url

from api.events.bus import CHANNEL, Envelope
from api.events.hub import EventHub

log = logging.getLogger("lantern.events")

LISTENING = Gauge("lantern_events_listener_connected", "1 while this process listens for live events")
APPLICATION_NAME = "lantern-events"


def asyncpg_dsn(database_url: str) -> str:
    """`postgresql+asyncpg://...` (SQLAlchemy) as a DSN asyncpg accepts."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _setter(event: asyncio.Event):
    return lambda _connection: event.set()


class PgListener:
    def __init__(
        self,
        dsn: str,
        hub: EventHub,
        *,
        ping_seconds: float = 10.0,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self.dsn = dsn
        self.hub = hub
        self.ping_seconds = ping_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.connected = asyncio.Event()
        self.connections = 0  # how many times it (re)connected; for tests and logs
        self._task: asyncio.Task | None = None

    async def start(self, *, wait_seconds: float = 5.0) -> None:
        """Start listening; wait a little for the first connection, never forever."""
        self._task = asyncio.create_task(self._run(), name="lantern-events-listener")
        try:
            await asyncio.wait_for(self.connected.wait(), timeout=wait_seconds)
        except TimeoutError:
            log.warning("live events listener not connected yet; it keeps trying")

    async def stop(self) -> None:
        """Stop listening. The cancellation is repeated until the task has ended: on Python 3.11
        `asyncio.wait_for` can swallow a cancellation that arrives as its inner call completes
        (fixed in 3.12), and a listener that went on pinging would hold the shutdown forever."""
        task, self._task = self._task, None
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if not task.cancelled() and task.exception() is not None:
            log.warning(
                "live events listener ended with an error",
                extra={"error_type": type(task.exception()).__name__},
            )

    def _on_notify(self, _connection, _pid: int, _channel: str, payload: str) -> None:
        try:
            envelope = Envelope.decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live event notification")
            return
        self.hub.deliver(envelope)

    async def _run(self) -> None:
        failures = 0
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(
                    self.dsn, timeout=10, server_settings={"application_name": APPLICATION_NAME}
                )
                lost = asyncio.Event()
                connection.add_termination_listener(_setter(lost))
                await connection.add_listener(CHANNEL, self._on_notify)
                if self.connections:
                    # Whatever was notified while we were away is lost: make clients refetch.
                    self.hub.close_all()
                    log.info("live events listener reconnected")
                self.connections += 1
                failures = 0
                self.connected.set()
                LISTENING.set(1)
                await self._watch(connection, lost)
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning(
                    "live events listener lost its connection", extra={"error_type": type(exc).__name__}
                )
            finally:
                self.connected.clear()
                LISTENING.set(0)
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            failures += 1
            delay = min(self.max_backoff_seconds, 0.1 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
            await asyncio.sleep(delay)

    async def _watch(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        # A half-open TCP connection tells nobody: ping now and then.
        while not lost.is_set():
            try:
                async with asyncio.timeout(self.ping_seconds):
                    await lost.wait()
            except TimeoutError:
                # asyncio.timeout, not wait_for: it never swallows a cancellation (see stop).
                async with asyncio.timeout(self.ping_seconds):
                    await connection.fetchval("SELECT 1")
        raise ConnectionResetError("listener connection closed")
