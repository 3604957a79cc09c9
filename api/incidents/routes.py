"""Incident routes: parse, authorise, call the services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from api.auth.dependencies import CurrentActor, roles
from api.db import defer_inserts
from api.deps import SessionDep, SettingsDep
from api.errors import PreconditionRequired
from api.flows import board, incident_view, intake, updates
from api.flows.incident_view import IncidentDetailOut
from api.incidents import catalogue_reads, idempotency, service
from api.incidents.access import StatusIncident, incident_roles
from api.incidents.schemas import (
    BoardOut,
    CatalogueVersionOut,
    IncidentCreate,
    IncidentCreated,
    IncidentPage,
    IncidentSearch,
    IncidentStatusOut,
    IncidentUpdate,
    IncidentUpdated,
    IndicatorOut,
    Kind,
)
from api.textinput import IdentifyingText
from api.timewindows import SearchInstant

router = APIRouter(prefix="/api/v1", tags=["incidents"])
CASE_ROLES = ("worker", "day_team", "manager")


@router.get(
    "/indicators",
    response_model=list[IndicatorOut],
    # Reference data, no case content: partners report concerns with it, coordinators search by it.
    dependencies=[roles("police", *CASE_ROLES, "coordinator", "partner", "admin")],
)
async def list_indicators(
    version: Annotated[
        int | None,
        Query(ge=1, le=1000, description="An earlier catalogue version, to read older incidents' codes"),
    ] = None,
) -> list[IndicatorOut]:
    """The indicator catalogue: the current version (what intake records), or an earlier one."""
    return catalogue_reads.indicators(version)


@router.get(
    "/indicators/versions",
    response_model=list[CatalogueVersionOut],
    dependencies=[roles("police", *CASE_ROLES, "admin")],
)
async def list_catalogue_versions() -> list[CatalogueVersionOut]:
    """Every catalogue version, newest first: which is current, until when intake accepts the
    codes of each earlier one, and which codes each version retired (and why)."""
    return catalogue_reads.versions()


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentCreated,
    dependencies=[roles("police")],
    responses={200: {"description": "A replay of an earlier request with the same Idempotency-Key"}},
)
async def report_incident(
    body: IncidentCreate,
    session: SessionDep,
    actor: CurrentActor,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> Any:
    record = None
    if idempotency_key:
        # SQLite: the claim goes as a plain statement, the answer is held back (api.db).
        await defer_inserts(session)
        claimed = await idempotency.claim(
            session,
            actor.id,
            "incidents.create",
            idempotency_key,
            # Without the place_id extension, the hash of a body is what it was before it existed.
            idempotency.body_hash(
                body.model_dump(mode="json", exclude={"place_id"} if body.place_id is None else None)
            ),
        )
        if isinstance(claimed, idempotency.Replay):
            return JSONResponse(claimed.response, status_code=200, headers={"Idempotent-Replayed": "true"})
        record = claimed
    result = await intake.report_incident(session, actor, body)
    response = result.as_response()
    if record is not None:
        await idempotency.complete(session, record, 201, response)
    return JSONResponse(
        response, status_code=201, headers={"Location": f"/api/v1/incidents/{result.incident.id}"}
    )


# Police see the status fields of each item, case roles the summary: unset fields stay absent.
@router.get(
    "/incidents",
    response_model=IncidentPage,
    response_model_exclude_unset=True,
    dependencies=[roles("police", *CASE_ROLES)],
)
async def list_incidents(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[IdentifyingText | None, Query(max_length=32)] = None,
    kind: Kind | None = None,
    team: Annotated[IdentifyingText | None, Query(max_length=64)] = None,
    indicator: Annotated[IdentifyingText | None, Query(max_length=40)] = None,
    location: Annotated[IdentifyingText | None, Query(max_length=120)] = None,
    young_person: Annotated[
        uuid.UUID | None, Query(description="Young person id (names go in POST /incidents/search)")
    ] = None,
    from_: Annotated[SearchInstant | None, Query(alias="from")] = None,
    to: Annotated[SearchInstant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[IdentifyingText | None, Query(max_length=200)] = None,
) -> IncidentPage:
    return await service.list_incidents(
        session,
        actor,
        state=state,
        kind=kind,
        team=team,
        indicator=indicator,
        location=location,
        young_person_id=young_person,
        from_=from_,
        to=to,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/incidents/search",
    response_model=IncidentPage,
    response_model_exclude_unset=True,
    dependencies=[roles(*CASE_ROLES)],
)
async def search_incidents(body: IncidentSearch, session: SessionDep, actor: CurrentActor) -> IncidentPage:
    return await service.list_incidents(
        session,
        actor,
        state=body.state,
        kind=body.kind,
        team=body.team,
        indicator=body.indicator,
        location=body.location,
        young_person_name=body.young_person_name,
        from_=body.from_,
        to=body.to,
        limit=body.limit,
        cursor=body.cursor,
    )


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentDetailOut,
    dependencies=[incident_roles(*CASE_ROLES, "admin")],
)
async def get_incident(incident_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> IncidentDetailOut:
    """The incident with its timeline, pages and offers. Case roles: their teams' incidents.
    Admins: only an incident whose page went uncovered (they were paged to take it); audited."""
    incident, ground = await incident_view.incident_to_read(session, actor, incident_id)
    return await incident_view.incident_detail(session, actor, incident, ground=ground)


@router.patch(
    "/incidents/{incident_id}",
    response_model=IncidentUpdated,
    dependencies=[incident_roles("police", *CASE_ROLES)],
    responses={
        412: {"description": "If-Match is not the current version"},
        428: {"description": "No If-Match"},
    },
)
async def update_incident(
    incident: StatusIncident,  # police of another station, or a case role off its teams: 404
    body: IncidentUpdate,
    session: SessionDep,
    actor: CurrentActor,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> Any:
    """Custody events (police of the station) or indicators disclosed to a worker; triage re-runs.

    With an `Idempotency-Key` (the PWA's outbox sends one per queued change), a replay of the
    same change (same incident, body and If-Match) gets the first answer again, marked
    `Idempotent-Replayed: true`, instead of a 412 for the version it already moved on; the key
    with another change is a 422. A request that fails (412, 422, 503) does not use up its key.
    """
    version = updates.parse_if_match(if_match)
    if version is None:
        raise PreconditionRequired('Send If-Match with the incident\'s version (its ETag), such as "2".')
    record = None
    if idempotency_key:
        claimed = await idempotency.claim(
            session,
            actor.id,
            "incidents.update",
            idempotency_key,
            idempotency.body_hash(
                {"incident": str(incident.id), "if_match": version, "body": body.model_dump(mode="json")}
            ),
        )
        if isinstance(claimed, idempotency.Replay):
            return JSONResponse(
                claimed.response,
                status_code=claimed.status_code,
                headers={"ETag": f'"{claimed.response["version"]}"', "Idempotent-Replayed": "true"},
            )
        record = claimed
    result = await updates.update_incident(session, actor, incident.id, body, version)
    response = result.as_response()
    if record is not None:
        await idempotency.complete(session, record, 200, response)
    return JSONResponse(response, headers={"ETag": f'"{result.incident.version}"'})


@router.get(
    "/incidents/{incident_id}/status",
    response_model=IncidentStatusOut,
    dependencies=[incident_roles("police", *CASE_ROLES)],
)
async def get_status(incident: StatusIncident, session: SessionDep, actor: CurrentActor) -> IncidentStatusOut:
    return await service.status_for(session, actor, incident)


@router.get(
    "/board", response_model=BoardOut, response_model_exclude_unset=True, dependencies=[roles("manager")]
)
async def manager_board(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    gap_days: Annotated[int, Query(ge=1, le=28)] = 3,
) -> BoardOut:
    """Unacknowledged and uncovered incidents, incidents no team took, and rota gaps."""
    return await board.board(
        session, actor, gap_days=gap_days, failure_threshold=settings.device_failure_threshold
    )
