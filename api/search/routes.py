"""Search routes: one query over incidents, its CSV, saved searches. Case roles only.

The filters travel in bodies (never a URL: a young person's id is case data too); CSV
filenames carry the time of the export only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.auth.dependencies import CurrentActor, roles
from api.db import utcnow
from api.deps import SessionDep
from api.search import saved as saved_searches
from api.search import service
from api.search.schemas import (
    ExportRequest,
    IncidentQuery,
    PageRequest,
    QueryRequest,
    SavedSearchIn,
    SavedSearchList,
    SavedSearchOut,
    SavedSearchUpdate,
    SearchResults,
)

router = APIRouter(prefix="/api/v1", tags=["search"])
SEARCH_ROLES = ("worker", "day_team", "manager", "coordinator")
SavedId = Annotated[uuid.UUID, Path()]
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "One row per incident, newest first"}
}
_FILTERS = set(IncidentQuery.model_fields)


def _filters(body: IncidentQuery) -> IncidentQuery:
    return IncidentQuery.model_validate(body.model_dump(include=_FILTERS))


def _csv_response(text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{service.export_filename(utcnow())}"',
            "Cache-Control": "no-store",
        },
    )


# The contract's names (`POST /search`, `GET|POST /searches`) and the longer ones the PWA uses
# serve the same handlers.
@router.post("/search", response_model=SearchResults, dependencies=[roles(*SEARCH_ROLES)])
@router.post("/incidents/query", response_model=SearchResults, dependencies=[roles(*SEARCH_ROLES)])
async def query_incidents(body: QueryRequest, session: SessionDep, actor: CurrentActor) -> SearchResults:
    """Incidents of your teams matching every filter given, newest first; audited per child shown."""
    return await service.search(
        session, actor, _filters(body), now=utcnow(), limit=body.limit, cursor=body.cursor
    )


@router.post(
    "/incidents/query.csv",
    response_class=Response,
    dependencies=[roles(*SEARCH_ROLES)],
    responses=_CSV,
)
async def export_incidents(body: ExportRequest, session: SessionDep, actor: CurrentActor) -> Response:
    """The same search as CSV (at most `limit` rows); the export is audited per child."""
    text = await service.export_csv(session, actor, _filters(body), now=utcnow(), limit=body.limit)
    return _csv_response(text)


@router.get("/searches", response_model=SavedSearchList, dependencies=[roles(*SEARCH_ROLES)])
@router.get("/saved-searches", response_model=SavedSearchList, dependencies=[roles(*SEARCH_ROLES)])
async def list_saved(session: SessionDep, actor: CurrentActor) -> SavedSearchList:
    """Your saved searches and those shared with your teams."""
    rows = await saved_searches.list_saved(session, actor)
    return SavedSearchList(items=[await saved_searches.out(session, actor, s) for s in rows])


@router.post("/searches", status_code=201, response_model=SavedSearchOut, dependencies=[roles(*SEARCH_ROLES)])
@router.post(
    "/saved-searches", status_code=201, response_model=SavedSearchOut, dependencies=[roles(*SEARCH_ROLES)]
)
async def create_saved(body: SavedSearchIn, session: SessionDep, actor: CurrentActor) -> SavedSearchOut:
    saved = await saved_searches.create(session, actor, body, utcnow())
    return await saved_searches.out(session, actor, saved)


@router.get("/saved-searches/{saved_id}", response_model=SavedSearchOut, dependencies=[roles(*SEARCH_ROLES)])
async def get_saved(saved_id: SavedId, session: SessionDep, actor: CurrentActor) -> SavedSearchOut:
    return await saved_searches.out(
        session, actor, await saved_searches.get_visible(session, actor, saved_id)
    )


@router.patch(
    "/saved-searches/{saved_id}",
    response_model=SavedSearchOut,
    dependencies=[roles(*SEARCH_ROLES)],
    responses={403: {"description": "Not its owner"}},
)
async def update_saved(
    saved_id: SavedId, body: SavedSearchUpdate, session: SessionDep, actor: CurrentActor
) -> SavedSearchOut:
    """Rename, change the filters, share with a team or stop sharing (owner only)."""
    saved = await saved_searches.get_own(session, actor, saved_id)
    saved = await saved_searches.update(session, actor, saved, body, utcnow())
    return await saved_searches.out(session, actor, saved)


@router.delete(
    "/saved-searches/{saved_id}",
    status_code=204,
    response_class=Response,
    dependencies=[roles(*SEARCH_ROLES)],
    responses={403: {"description": "Not its owner"}},
)
async def delete_saved(saved_id: SavedId, session: SessionDep, actor: CurrentActor) -> Response:
    await saved_searches.delete(session, actor, await saved_searches.get_own(session, actor, saved_id))
    return Response(status_code=204)


@router.post(
    "/saved-searches/{saved_id}/run", response_model=SearchResults, dependencies=[roles(*SEARCH_ROLES)]
)
async def run_saved(
    saved_id: SavedId, body: PageRequest, session: SessionDep, actor: CurrentActor
) -> SearchResults:
    """Run a saved search now (a relative window counts back from now); audited per child shown."""
    saved = await saved_searches.get_visible(session, actor, saved_id)
    return await service.search(
        session,
        actor,
        saved_searches.query_of(saved),
        now=utcnow(),
        limit=body.limit,
        cursor=body.cursor,
        saved_search_id=saved.id,
    )


@router.get(
    "/saved-searches/{saved_id}/results.csv",
    response_class=Response,
    dependencies=[roles(*SEARCH_ROLES)],
    responses=_CSV,
)
async def export_saved(saved_id: SavedId, session: SessionDep, actor: CurrentActor) -> Response:
    """A saved search's results now, as CSV (at most 5000 rows); audited per child."""
    saved = await saved_searches.get_visible(session, actor, saved_id)
    text = await service.export_csv(
        session, actor, saved_searches.query_of(saved), now=utcnow(), limit=5000, saved_search_id=saved.id
    )
    return _csv_response(text)
