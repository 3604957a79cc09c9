"""Acknowledging a page: a person takes it (or says they cannot), and escalation stops.

A page is taken once. A second acknowledgement is a clear 409 that names who took it and
when. "cannot_attend" is recorded too, and moves the page to its next level at once.

Members of a paged team take their team's page. An admin who is not a member is paged only
when a page goes uncovered (every level unanswered), so an admin may take only the pages
that went uncovered: never a page still escalating through a team's levels (403).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.auth.revocations import RevocationCache
from api.auth.tokens import InvalidToken, authenticate
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from api.events.bus import LiveEvent, publish
from api.incidents import timeline
from api.incidents.models import Incident, IncidentState, IncidentTeam
from api.paging.escalation import OPEN_STATES, advance, incident_audience, lock_incident
from api.paging.models import Acknowledgement, Page, PageState
from api.platform.metrics import PAGE_ACK_SECONDS
from api.settings import Settings


@dataclass
class AckOutcome:
    incident: Incident
    by: User
    action: str
    at: datetime
    eta_minutes: int | None
    pages: list[Page] = field(default_factory=list)

    def as_response(self) -> dict:
        return {
            "state": self.incident.state,
            "action": self.action,
            "eta_minutes": self.eta_minutes,
            "acknowledged_by": {"id": str(self.by.id), "display_name": self.by.display_name},
            "acknowledged_at": self.at.isoformat(),
            "escalated": self.action == "cannot_attend",
            "pages": [{"id": str(p.id), "team_id": str(p.team_id), "state": p.state} for p in self.pages],
        }


async def _already_taken(session: AsyncSession, pages: list[Page]) -> Conflict:
    taken = sorted(
        (
            (p.acknowledged_at, p)
            for p in pages
            if p.state == PageState.ACKNOWLEDGED and p.acknowledged_at is not None
        ),
        key=lambda pair: pair[0],
    )
    if not taken:
        return Conflict("This incident is no longer being paged.")
    at, page = taken[0]
    by = await session.get(User, page.acknowledged_by_id) if page.acknowledged_by_id else None
    ack = (
        (
            await session.execute(
                select(Acknowledgement)
                .where(
                    col(Acknowledgement.page_id) == page.id, col(Acknowledgement.action) != "cannot_attend"
                )
                .order_by(col(Acknowledgement.at))
            )
        )
        .scalars()
        .first()
    )
    name = by.display_name if by else "someone"
    return Conflict(
        f"Already acknowledged by {name} at {at:%H:%M} UTC.",
        extra={
            "acknowledged_by": {"id": str(by.id), "display_name": by.display_name} if by else None,
            "acknowledged_at": at.isoformat(),
            "action": ack.action if ack else None,
            "eta_minutes": ack.eta_minutes if ack else None,
        },
    )


def check_action(action: str, eta_minutes: int | None) -> None:
    if action == "cannot_attend" and eta_minutes is not None:
        raise ValidationFailed.field("eta_minutes", "not with cannot_attend")


async def acknowledge(
    session: AsyncSession,
    incident_id: uuid.UUID,
    user: User,
    *,
    action: str,
    eta_minutes: int | None,
    team_ids: frozenset[uuid.UUID],
    is_admin: bool,
    page_id: uuid.UUID | None = None,
    via: str = "app",
    token_jti: str | None = None,
    now: datetime | None = None,
) -> AckOutcome:
    """Acknowledge the incident's open pages of the user's teams (an admin outside those
    teams: the pages that went uncovered), or only `page_id` when an ack token names it.

    Raises Conflict (naming who took it) when those pages were already acknowledged, and when
    a token was already used; Forbidden when an admin asks for an incident that never went
    uncovered.
    """
    now = now or utcnow()
    check_action(action, eta_minutes)
    if token_jti is not None:
        used = await session.execute(
            select(col(Acknowledgement.id)).where(col(Acknowledgement.token_jti) == token_jti)
        )
        if used.first() is not None:
            raise Conflict("This acknowledgement link was already used.")
    query = select(Page).where(col(Page.incident_id) == incident_id).order_by(col(Page.id)).with_for_update()
    pages = list((await session.execute(query.execution_options(populate_existing=True))).scalars())
    if page_id is not None:
        selected = [p for p in pages if p.id == page_id]
    else:
        selected = [p for p in pages if p.team_id in team_ids]
        if not selected and is_admin:
            selected = [p for p in pages if p.uncovered_at is not None]
            if not selected:
                raise Forbidden(
                    "Admins may acknowledge only an uncovered incident; this one is still being "
                    "paged to its teams."
                )
    if not selected:
        raise NotFound("Nothing to acknowledge: this incident is not being paged to your teams.")
    open_pages = [p for p in selected if p.state in OPEN_STATES]
    if not open_pages:
        raise await _already_taken(session, selected)
    incident = await lock_incident(session, incident_id)
    if incident is None:  # pragma: no cover - pages belong to incidents
        raise NotFound("No such incident.")

    jti = token_jti
    for page in open_pages:
        session.add(
            Acknowledgement(
                page_id=page.id,
                incident_id=incident_id,
                user_id=user.id,
                action=action,
                eta_minutes=eta_minutes,
                via=via,
                level_index=page.level_index,
                token_jti=jti,
                at=now,
            )
        )
        jti = None  # a token names one page; the column is unique
    await session.flush()

    audience = await incident_audience(session, incident)
    if action == "cannot_attend":
        for page in open_pages:
            timeline.add_event(
                session,
                incident_id,
                "page.declined",
                actor_id=user.id,
                team_id=page.team_id,
                detail={"page_id": str(page.id), "level": page.level_index},
            )
            if page.state == PageState.ACTIVE:
                await advance(session, page, now, reason="cannot attend")
        return AckOutcome(incident, user, action, now, None, open_pages)

    for page in open_pages:
        page.state = PageState.ACKNOWLEDGED
        page.acknowledged_at = now
        page.acknowledged_by_id = user.id
        page.updated_at = now
        PAGE_ACK_SECONDS.observe(max(0.0, (now - page.started_at).total_seconds()))
        timeline.add_event(
            session,
            incident_id,
            "page.acknowledged",
            actor_id=user.id,
            team_id=page.team_id,
            detail={"page_id": str(page.id), "action": action, "eta_minutes": eta_minutes, "via": via},
            police_visible=True,
        )
        publish(
            session,
            LiveEvent(
                "page.acknowledged",
                {"incident_id": str(incident_id), "page_id": str(page.id), "team_id": str(page.team_id)},
                audience,
            ),
        )
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by_id = user.id
        incident.acknowledged_action = action
        incident.eta_minutes = eta_minutes
        incident.updated_at = now
        incident.version += 1
    if incident.uncovered:
        # Someone has it now; the timeline keeps that it went uncovered first.
        incident.uncovered = False
    target = IncidentState.ATTENDING if action == "attending" else IncidentState.ACKNOWLEDGED
    if incident.state in (IncidentState.PAGING, IncidentState.UNCOVERED, IncidentState.REPORTED):
        timeline.move(session, incident, target, actor_id=user.id, detail={"action": action})
    elif incident.state == IncidentState.ACKNOWLEDGED and target == IncidentState.ATTENDING:
        timeline.move(session, incident, IncidentState.ATTENDING, actor_id=user.id, detail={"action": action})
    publish(session, LiveEvent("incident.updated", {"incident_id": str(incident_id)}, audience))
    return AckOutcome(incident, user, action, now, eta_minutes, open_pages)


async def incident_to_acknowledge(
    session: AsyncSession, incident_id: uuid.UUID, team_ids: frozenset[uuid.UUID], is_admin: bool
) -> Incident:
    """The incident, if it was routed to one of the caller's teams (or the caller is an admin,
    who is paged when an incident goes uncovered; `acknowledge` then allows only the pages
    that went uncovered). Otherwise 404: its existence is not revealed."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    if is_admin:
        return incident
    routed = await session.execute(
        select(col(IncidentTeam.id)).where(
            col(IncidentTeam.incident_id) == incident_id, col(IncidentTeam.team_id).in_(team_ids)
        )
    )
    if routed.first() is None:
        raise NotFound("No such incident.")
    return incident


async def acknowledge_with_token(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    action: str,
    eta_minutes: int | None,
    revocations: RevocationCache,
) -> tuple[AckOutcome, User]:
    """Acknowledge from a notification's action button: the single-use `ack_token` of the push
    payload is the credential (it names the person, the incident and the page)."""
    try:
        # A lost phone's links die with its sessions (sign-out everywhere, an admin's revocation).
        claims = await authenticate(settings, token, session=session, revocations=revocations, purpose="ack")
        page_id = uuid.UUID(str(claims.claims["page_id"]))
        incident_id = uuid.UUID(str(claims.claims["incident_id"]))
    except (InvalidToken, KeyError, ValueError):
        raise Unauthorized(
            "This acknowledgement link is not valid or has expired; open Lantern instead."
        ) from None
    user = await session.get(User, claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("This acknowledgement link is not valid or has expired; open Lantern instead.")
    outcome = await acknowledge(
        session,
        incident_id,
        user,
        action=action,
        eta_minutes=eta_minutes,
        team_ids=frozenset(),
        is_admin=False,
        page_id=page_id,
        via="push",
        token_jti=claims.token_id,
    )
    return outcome, user
