"""Partner concern routes: partners report and read their own; hubs read their queue."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.flows import partner_concerns
from api.partners import service
from api.partners.schemas import ConcernCloseIn, ConcernCreated, ConcernIn, ConcernList, ConcernOut
from api.textinput import IdentifyingText

router = APIRouter(prefix="/api/v1", tags=["partners"])


# `POST /concerns` is the contract's name; `/partner-concerns` the one the PWA uses.
@router.post("/concerns", status_code=201, response_model=ConcernCreated, dependencies=[roles("partner")])
@router.post(
    "/partner-concerns", status_code=201, response_model=ConcernCreated, dependencies=[roles("partner")]
)
async def report_concern(body: ConcernIn, session: SessionDep, actor: CurrentActor) -> ConcernCreated:
    """A concern about a place or a peer group; it reaches the area's hub (paged only when P1)."""
    return await partner_concerns.report_concern(session, actor, body)


@router.get("/partner-concerns/mine", response_model=ConcernList, dependencies=[roles("partner")])
async def my_concerns(
    session: SessionDep, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> ConcernList:
    """What you reported, newest first (nobody else's)."""
    return ConcernList(items=await service.mine(session, actor, limit))


@router.get("/partner-concerns", response_model=ConcernList, dependencies=[roles(*service.HUB_ROLES)])
async def hub_queue(
    session: SessionDep,
    actor: CurrentActor,
    team: Annotated[
        IdentifyingText | None, Query(min_length=1, max_length=64, description="Team slug")
    ] = None,
    state: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConcernList:
    """Partners' concerns that reached your teams (the hub queue), P1 first, then newest."""
    return ConcernList(items=await service.hub_queue(session, actor, team=team, state=state, limit=limit))


@router.get(
    "/partner-concerns/{concern_id}",
    response_model=ConcernOut,
    dependencies=[roles("partner", *service.HUB_ROLES)],
)
async def read_concern(
    concern_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> ConcernOut:
    """A partner's own concern, or one that reached your teams; anything else is 404."""
    return await service.read(session, actor, concern_id)


@router.post(
    "/partner-concerns/{concern_id}/close",
    response_model=ConcernOut,
    dependencies=[roles(*service.HUB_ROLES)],
    responses={404: {"description": "Not a concern of your teams"}, 409: {"description": "Already closed"}},
)
async def close_concern(
    concern_id: Annotated[uuid.UUID, Path()], body: ConcernCloseIn, session: SessionDep, actor: CurrentActor
) -> ConcernOut:
    """The hub closes a concern with what it did (the partner sees it closed, not the note)."""
    return await service.close(session, actor, concern_id, body.note)
