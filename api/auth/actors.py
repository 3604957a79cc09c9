"""The signed-in user and their teams, as every authenticated request needs them.

Read on every request and changed rarely, so kept in a short per-process cache
(api.platform.cache): a change to a user or a membership made in this process (deactivation,
new roles, a team joined or left) applies to the next request at once; one made by another
process (another replica, the CLI) within `ACTOR_TTL_SECONDS`. Each request gets its own
copy of the user, attached to its session as if it had been read there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from api.auth.models import Membership, User
from api.db import table_of
from api.platform.cache import MISSING, ProcessCache

ACTOR_TTL_SECONDS = 5.0
_actors = ProcessCache("actors", (User, Membership), ACTOR_TTL_SECONDS)


@dataclass(frozen=True)
class _Snapshot:
    user: User  # detached, never attached to a session: each request merges its own copy
    team_ids: frozenset[uuid.UUID]


async def user_and_teams(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[User, frozenset[uuid.UUID]] | None:
    """The user (active or not) and the ids of their teams, or None for an unknown user."""
    cached = _actors.get(session, user_id)
    if cached is not MISSING:
        user = await session.merge(cached.user, load=False)  # no SQL: the copy is taken as read
        set_committed_value(user, "roles", list(user.roles))  # not shared with the snapshot
        return user, cached.team_ids
    generation = _actors.generation
    # The user and their teams in one round trip.
    rows = (
        await session.execute(
            select(User, col(Membership.team_id))
            .outerjoin(Membership, col(Membership.user_id) == col(User.id))
            .where(col(User.id) == user_id)
        )
    ).all()
    if not rows:
        return None
    user = rows[0][0]
    team_ids = frozenset(team_id for _, team_id in rows if team_id is not None)
    columns = {c.key: getattr(user, c.key) for c in table_of(User).columns}
    snapshot = User(**{**columns, "roles": list(user.roles)})
    make_transient_to_detached(snapshot)
    _actors.put(session, user_id, _Snapshot(snapshot, team_ids), generation)
    return user, team_ids
