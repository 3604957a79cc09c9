"""Your clocks (`GET /me/clocks`): the handover clocks you own on your teams' incidents (the
items you picked up, a hub meeting's decisions) and the strategy review clocks you answer for
(hub coordinators and managers of the place's area, owners of the meeting's open actions).

Neither a hub decision nor a strategy review is paged to the managers at night: the review
clock lives on the meeting row, which the handover's raise pass never reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.dependencies import Actor
from api.db import utcnow
from api.handover import service as handover
from api.places import strategy


async def my_clocks(session: AsyncSession, actor: Actor, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    out = await handover.my_clocks(session, actor, now=now)
    out["strategy_reviews"] = await strategy.my_review_clocks(session, actor, now=now)
    return out
