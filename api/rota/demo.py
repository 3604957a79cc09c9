"""Demo rotas: every demo team has somebody on call now (its escalation policy: api.paging.demo).

A weekly rotation of the team's workers at primary (Monday 09:00 hand-offs, started weeks ago)
and the same workers one step behind at secondary (the team's managers where a team has one
worker). Teams that already have rotations are left alone, so it runs twice safely.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.rota import service as rota
from api.rota.models import Rotation
from api.rota.schedule import LONDON
from api.teams.models import Membership, Team

WEEK_HOURS = 24 * 7


def _first_hand_off(now: datetime) -> datetime:
    """Monday 09:00 London wall time, four weeks before this week's Monday."""
    local = now.astimezone(LONDON)
    monday = (local - timedelta(days=local.weekday())).date() - timedelta(weeks=4)
    return datetime(monday.year, monday.month, monday.day, 9, 0)


async def seed_rotas(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (see api.demo.DEMO_HOOKS)."""
    start = _first_hand_off(datetime.now(LONDON))
    for team in teams.values():
        has_rotation = (
            await session.execute(select(col(Rotation.id)).where(col(Rotation.team_id) == team.id))
        ).first()
        if has_rotation is not None:
            continue
        rows = await session.execute(
            select(User)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(col(Membership.team_id) == team.id, col(User.active).is_(True))
            .order_by(User.username)
        )
        members = list(rows.scalars())
        workers = [u.id for u in members if "worker" in u.roles]
        managers = [u.id for u in members if "manager" in u.roles]
        if not workers:
            continue
        secondary = workers[1:] + workers[:1] if len(workers) > 1 else managers
        for level, people in (("primary", workers), ("secondary", secondary)):
            if people:
                await rota.create_rotation(
                    session,
                    team,
                    name=f"Demo weekly {level}",
                    level=level,
                    members=people,
                    start_local=start,
                    length_hours=WEEK_HOURS,
                    ends_local=None,
                    created_by_id=None,
                )
