"""Saved searches: a hub's standing questions, kept by name, run again whenever asked.

Who sees one: its owner, and the members of the team it is shared with. Only the owner
changes or deletes it. Another person's private search is a 404 (not revealed).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.errors import Forbidden, NotFound, ValidationFailed
from api.search import service
from api.search.models import SavedSearch
from api.search.schemas import IncidentQuery, SavedSearchIn, SavedSearchOut, SavedSearchUpdate
from api.teams.directory import Directory, directory


def _team_id(known: Directory, actor: Actor, slug: str) -> uuid.UUID:
    team = next((t for t in known.active_teams if t.slug == slug), None)
    if team is None:
        raise ValidationFailed.field("team", "unknown team")
    if team.id not in actor.team_ids:
        raise ValidationFailed.field("team", "not one of your teams")
    return team.id


async def out(session: AsyncSession, actor: Actor, saved: SavedSearch) -> SavedSearchOut:
    owner = await session.get(User, saved.owner_id)
    known = await directory(session)
    team = next((t for t in known.active_teams if t.id == saved.team_id), None)
    return SavedSearchOut(
        id=saved.id,
        name=saved.name,
        owner=owner.username if owner else "",
        mine=saved.owner_id == actor.id,
        team=team.slug if team else None,
        query=saved.query,
        version=saved.version,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )


def _visible(actor: Actor):
    return or_(
        col(SavedSearch.owner_id) == actor.id,
        col(SavedSearch.team_id).in_(list(actor.team_ids)),
    )


async def list_saved(session: AsyncSession, actor: Actor) -> list[SavedSearch]:
    rows = await session.execute(
        select(SavedSearch).where(_visible(actor)).order_by(col(SavedSearch.name), col(SavedSearch.id))
    )
    return list(rows.scalars())


async def get_visible(session: AsyncSession, actor: Actor, saved_id: uuid.UUID) -> SavedSearch:
    saved = (
        await session.execute(select(SavedSearch).where(col(SavedSearch.id) == saved_id, _visible(actor)))
    ).scalar_one_or_none()
    if saved is None:
        raise NotFound("No such saved search.")
    return saved


async def get_own(session: AsyncSession, actor: Actor, saved_id: uuid.UUID) -> SavedSearch:
    saved = await get_visible(session, actor, saved_id)
    if saved.owner_id != actor.id:
        raise Forbidden("Only its owner may change a saved search.")
    return saved


async def create(session: AsyncSession, actor: Actor, body: SavedSearchIn, now: datetime) -> SavedSearch:
    checked = await service.check(session, body.query, prefix="query.")
    team_id = _team_id(checked.known, actor, body.team) if body.team else None
    saved = SavedSearch(
        name=body.name,
        owner_id=actor.id,
        team_id=team_id,
        query=body.query.stored(),
        created_at=now,
        updated_at=now,
    )
    session.add(saved)
    audit.record(session, actor, "saved_search.create", resource_type="saved_search", resource_id=saved.id)
    return saved


async def update(
    session: AsyncSession,
    actor: Actor,
    saved: SavedSearch,
    body: SavedSearchUpdate,
    now: datetime,
) -> SavedSearch:
    if body.team is not None and body.private:
        raise ValidationFailed(
            "Check these fields: team, private",
            errors=[
                {"field": "team", "message": "give either team or private"},
                {"field": "private", "message": "give either team or private"},
            ],
        )
    if body.query is not None:
        await service.check(session, body.query, prefix="query.")
        saved.query = body.query.stored()
    if body.team is not None:
        saved.team_id = _team_id(await directory(session), actor, body.team)
    if body.private:
        saved.team_id = None
    if body.name is not None:
        saved.name = body.name
    saved.version += 1
    saved.updated_at = now
    audit.record(session, actor, "saved_search.update", resource_type="saved_search", resource_id=saved.id)
    return saved


async def delete(session: AsyncSession, actor: Actor, saved: SavedSearch) -> None:
    await session.delete(saved)
    audit.record(session, actor, "saved_search.delete", resource_type="saved_search", resource_id=saved.id)


def query_of(saved: SavedSearch) -> IncidentQuery:
    """The stored filters, as a query (a relative window stays relative until the run)."""
    return IncidentQuery.model_validate(saved.query)
