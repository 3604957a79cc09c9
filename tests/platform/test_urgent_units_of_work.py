"""SQLite's one connection: urgent units of work (a worker's page on its way to a phone) wait
ahead of the others, first come first served among themselves; a cancelled waiter loses
nothing. PostgreSQL has a connection per unit of work, so only SQLite is concerned."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from api.db import Database, is_urgent, urgent


async def _queue_behind_holder(db: Database, order: list[str], plan: list[tuple[str, bool]]):
    """Hold the connection; queue one unit of work per `plan` entry (name, urgent), in that
    order, each recording its name once it has the connection. Returns (release, tasks)."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            await release.wait()

    async def unit(name: str) -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            order.append(name)

    tasks = [asyncio.create_task(holder())]
    await holding.wait()
    for name, is_urgent_unit in plan:
        with urgent(is_urgent_unit):
            tasks.append(asyncio.create_task(unit(name)))
        await asyncio.sleep(0.02)  # in the pool's queue, in this order
    return release, tasks


async def test_urgent_units_of_work_go_ahead_of_those_already_waiting(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with asyncio.timeout(10):
            order: list[str] = []
            release, tasks = await _queue_behind_holder(
                db, order, [("intake1", False), ("page1", True), ("intake2", False), ("page2", True)]
            )
            release.set()
            await asyncio.gather(*tasks)
        assert order == ["page1", "page2", "intake1", "intake2"]
    finally:
        await db.dispose()


async def test_without_urgency_units_of_work_take_turns_in_arrival_order(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with asyncio.timeout(10):
            order: list[str] = []
            release, tasks = await _queue_behind_holder(db, order, [("a", False), ("b", False), ("c", False)])
            release.set()
            await asyncio.gather(*tasks)
        assert order == ["a", "b", "c"]
    finally:
        await db.dispose()


async def test_a_cancelled_urgent_waiter_hands_its_turn_on(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with asyncio.timeout(10):
            order: list[str] = []
            release, tasks = await _queue_behind_holder(db, order, [("intake", False), ("page", True)])
            tasks[2].cancel()  # the urgent one gives up while waiting
            release.set()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert isinstance(results[2], asyncio.CancelledError)
            assert order == ["intake"]
            async with db.session() as session:  # the connection is back in the pool
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()


async def test_urgency_is_scoped_to_the_block_and_the_tasks_it_creates():
    assert not is_urgent()
    seen: list[bool] = []

    async def child() -> None:
        seen.append(is_urgent())

    with urgent():
        assert is_urgent()
        task = asyncio.create_task(child())
    assert not is_urgent()
    await task
    assert seen == [True]
