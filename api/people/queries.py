"""Shared queries over the young people's table: the ones several reads wrote for themselves."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.people.models import YoungPerson


async def young_people_by_id(
    session: AsyncSession, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, YoungPerson]:
    """The young people's records with these ids (None and unknown ids skipped), by id; no
    query when none. Merged records are returned as they are: following a merge is the caller's."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(YoungPerson).where(col(YoungPerson.id).in_(wanted)))
    return {p.id: p for p in rows.scalars()}
