"""Handover routes: parse, authorise, call the services. Day teams and managers only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.audit import service as audit
from api.auth.dependencies import CurrentActor, public, roles
from api.deps import SessionDep
from api.errors import NotFound
from api.flows import my_clocks as my_clocks_flow
from api.handover import nrm, report, service
from api.handover.access import HANDOVER_ROLES, ReadableItem, WritableClock, WritableItem
from api.handover.pdf import render_pdf
from api.handover.schemas import (
    ClockList,
    ClockMetIn,
    ClockOut,
    CloseIn,
    CloseOut,
    HandoverItemOut,
    HandoverQueue,
    ItemState,
    NrmDecisionIn,
    NrmOut,
    PersonRef,
    PickupOut,
    ReassignIn,
    ReassignOut,
    ReturnHomeInterviewIn,
)
from api.incidents.access import CASE_ROLES, CaseIncident, incident_roles
from api.places.strategy_schemas import MyClockList
from api.textinput import IdentifyingText
from api.timewindows import ReportNight

router = APIRouter(prefix="/api/v1", tags=["handover"])
TeamSlug = Annotated[IdentifyingText, Query(min_length=1, max_length=64, description="Team slug")]
Night = Annotated[ReportNight, Query(description="The night (its date); within the last 400 days")]
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item, or not one of your teams' items"},
    409: {
        "description": "Already picked up (names the owner), closed, not yet picked up, or (closing) "
        "the NRM decision not yet recorded"
    },
}


@router.get("/handover", response_model=HandoverQueue, dependencies=[roles(*HANDOVER_ROLES)])
async def handover_queue(
    session: SessionDep,
    actor: CurrentActor,
    team: Annotated[IdentifyingText | None, Query(min_length=1, max_length=64, description="Team slug")] = (
        None
    ),
    state: Annotated[ItemState | None, Query(description="Without it: awaiting_pickup and picked_up")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """The handover queue of one of your teams (or all of them), priority first, then oldest."""
    return await service.list_items(session, actor, team_slug=team, state=state, limit=limit)


# The report routes come before /handover/{item_id} so "report" is never read as an item id.
@router.get(
    "/handover/report",
    response_class=HTMLResponse,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={200: {"content": {"text/html": {}}, "description": "Printable report (print CSS)"}},
)
async def handover_report_html(
    session: SessionDep, actor: CurrentActor, team: TeamSlug, night: Night
) -> HTMLResponse:
    """The night's handover report of a team as a printable page; the download is audited."""
    night_report = await report.night_report(session, actor, team, night, "html")
    return HTMLResponse(
        report.render_html(night_report),
        headers={"Content-Disposition": f'inline; filename="{night_report.filename("html")}"'},
    )


