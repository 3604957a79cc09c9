"""Escalation policies: ordered levels, an ack timeout each, and a repeat count.

What a page copies when it starts is read from a short per-process cache of every team's
policy (api.platform.cache): a policy changed in this process applies to the next page at
once, one changed by another process within `POLICY_TTL_SECONDS`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.db import utcnow
from api.errors import ValidationFailed
from api.paging.models import EscalationPolicy
from api.platform.cache import MISSING, ProcessCache
from api.teams.models import Membership

POLICY_TTL_SECONDS = 5.0
_policies = ProcessCache("escalation_policies", (EscalationPolicy,), POLICY_TTL_SECONDS)


def default_policy(ack_timeout_seconds: int = 300) -> dict[str, Any]:
    """For a team that set none: primary, then secondary, then the managers; no repeat."""
    return {
        "levels": [
            {"target": target, "ack_timeout_seconds": ack_timeout_seconds}
            for target in ("primary", "secondary", "managers")
        ],
        "repeat": 0,
    }


async def policy_of(session: AsyncSession, team_id: uuid.UUID) -> EscalationPolicy | None:
    return (
        await session.execute(select(EscalationPolicy).where(col(EscalationPolicy.team_id) == team_id))
    ).scalar_one_or_none()


async def effective_policy(session: AsyncSession, team_id: uuid.UUID, default_timeout: int) -> dict[str, Any]:
    """What a page starting now copies: the team's policy, or the default."""
    return (await effective_policies(session, [team_id], default_timeout))[team_id]


async def effective_policies(
    session: AsyncSession, team_ids: list[uuid.UUID], default_timeout: int
) -> dict[uuid.UUID, dict[str, Any]]:
    """`effective_policy` of several teams (fresh copies, the caller's to keep)."""
    policies = await _all_policies(session)
    return {
        team_id: _copy(policies[team_id]) if team_id in policies else default_policy(default_timeout)
        for team_id in team_ids
    }


async def _all_policies(session: AsyncSession) -> dict[uuid.UUID, dict[str, Any]]:
    """Every team's policy (one per team, so a small table), from the cache or one query."""
    cached = _policies.get(session, "all")
    if cached is not MISSING:
        return cached
    generation = _policies.generation
    rows = (
        await session.execute(
            select(col(EscalationPolicy.team_id), col(EscalationPolicy.levels), col(EscalationPolicy.repeat))
        )
    ).all()
    loaded = {team_id: {"levels": levels, "repeat": repeat} for team_id, levels, repeat in rows}
    _policies.put(session, "all", loaded, generation)
    return loaded


def _copy(policy: dict[str, Any]) -> dict[str, Any]:
    return {"levels": [dict(level) for level in policy["levels"]], "repeat": policy["repeat"]}


async def _check_named_people(
    session: AsyncSession, team_id: uuid.UUID, levels: list[dict[str, Any]]
) -> None:
    """A `person` level names an active member of the team; other levels name nobody."""
    named = {str(level["user_id"]) for level in levels if level.get("user_id")}
    members: set[str] = set()
    if named:
        rows = await session.execute(
            select(col(User.id))
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(
                col(Membership.team_id) == team_id,
                col(User.active).is_(True),
                col(User.id).in_([uuid.UUID(u) for u in named]),
            )
        )
        members = {str(uid) for uid in rows.scalars()}
    errors = []
    for i, level in enumerate(levels):
        user_id = level.get("user_id")
        if level["target"] == "person":
            if not user_id:
                errors.append({"field": f"levels.{i}.user_id", "message": "name the person to page"})
            elif str(user_id) not in members:
                errors.append(
                    {"field": f"levels.{i}.user_id", "message": "not an active member of this team"}
                )
        elif user_id:
            errors.append({"field": f"levels.{i}.user_id", "message": "only a `person` level names someone"})
    if errors:
        raise ValidationFailed("A level names nobody it can page.", errors=errors)


async def set_policy(
    session: AsyncSession,
    team_id: uuid.UUID,
    *,
    levels: list[dict[str, Any]],
    repeat: int,
    min_ack_timeout_seconds: int,
    updated_by_id: uuid.UUID | None,
) -> EscalationPolicy:
    """Replace the team's policy. Live pages keep the copy they started with."""
    errors = [
        {"field": f"levels.{i}.ack_timeout_seconds", "message": f"must be at least {min_ack_timeout_seconds}"}
        for i, level in enumerate(levels)
        if level["ack_timeout_seconds"] < min_ack_timeout_seconds
    ]
    if errors:
        raise ValidationFailed("An ack timeout is too short.", errors=errors)
    await _check_named_people(session, team_id, levels)
    policy = await policy_of(session, team_id)
    if policy is None:
        policy = EscalationPolicy(team_id=team_id, levels=levels, repeat=repeat, updated_by_id=updated_by_id)
        session.add(policy)
    else:
        policy.levels = levels
        policy.repeat = repeat
        policy.version += 1
        policy.updated_by_id = updated_by_id
        policy.updated_at = utcnow()
    await session.flush()
    return policy
