"""Hub meetings: the weekly pack (JSON for the meeting screen, PDF for the papers, CSV) and the
decisions recorded in the meeting. Coordinators and managers who are members of the hub's team;
other roles 403, a hub that is not theirs (or not a hub) 404."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth.dependencies import CurrentActor, roles
from api.db import utcnow
from api.deps import SessionDep
from api.flows.hub_pack import hub_pack
from api.handover.schemas import PersonRef
from api.hubs import render, service
from api.hubs.schemas import DecisionIn, DecisionOut, HubList, HubOut, HubPack, WithdrawIn
from api.hubs.weeks import WEEK_PATTERN, week_of
from api.textinput import IdentifyingText

router = APIRouter(prefix="/api/v1", tags=["hub meetings"])
HubSlug = Annotated[IdentifyingText, Path(min_length=1, max_length=64, description="The hub's team slug")]
WeekPath = Annotated[
    IdentifyingText,
    Path(pattern=WEEK_PATTERN, description="ISO week, Monday to Sunday London time: 2026-W49"),
]
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such hub, or not a hub you are a member of"},
    422: {"description": "Not an ISO week, or a week that has not begun"},
}


async def _pack(session, actor, hub: str, week: str, fmt: str) -> HubPack:
    team = await service.hub_for(session, actor, hub)
    return await hub_pack(session, actor, team, service.week_or_422(week, utcnow()), fmt)


@router.get("/hubs", response_model=HubList, dependencies=[roles(*service.HUB_ROLES)])
async def my_hubs(session: SessionDep, actor: CurrentActor) -> HubList:
    """The hubs you coordinate or manage (your CSE and CCE teams), and the current week."""
    hubs = [
        HubOut(slug=t.slug, name=t.name, area=await service.area_slug(session, t), specialism=t.specialism)
        for t in await service.my_hubs(session, actor)
    ]
    return HubList(hubs=hubs, current_week=str(week_of(utcnow())))


# The download routes come first so "2026-W49.pdf" is never read as a week.
@router.get(
    "/hubs/{hub}/packs/{week}.pdf",
    dependencies=[roles(*service.HUB_ROLES)],
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The pack for the papers"},
        **_PROBLEMS,
    },
)
async def hub_pack_pdf(hub: HubSlug, week: WeekPath, session: SessionDep, actor: CurrentActor) -> Response:
    """The week's pack as a PDF; the download is audited, naming every child in it."""
    pack = await _pack(session, actor, hub, week, "pdf")
    return Response(
        await run_in_threadpool(render.render_pdf, pack, actor.user.display_name),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(pack, "pdf")}"'},
    )


@router.get(
    "/hubs/{hub}/packs/{week}.csv",
    dependencies=[roles(*service.HUB_ROLES)],
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "A row per young person, follow-up and place"},
        **_PROBLEMS,
    },
)
async def hub_pack_csv(hub: HubSlug, week: WeekPath, session: SessionDep, actor: CurrentActor) -> Response:
    """The week's pack as CSV; the download is audited, naming every child in it."""
    pack = await _pack(session, actor, hub, week, "csv")
    return Response(
        render.render_csv(pack),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(pack, "csv")}"'},
    )


@router.get(
    "/hubs/{hub}/packs/{week}",
    response_model=HubPack,
    dependencies=[roles(*service.HUB_ROLES)],
    responses=_PROBLEMS,
)
async def hub_pack_json(hub: HubSlug, week: WeekPath, session: SessionDep, actor: CurrentActor) -> HubPack:
    """The hub's weekly pack: each young person who came through its team that week, and the
    places with incidents against the four weeks before. The read is audited."""
    return await _pack(session, actor, hub, week, "json")


@router.get(
    "/hubs/{hub}/owners",
    response_model=list[PersonRef],
    dependencies=[roles(*service.HUB_ROLES)],
    responses={404: _PROBLEMS[404]},
)
async def decision_owners(hub: HubSlug, session: SessionDep, actor: CurrentActor) -> list[dict[str, Any]]:
    """Who may own a decision of this hub: its team's day-team members and managers (staff
    names only)."""
    return await service.owners(session, await service.hub_for(session, actor, hub))


@router.post(
    "/hubs/{hub}/decisions",
    response_model=DecisionOut,
    status_code=201,
    dependencies=[roles(*service.HUB_ROLES)],
    responses={404: _PROBLEMS[404], 422: {"description": "The fields named are not valid"}},
)
async def record_decision(
    hub: HubSlug, body: DecisionIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record a meeting's decision about a young person. Its due date becomes a clock owned by
    the decision's owner (`kind: hub_decision`, met with `POST /clocks/{id}/met`); the next
    week's pack shows it outstanding or done."""
    team = await service.hub_for(session, actor, hub)
    return await service.record_decision(session, actor, team, body)


@router.post(
    "/hubs/{hub}/decisions/{decision_id}/withdraw",
    response_model=DecisionOut,
    dependencies=[roles(*service.HUB_ROLES)],
    responses={
        404: {"description": "No such hub of yours, or no such decision of it"},
        409: {"description": "The decision is done or withdrawn already"},
        422: {"description": "The reason is missing or too long"},
    },
)
async def withdraw_decision(
    hub: HubSlug, decision_id: uuid.UUID, body: WithdrawIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Withdraw a decision still outstanding, with the reason: its clock closes as withdrawn
    (never counted as met) and leaves the owner's clocks; the packs show it withdrawn."""
    team = await service.hub_for(session, actor, hub)
    decision = await service.decision_of(session, team, decision_id)
    return await service.withdraw_decision(session, actor, team, decision, body.reason)
