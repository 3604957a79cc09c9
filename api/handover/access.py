"""Who may reach which handover item or clock: day teams and managers of the teams concerned.

An item or clock the caller may not reach is a 404, so its existence is not revealed. Items
loaded for a change are locked (FOR UPDATE on PostgreSQL; SQLite's writer lock is taken at
the start of the request's transaction), so two pick-ups run one after the other.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy import select
from sqlmodel import col

from api.auth.dependencies import CurrentActor
from api.deps import SessionDep
from api.errors import NotFound
from api.handover.models import Clock, HandoverItem
from api.incidents.models import IncidentTeam

HANDOVER_ROLES = ("day_team", "manager")


async def _item(item_id: uuid.UUID, session, actor, *, for_update: bool) -> HandoverItem:
    item = await session.get(HandoverItem, item_id, with_for_update=for_update, populate_existing=for_update)
    if item is None or not actor.has(*HANDOVER_ROLES) or item.team_id not in actor.team_ids:
        raise NotFound("No such handover item.")
    return item


async def _readable_item(
    item_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> HandoverItem:
    return await _item(item_id, session, actor, for_update=False)


async def _writable_item(
    item_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> HandoverItem:
    return await _item(item_id, session, actor, for_update=True)


async def _writable_clock(
    clock_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> Clock:
    clock = await session.get(Clock, clock_id, with_for_update=True, populate_existing=True)
    if clock is None or not actor.has(*HANDOVER_ROLES) or not actor.team_ids:
        raise NotFound("No such clock.")
    routed = await session.execute(
        select(col(IncidentTeam.id)).where(
            col(IncidentTeam.incident_id) == clock.incident_id, col(IncidentTeam.team_id).in_(actor.team_ids)
        )
    )
    if routed.first() is None:
        raise NotFound("No such clock.")
    return clock


ReadableItem = Annotated[HandoverItem, Depends(_readable_item)]
WritableItem = Annotated[HandoverItem, Depends(_writable_item)]
WritableClock = Annotated[Clock, Depends(_writable_clock)]
