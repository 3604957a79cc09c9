"""The live events listener always stops. On Python 3.11 `asyncio.wait_for` can swallow a
cancellation that arrives just as its inner call completes; a listener that swallowed its stop
went on pinging and held an app's shutdown (and a test run) forever. Here the listener is made
to swallow a cancellation on purpose: `stop()` must still end it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from api.events.hub import EventHub
from api.events.listener import PgListener
from tests.conftest import PG_ADMIN_DSN


async def _postgres() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def test_stop_ends_a_listener_that_swallowed_its_cancellation(monkeypatch):
    if not await _postgres():
        pytest.skip("needs PostgreSQL")
    listener = PgListener(PG_ADMIN_DSN, EventHub(), ping_seconds=0.05)
    watch = listener._watch
    swallowed = []

    async def stubborn(connection, lost):
        # As wait_for on 3.11 may: the first cancellation is lost, the pings go on.
        try:
            await watch(connection, lost)
        except asyncio.CancelledError:
            swallowed.append(True)
            await watch(connection, lost)

    monkeypatch.setattr(listener, "_watch", stubborn)
    await listener.start()
    assert listener.connected.is_set()
    task = listener._task
    assert task is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    stopping = asyncio.ensure_future(listener.stop())
    await asyncio.wait({stopping}, timeout=10)
    assert stopping.done() and task.done(), "the listener is still running"
    assert loop.time() - started < 5
    assert swallowed == [True], "the first cancellation was swallowed, and stop() still ended it"
    assert not listener.connected.is_set()
