"""Demo data for search: the CCE hub's standing question, saved and shared with the city CCE team."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.search.models import SavedSearch
from api.teams.models import Team

NAME = "CCE indicators at transport hubs, last 28 days"
QUERY = {"indicator_categories": ["cce"], "place_types": ["transport_hub"], "last_days": 28}


async def seed_saved_searches(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (api.demo.DEMO_HOOKS): once, owned by the CCE day team's account."""
    owner = (await session.execute(select(User).where(col(User.username) == "day.cce"))).scalar_one_or_none()
    team = teams.get("city-cce")
    if owner is None or team is None:
        return
    found = await session.execute(
        select(col(SavedSearch.id)).where(
            col(SavedSearch.owner_id) == owner.id, col(SavedSearch.name) == NAME
        )
    )
    if found.first() is None:
        session.add(SavedSearch(name=NAME, owner_id=owner.id, team_id=team.id, query=dict(QUERY)))
