"""The duty manager's board: what is unanswered, uncovered or unrouted (incidents), and the rota
gaps ahead (paging: the rota and the devices). A read model above both."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.incidents.access import team_scope
from api.incidents.models import Incident, IncidentState
from api.incidents.schemas import BoardItem, BoardOut, BoardPage, RotaGapOut, TeamOfIncident
from api.incidents.service import summaries
from api.paging.gaps import find_gaps
from api.paging.service import being_paged
from api.teams.models import Team

UNANSWERED = (IncidentState.REPORTED, IncidentState.PAGING)
BOARD_LIMIT = 100


async def board(session: AsyncSession, actor: Actor, *, gap_days: int, failure_threshold: int) -> BoardOut:
    """Unacknowledged and uncovered incidents of the manager's teams, incidents no team
    took (flagged for every manager), and gaps in the teams' rotas for `gap_days`."""
    newest_first = (col(Incident.reported_at).desc(), col(Incident.id).desc())
    unacknowledged = (
        (
            await session.execute(
                select(Incident)
                .where(team_scope(actor), col(Incident.state).in_(UNANSWERED))
                .order_by(*newest_first)
                .limit(BOARD_LIMIT)
            )
        )
        .scalars()
        .all()
    )
    uncovered = (
        (
            await session.execute(
                select(Incident)
                .where(team_scope(actor), col(Incident.state) == IncidentState.UNCOVERED)
                .order_by(*newest_first)
                .limit(BOARD_LIMIT)
            )
        )
        .scalars()
        .all()
    )
    needs_review = (
        (
            await session.execute(
                select(Incident)
                .where(
                    col(Incident.needs_manager_review).is_(True),
                    col(Incident.state).notin_((IncidentState.CLOSED,)),
                )
                .order_by(*newest_first)
                .limit(BOARD_LIMIT)
            )
        )
        .scalars()
        .all()
    )
    start = utcnow()
    end = start + timedelta(days=gap_days)
    rota_gaps: list[RotaGapOut] = []
    teams = (
        await session.execute(select(Team).where(col(Team.id).in_(actor.team_ids)).order_by(col(Team.slug)))
    ).scalars()
    for team in teams:
        for gap in await find_gaps(session, team.id, start, end, failure_threshold=failure_threshold):
            rota_gaps.append(
                RotaGapOut(
                    team=TeamOfIncident(id=str(team.id), slug=team.slug, name=team.name),
                    level=gap.level,
                    starts_at=gap.starts_at.isoformat(),
                    ends_at=gap.ends_at.isoformat(),
                    reason=gap.reason,
                    user_id=str(gap.user_id) if gap.user_id else None,
                )
            )
    shown = [*unacknowledged, *uncovered, *needs_review]
    audit.record(
        session,
        actor,
        "board.read",
        resource_type="incident",
        detail={"incident_ids": sorted({str(i.id) for i in shown})},
        subjects=[i.young_person_id for i in shown],
    )
    paging = await being_paged(session, [i.id for i in [*unacknowledged, *uncovered]])

    async def with_pages(incidents: list[Incident]) -> list[BoardItem]:
        # By id: summaries() puts live incidents first, so its order need not be the query's.
        return [
            BoardItem(
                **dict(summary),
                pages=[BoardPage.model_validate(p) for p in paging.get(uuid.UUID(summary.id), [])],
            )
            for summary in await summaries(session, incidents)
        ]

    return BoardOut(
        unacknowledged=await with_pages(list(unacknowledged)),
        uncovered=await with_pages(list(uncovered)),
        needs_review=await summaries(session, list(needs_review)),
        rota_gaps=rota_gaps,
    )
