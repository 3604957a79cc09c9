"""Running the worker loop: in-process beside the API (embedded default) or alone."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from api.db import Database
from api.platform.metrics import WORKER_HEARTBEAT
from api.settings import Settings

log = logging.getLogger("lantern.worker")


async def run_loop(database: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Poll for work until `stop` is set. No job kinds exist yet (paging adds them)."""
    log.info("worker loop started; no jobs yet")
    while not stop.is_set():
        WORKER_HEARTBEAT.set_to_current_time()
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_seconds)
        except TimeoutError:
            pass
    log.info("worker loop stopped")


def in_process_background(settings: Settings):
    """An app lifespan hook that runs the worker loop inside the API process."""

    @asynccontextmanager
    async def background(app):
        stop = asyncio.Event()
        task = asyncio.create_task(run_loop(app.state.database, settings, stop), name="lantern-worker")
        try:
            yield
        finally:
            stop.set()
            await task

    return background


async def run_forever(settings: Settings) -> None:
    database = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_loop(database, settings, stop)
    finally:
        await database.dispose()
