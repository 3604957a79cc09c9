"""Who may see which incident: one place, used by every incident route.

Workers, day teams and managers see incidents routed to their teams; police see only
the response status of their own station's reports; admins see no case content.
An incident the caller may not see is a 404, so its existence is not revealed.

Every route scoped to one incident names its roles with `incident_roles(...)` instead of
`roles(...)`: the same guard, except that police asking about another station's incident
(or one that does not exist) get the 404 of `/status`, never a 403 that would tell them
the id is real. Police asking for more than the status of their own station's incident
get 403 (they know it exists; their role does not reach case content).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.dependencies import Actor, CurrentActor, RoleGuard
from api.deps import SessionDep
from api.errors import Forbidden, NotFound
from api.incidents.models import Incident, IncidentTeam

CASE_ROLES = ("worker", "day_team", "manager")


def team_scope(actor: Actor):
    """A SQL condition: the incident is routed to one of the actor's teams."""
    return exists().where(
        col(IncidentTeam.incident_id) == col(Incident.id), col(IncidentTeam.team_id).in_(actor.team_ids)
    )


async def may_see_case(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> bool:
    if not actor.has(*CASE_ROLES) or not actor.team_ids:
        return False
    row = await session.execute(
        select(col(IncidentTeam.id)).where(
            col(IncidentTeam.incident_id) == incident_id, col(IncidentTeam.team_id).in_(actor.team_ids)
        )
    )
    return row.first() is not None


async def _case_incident(
    incident_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None or not await may_see_case(session, actor, incident_id):
        raise NotFound("No such incident.")
    return incident


async def _status_incident(
    incident_id: Annotated[uuid.UUID, Path()], session: SessionDep, actor: CurrentActor
) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    if actor.has("police") and actor.station_id == incident.station_id:
        return incident
    if await may_see_case(session, actor, incident_id):
        return incident
    raise NotFound("No such incident.")


CaseIncident = Annotated[Incident, Depends(_case_incident)]
StatusIncident = Annotated[Incident, Depends(_status_incident)]


def incident_roles(*allowed: str):
    """Route dependency for a route with an `{incident_id}`: the caller must hold one of
    `allowed`; police who do not are answered 404 for any incident not of their station."""
    guard = RoleGuard(allowed)

    async def _guarded(
        incident_id: Annotated[uuid.UUID, Path()],
        session: SessionDep,
        actor: CurrentActor,
    ) -> None:
        if actor.has(*allowed):
            return
        if actor.has("police"):
            station_id = (
                await session.execute(select(col(Incident.station_id)).where(col(Incident.id) == incident_id))
            ).scalar_one_or_none()
            if station_id is None or station_id != actor.station_id:
                raise NotFound("No such incident.")
        raise Forbidden("Your role does not allow this.")

    # Markers read by the route-role and police-scope tests; mypy does not model function attributes.
    _guarded.role_guard = guard  # type: ignore[attr-defined]
    _guarded.incident_scoped = True  # type: ignore[attr-defined]
    return Depends(_guarded)
