"""Young people: read by the case roles of teams that had one of their incidents."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.flows.person_view import young_person_view

router = APIRouter(prefix="/api/v1", tags=["young people"])


@router.get("/young-people/{young_person_id}", dependencies=[roles("worker", "day_team", "manager")])
async def get_young_person(
    young_person_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    return await young_person_view(session, actor, young_person_id)
