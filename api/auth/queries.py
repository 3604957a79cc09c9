"""Shared queries over the auth tables: the ones several domains wrote for themselves.

`users_by_id` is how a read turns the user ids it holds (owners, actors, recorders) into the
people behind them; callers import it downwards instead of repeating the select."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User


def _wanted(ids: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    return {i for i in ids if i is not None}


async def users_by_id(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, User]:
    """The users with these ids (None and unknown ids are skipped), by id; no query when none."""
    wanted = _wanted(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(User).where(col(User.id).in_(wanted)))
    return {u.id: u for u in rows.scalars()}


async def display_names(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """The display names of the users with these ids, by id (only the two columns are read)."""
    wanted = _wanted(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(col(User.id), col(User.display_name)).where(col(User.id).in_(wanted)))
    return {uid: name for uid, name in rows.all()}
