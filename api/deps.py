"""Request-scoped dependencies shared by every domain: settings, the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.settings import Settings


# `async def`, though they only read an attribute: FastAPI runs a plain `def` dependency in
# its thread pool, a hand-off to another thread and back on every request.
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed in this one place when the route returns.

    Declared with `scope="function"` (below), so the commit happens after the route function
    returns and *before* the response is built and sent: a 201 means stored. A failing commit
    rolls everything back (jobs enqueued and the Idempotency-Key included), skips the
    after-commit hooks (live events, worker wake-ups) and answers 503 (api/errors.py).
    """
    database: Database = request.app.state.database
    async with database.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the exit code (commit) runs before the response leaves. FastAPI's default
# ("request") would run it after the response was sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
