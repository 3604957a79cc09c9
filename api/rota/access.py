"""Who may see or manage a team's rota and escalation policy.

Admins: every team. Managers: manage the teams they belong to. Workers and day team: read
the teams they belong to. Anyone else gets 403; an unknown team is 404.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Forbidden, NotFound
from api.teams.models import Team

if TYPE_CHECKING:
    from api.auth.dependencies import Actor


async def team_to_read(session: AsyncSession, actor: Actor, team_id: uuid.UUID) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    if actor.has("admin") or team_id in actor.team_ids:
        return team
    raise Forbidden("You are not a member of this team.")


async def team_to_manage(session: AsyncSession, actor: Actor, team_id: uuid.UUID) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    if actor.has("admin") or (actor.has("manager") and team_id in actor.team_ids):
        return team
    raise Forbidden("Only the team's managers and admins manage its rota and escalation.")
