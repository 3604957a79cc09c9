"""Young people: read by the case roles of teams that had one of their incidents."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import exists, select

from api.audit import service as audit
from api.audit.access_log import AccessLogPage, access_log
from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.errors import NotFound
from api.incidents.access import team_scope
from api.incidents.models import Incident
from api.people.models import YoungPerson

router = APIRouter(prefix="/api/v1", tags=["young people"])


@router.get("/young-people/{young_person_id}", dependencies=[roles("worker", "day_team", "manager")])
async def get_young_person(
    young_person_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    person = await session.get(YoungPerson, young_person_id)
    incidents = []
    if person is not None:
        incidents = (
            (
                await session.execute(
                    select(Incident)
                    .where(Incident.young_person_id == person.id, team_scope(actor))
                    .order_by(Incident.occurred_at.desc())
                )
            )
            .scalars()
            .all()
        )
    if person is None or not incidents:
        raise NotFound("No such young person.")
    audit.record(
        session,
        actor,
        "young_person.read",
        resource_type="young_person",
        resource_id=person.id,
        young_person_id=person.id,
    )
    return {
        "id": str(person.id),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "aliases": person.aliases,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "apparent_age": person.apparent_age,
        "gender": person.gender,
        "la_reference": person.la_reference,
        "legal_status": person.legal_status,
        "learning_disability": person.learning_disability,
        "incidents": [
            {
                "id": str(i.id),
                "reference": i.reference,
                "kind": i.kind,
                "occurred_at": i.occurred_at.isoformat(),
                "state": i.state,
                "priority": i.priority,
            }
            for i in incidents
        ],
    }


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
    in_scope = await session.scalar(
        select(exists().where(Incident.young_person_id == young_person_id, team_scope(actor)))
    )
    if not in_scope:
        raise NotFound("No such young person.")
    page = await access_log(session, young_person_id, limit=limit, cursor=cursor)
    audit.record(
        session,
        actor,
        "young_person.access_log.read",
        resource_type="young_person",
        resource_id=young_person_id,
        young_person_id=young_person_id,
        detail={"entries": len(page.items)},
    )
    return page