@router.get(
    "/handover/report.csv",
    dependencies=[roles(*HANDOVER_ROLES)],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per item"}},
)
async def handover_report_csv(
    session: SessionDep, actor: CurrentActor, team: TeamSlug, night: Night
) -> Response:
    """The night's handover report of a team as CSV; the download is audited."""
    night_report = await report.night_report(session, actor, team, night, "csv")
    return Response(
        report.render_csv(night_report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{night_report.filename("csv")}"'},
    )


@router.get(
    "/handover/report.pdf",
    dependencies=[roles(*HANDOVER_ROLES)],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The printable report as PDF"}},
)
async def handover_report_pdf(
    session: SessionDep, actor: CurrentActor, team: TeamSlug, night: Night
) -> Response:
    """The night's handover report of a team as a PDF; the download is audited."""
    night_report = await report.night_report(session, actor, team, night, "pdf")
    # Setting the text takes CPU time (seconds for a long night): off the event loop.
    return Response(
        await run_in_threadpool(render_pdf, night_report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{night_report.filename("pdf")}"'},
    )


@router.get(
    "/handover/report.css",
    dependencies=[public()],
    response_class=Response,
    responses={200: {"content": {"text/css": {}}}},
)
async def handover_report_css() -> Response:
    """The report's print stylesheet (no case data, so no sign-in: a stylesheet link sends no token)."""
    return Response(report.stylesheet(), media_type="text/css; charset=utf-8")


@router.get(
    "/handover/{item_id}",
    response_model=HandoverItemOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={404: _PROBLEMS[404]},
)
async def handover_item(item: ReadableItem, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    return await service.item_detail(session, actor, item)


@router.post(
    "/handover/{item_id}/pickup",
    response_model=PickupOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses=_PROBLEMS,
)
async def pick_up(item: WritableItem, session: SessionDep, actor: CurrentActor) -> PickupOut:
    """Take the item: you become its owner and the owner of the incident's open clocks."""
    return await service.pick_up(session, actor, item)


@router.get(
    "/handover/{item_id}/assignees",
    response_model=list[PersonRef],
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={404: _PROBLEMS[404]},
)
async def assignees(item: ReadableItem, session: SessionDep) -> list[PersonRef]:
    """Who may take this item over: the day-team members and managers of its team (not its owner)."""
    return await service.assignees(session, item)


@router.post(
    "/handover/{item_id}/reassign",
    response_model=ReassignOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={**_PROBLEMS, 403: {"description": "Only the owner or a manager may reassign"}},
)
async def reassign(
    item: WritableItem, body: ReassignIn, session: SessionDep, actor: CurrentActor
) -> ReassignOut:
    return await service.reassign(session, actor, item, body.user_id)


@router.post(
    "/handover/{item_id}/close",
    response_model=CloseOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={**_PROBLEMS, 403: {"description": "Only the owner or a manager may close"}},
)
async def close(item: WritableItem, body: CloseIn, session: SessionDep, actor: CurrentActor) -> CloseOut:
    return await service.close(session, actor, item, body.note)


@router.get("/teams/{team_id}/clocks", response_model=ClockList, dependencies=[roles(*HANDOVER_ROLES)])
async def team_clocks(
    team_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    include_met: Annotated[bool, Query(description="Also the clocks already met")] = False,
) -> dict[str, Any]:
    """Clocks of the team's incidents, soonest due first."""
    return await service.team_clocks(session, actor, team_id, include_met=include_met)


@router.get("/me/clocks", response_model=MyClockList, dependencies=[roles(*HANDOVER_ROLES, "coordinator")])
async def my_clocks(session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """Your open clocks (you own them) on your teams' incidents, soonest due first, including
    the decisions a hub meeting gave you (`kind: hub_decision`); and in `strategy_reviews` the
    open review clocks of strategy meetings about your teams' areas' places (hub coordinators
    and managers) or that gave you an action still open."""
    return await my_clocks_flow.my_clocks(session, actor)


@router.post(
    "/clocks/{clock_id}/met",
    response_model=ClockOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={404: {"description": "No such clock, or not one of your teams' incidents"}},
)
async def clock_met(
    clock: WritableClock, session: SessionDep, actor: CurrentActor, body: ClockMetIn | None = None
) -> dict[str, Any]:
    """Record that the clock's limit was met (marking it again changes nothing)."""
    body = body or ClockMetIn()
    return await service.mark_met(
        session,
        actor,
        clock,
        note=body.note,
        detention_ended=body.detention_ended,
        outcome=body.outcome,
        ground=body.ground,
        by=body.by,
        independent=body.independent,
    )


@router.post(
    "/clocks/{clock_id}/return-home-interview",
    response_model=ClockOut,
    dependencies=[roles(*HANDOVER_ROLES)],
    responses={
        404: {"description": "No such clock, or not one of your teams' incidents"},
        409: {"description": "The interview is already closed (completed or declined)"},
    },
)
async def return_home_interview(
    clock: WritableClock, body: ReturnHomeInterviewIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record a step of the return home interview: offered, accepted, declined or completed.

    Declined (by the child) and completed (who, and whether independent of the child's care)
    close the clock; a "return home conversation" offered overnight never does.
    """
    return await service.record_rhi_step(
        session,
        actor,
        clock,
        step=body.step,
        at=body.at,
        by=body.by,
        independent=body.independent,
        note=body.note,
    )


@router.get(
    "/incidents/{incident_id}/nrm",
    response_model=NrmOut,
    dependencies=[incident_roles(*CASE_ROLES)],
    responses={404: {"description": "No such incident, or no NRM action raised on it"}},
)
async def nrm_action(incident: CaseIncident, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """ "Consider an NRM referral": the reasons, the note that children need no consent, the
    s45 flag and the decision. The read is audited."""
    view = await nrm.view_for(session, incident.id)
    if view is None:
        raise NotFound("No NRM action was raised on this incident.")
    audit.record(
        session,
        actor,
        "nrm.read",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
    )
    return view


@router.post(
    "/incidents/{incident_id}/nrm/decision",
    response_model=NrmOut,
    dependencies=[incident_roles(*CASE_ROLES)],
    responses={
        404: {"description": "No such incident"},
        409: {"description": "No NRM action raised, or its decision already recorded"},
    },
)
async def nrm_decision(
    incident: CaseIncident, body: NrmDecisionIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record the NRM decision: referred (the referral's reference and date) or not referred
    (the reason). Until then the incident's handover items cannot be closed."""
    return await nrm.decide(
        session,
        actor,
        incident,
        decision=body.decision,
        referral_reference=body.referral_reference,
        referred_on=body.referred_on,
        reason=body.reason,
    )
