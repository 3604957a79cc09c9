"""Young people: read by the case roles of teams that had one of their incidents."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.flows import identity
from api.flows.access_log import AccessLogPage
from api.flows.person_view import person_access_log, set_monitoring, young_person_view
from api.people.schemas import (
    MergeOut,
    MonitoringIn,
    MonitoringOut,
    PossibleMatchesOut,
    PossibleMatchOut,
    YoungPersonOut,
)

router = APIRouter(prefix="/api/v1", tags=["young people"])


@router.get(
    "/young-people/{young_person_id}",
    response_model=YoungPersonOut,
    dependencies=[roles("worker", "day_team", "manager")],
)
async def get_young_person(
    young_person_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> YoungPersonOut:
    return await young_person_view(session, actor, young_person_id)


@router.get(
    "/young-people/{young_person_id}/access-log",
    response_model=AccessLogPage,
    dependencies=[roles("manager")],
    responses={404: {"description": "No such young person, or none of your teams' incidents"}},
)
async def young_person_access_log(
    young_person_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=20, description="next_cursor of the previous page")
    ] = None,
) -> AccessLogPage:
    """Who saw or changed this young person's data, when and through which route, newest first.

    For a manager of a team that had one of the child's incidents; the events of every team
    are shown (a subject access request or an investigation needs them all). Reading it is
    itself audited.
    """
    return await person_access_log(session, actor, young_person_id, limit=limit, cursor=cursor)


@router.put(
    "/young-people/{young_person_id}/monitoring",
    response_model=MonitoringOut,
    dependencies=[roles("worker", "day_team", "manager")],
    responses={404: {"description": "No such young person, or none of your teams' incidents"}},
)
async def put_monitoring(
    young_person_id: uuid.UUID, body: MonitoringIn, session: SessionDep, actor: CurrentActor
) -> MonitoringOut:
    """Equality monitoring: the child's ethnicity (ONS 2021 categories, or not recorded, or
    declined) and sex. Counted in the managers' disproportionality view; never used by triage.
    The change is audited (which fields, never their values)."""
    return await set_monitoring(session, actor, young_person_id, body)


NOT_IN_SCOPE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such young person, or none of your teams' incidents"}
}


@router.get(
    "/young-people/{young_person_id}/possible-matches",
    response_model=PossibleMatchesOut,
    dependencies=[roles("worker", "day_team", "manager")],
    responses=NOT_IN_SCOPE,
)
async def list_possible_matches(
    young_person_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> PossibleMatchesOut:
    """The child's records (merged ones included), the open possible matches with another
    record, and the merges that touched the child. Reading it is audited."""
    return await identity.possible_matches(session, actor, young_person_id)


@router.post(
    "/young-people/{young_person_id}/possible-matches/{match_id}/confirm",
    response_model=MergeOut,
    dependencies=[roles("worker", "manager")],
    responses={**NOT_IN_SCOPE, 409: {"description": "Already decided, or already one child"}},
)
async def confirm_possible_match(
    young_person_id: uuid.UUID, match_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> MergeOut:
    """Same child: the younger record's child is merged into the older one (nothing moves; a
    manager can undo it). Histories and missing counts then span both."""
    return await identity.confirm_match(session, actor, young_person_id, match_id)


@router.post(
    "/young-people/{young_person_id}/possible-matches/{match_id}/reject",
    response_model=PossibleMatchOut,
    dependencies=[roles("worker", "manager")],
    responses={**NOT_IN_SCOPE, 409: {"description": "Already decided"}},
)
async def reject_possible_match(
    young_person_id: uuid.UUID, match_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> PossibleMatchOut:
    """Not the same child: remembered, so the pair is never suggested again."""
    return await identity.reject_match(session, actor, young_person_id, match_id)


@router.post(
    "/young-people/{young_person_id}/merges/{merge_id}/undo",
    response_model=MergeOut,
    dependencies=[roles("manager")],
    responses={**NOT_IN_SCOPE, 409: {"description": "Already undone, or a later merge must be undone first"}},
)
async def undo_merge(
    young_person_id: uuid.UUID, merge_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> MergeOut:
    """Put the records back as they were before the merge; the possible match is open again."""
    return await identity.undo_merge(session, actor, young_person_id, merge_id)
