"""Reading partner concerns: a partner sees what they reported, a hub what reached its teams.

Every read is audited. A concern names no child, so the events carry no subjects.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.partners.models import ConcernTeam, PartnerConcern
from api.partners.schemas import ConcernOut, HubView
from api.teams.directory import directory

HUB_ROLES = ("worker", "day_team", "manager", "coordinator")


def new_reference(now: datetime) -> str:
    return f"CON-{now.year}-{secrets.token_hex(3).upper()}"


def _hub_scope(actor: Actor):
    return exists().where(
        col(ConcernTeam.concern_id) == col(PartnerConcern.id), col(ConcernTeam.team_id).in_(actor.team_ids)
    )


def _is_hub(actor: Actor) -> bool:
    return actor.has(*HUB_ROLES) and bool(actor.team_ids)


async def visible(session: AsyncSession, actor: Actor, concern_id: uuid.UUID) -> PartnerConcern:
    """The concern when the actor reported it, or it reached one of their teams; else 404."""
    stmt = select(PartnerConcern).where(col(PartnerConcern.id) == concern_id)
    if _is_hub(actor):
        stmt = stmt.where(_hub_scope(actor))
    elif actor.has("partner"):
        stmt = stmt.where(col(PartnerConcern.reporter_id) == actor.id)
    else:
        raise NotFound("No such concern.")
    concern = (await session.execute(stmt)).scalar_one_or_none()
    if concern is None:
        raise NotFound("No such concern.")
    return concern


async def views(session: AsyncSession, actor: Actor, concerns: Sequence[PartnerConcern]) -> list[ConcernOut]:
    known = await directory(session)
    areas = known.area_by_id()
    slugs = {t.id: t.slug for t in known.active_teams}
    hub = _is_hub(actor)
    teams_of: dict[uuid.UUID, list[str]] = {c.id: [] for c in concerns}
    reporters: dict[uuid.UUID, str] = {}
    if hub and concerns:
        for concern_id, team_id in await session.execute(
            select(col(ConcernTeam.concern_id), col(ConcernTeam.team_id)).where(
                col(ConcernTeam.concern_id).in_(list(teams_of))
            )
        ):
            teams_of[concern_id].append(slugs.get(team_id, str(team_id)))
        named = {c.reporter_id for c in concerns} | {c.closed_by_id for c in concerns if c.closed_by_id}
        for uid, username in await session.execute(
            select(col(User.id), col(User.username)).where(col(User.id).in_(named))
        ):
            reporters[uid] = username
    return [
        ConcernOut(
            id=c.id,
            reference=c.reference,
            state=c.state,
            organisation=c.organisation,
            about=c.about,
            area=areas[c.area_id].slug if c.area_id in areas else str(c.area_id),
            location=c.location_description,
            peer_group=c.peer_group_description,
            indicators=list(c.indicators),
            youngest_apparent_age=c.youngest_apparent_age,
            observed_at=c.observed_at,
            reported_at=c.reported_at,
            details=c.details,
            hub=HubView(
                reporter=reporters.get(c.reporter_id, ""),
                priority=c.priority,
                reasons=list(c.triage.get("reasons", [])),
                teams=sorted(teams_of[c.id]),
                paged=c.paged,
                needs_manager_review=c.needs_manager_review,
                closed_at=c.closed_at,
                closed_by=reporters.get(c.closed_by_id) if c.closed_by_id else None,
                closing_note=c.closing_note,
            )
            if hub
            else None,
        )
        for c in concerns
    ]


async def read(session: AsyncSession, actor: Actor, concern_id: uuid.UUID) -> ConcernOut:
    concern = await visible(session, actor, concern_id)
    audit.record(
        session, actor, "partner_concern.read", resource_type="partner_concern", resource_id=concern.id
    )
    [view] = await views(session, actor, [concern])
    return view


async def close(session: AsyncSession, actor: Actor, concern_id: uuid.UUID, note: str) -> ConcernOut:
    """The hub closes a concern that reached one of its teams, with what it did; once only."""
    if not _is_hub(actor):
        raise NotFound("No such concern.")
    concern = await visible(session, actor, concern_id)
    if concern.state == "closed":
        raise Conflict("This concern is already closed.")
    concern.state = "closed"
    concern.closed_at = utcnow()
    concern.closed_by_id = actor.id
    concern.closing_note = note
    audit.record(
        session, actor, "partner_concern.close", resource_type="partner_concern", resource_id=concern.id
    )
    [view] = await views(session, actor, [concern])
    return view


async def mine(session: AsyncSession, actor: Actor, limit: int) -> list[ConcernOut]:
    """A partner's own concerns, newest first."""
    rows = (
        await session.execute(
            select(PartnerConcern)
            .where(col(PartnerConcern.reporter_id) == actor.id)
            .order_by(col(PartnerConcern.reported_at).desc(), col(PartnerConcern.id).desc())
            .limit(limit)
        )
    ).scalars()
    concerns = list(rows)
    audit.record(
        session,
        actor,
        "partner_concern.list",
        resource_type="partner_concern",
        detail={"concern_ids": [str(c.id) for c in concerns]},
    )
    return await views(session, actor, concerns)


async def hub_queue(
    session: AsyncSession, actor: Actor, *, team: str | None, state: str | None, limit: int
) -> list[ConcernOut]:
    """The concerns that reached the actor's teams (or one of them), P1 first, then newest."""
    stmt = select(PartnerConcern).where(_hub_scope(actor))
    if team is not None:
        entry = next((t for t in (await directory(session)).active_teams if t.slug == team), None)
        if entry is None or entry.id not in actor.team_ids:
            raise ValidationFailed.field("team", "not one of your teams")
        stmt = stmt.where(
            exists().where(
                col(ConcernTeam.concern_id) == col(PartnerConcern.id), col(ConcernTeam.team_id) == entry.id
            )
        )
    if state is not None:
        stmt = stmt.where(col(PartnerConcern.state) == state)
    stmt = stmt.order_by(
        col(PartnerConcern.priority), col(PartnerConcern.reported_at).desc(), col(PartnerConcern.id).desc()
    ).limit(limit)
    concerns = list((await session.execute(stmt)).scalars())
    audit.record(
        session,
        actor,
        "partner_concern.list",
        resource_type="partner_concern",
        detail={"concern_ids": [str(c.id) for c in concerns]},
    )
    return await views(session, actor, concerns)
