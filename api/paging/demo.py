"""Demo escalation policies: every demo team without one gets the default policy (runs twice safely)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.paging.policy import default_policy, policy_of, set_policy
from api.teams.models import Team


async def seed_policies(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (see api.demo.DEMO_HOOKS)."""
    for team in teams.values():
        if await policy_of(session, team.id) is None:
            policy = default_policy()
            await set_policy(
                session,
                team.id,
                levels=policy["levels"],
                repeat=policy["repeat"],
                min_ack_timeout_seconds=1,
                updated_by_id=None,
            )
