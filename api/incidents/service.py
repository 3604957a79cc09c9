"""Reading incidents: lists, search and the police status view, scoped and audited.

The full incident view (with pages, support and clocks) is a read model in api.flows.incident_view.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.errors import ValidationFailed
from api.incidents.access import team_scope
from api.incidents.models import Incident, IncidentIndicator, IncidentState, IncidentTeam, TimelineEvent
from api.incidents.schemas import (
    IncidentItem,
    IncidentPage,
    IncidentStatusOut,
    PublicTimelineEntry,
    StatusTeam,
    TeamOfIncident,
    YoungPersonRef,
)
from api.people.models import YoungPerson
from api.people.queries import young_people_by_id
from api.people.service import normalise_name
from api.teams.models import Station, Team
from api.triage.catalogue import codes_meaning

# Newly reported, paging and uncovered incidents come first in an inbox.
LIVE_STATES = (IncidentState.REPORTED, IncidentState.PAGING, IncidentState.UNCOVERED)


def encode_cursor(incident: Incident) -> str:
    raw = f"{incident.reported_at.isoformat()}|{incident.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.field("cursor", "not a cursor from this API") from exc


async def list_incidents(
    session: AsyncSession,
    actor: Actor,
    *,
    state: str | None = None,
    kind: str | None = None,
    team: str | None = None,
    indicator: str | None = None,
    location: str | None = None,
    young_person_id: uuid.UUID | None = None,
    young_person_name: str | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> IncidentPage:
    """Incidents the actor may see, newest first, with a stable keyset cursor: police see the
    status fields only, case roles the summary."""
    police = actor.has("police") and not actor.has("worker", "day_team", "manager")
    query = select(Incident)
    if police:
        query = query.where(col(Incident.station_id) == actor.station_id)
    else:
        query = query.where(team_scope(actor))
    if state:
        query = query.where(col(Incident.state) == state)
    if kind:
        query = query.where(col(Incident.kind) == kind)
    if team:
        query = query.where(
            exists().where(
                col(IncidentTeam.incident_id) == col(Incident.id),
                col(IncidentTeam.team_id)
                == select(col(Team.id)).where(col(Team.slug) == team).scalar_subquery(),
            )
        )
    if indicator:
        query = query.where(
            exists().where(
                col(IncidentIndicator.incident_id) == col(Incident.id),
                # A current code also finds the deprecated code it replaced (catalogue v3).
                col(IncidentIndicator.code).in_(codes_meaning(indicator)),
            )
        )
    if location:
        query = query.where(
            col(Incident.location_description).ilike(f"%{_escape_like(location)}%", escape="\\")
        )
    if young_person_id:
        query = query.where(col(Incident.young_person_id) == young_person_id)
    if young_person_name:
        key = normalise_name(young_person_name, "")
        query = query.where(
            exists().where(
                col(YoungPerson.id) == col(Incident.young_person_id),
                col(YoungPerson.match_name).like(f"%{_escape_like(key)}%", escape="\\"),
            )
        )
    if from_:
        query = query.where(col(Incident.occurred_at) >= from_)
    if to:
        query = query.where(col(Incident.occurred_at) < to)
    if cursor:
        at, ident = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Incident.reported_at) < at,
                and_(col(Incident.reported_at) == at, col(Incident.id) < ident),
            )
        )
    query = query.order_by(col(Incident.reported_at).desc(), col(Incident.id).desc()).limit(limit + 1)
    rows = (await session.execute(query)).scalars().all()
    page, more = rows[:limit], len(rows) > limit
    if police:
        items = [status_view(i) for i in page]
    else:
        items = await summaries(session, page)
        audit.record(
            session,
            actor,
            "incident.list",
            resource_type="incident",
            detail={"incident_ids": [str(i.id) for i in page]},
            subjects=[i.young_person_id for i in page],
        )
    return IncidentPage(items=items, next_cursor=encode_cursor(page[-1]) if more else None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def category_of(incident: Incident) -> str:
    """cse, cce, cse_cce or general: what the lock screen and inbox call the incident."""
    categories = [c for c in incident.triage.get("categories", []) if c in ("cse", "cce")]
    return "_".join(categories) if categories else "general"


class _StatusFields(TypedDict):
    id: str
    reference: str
    state: str
    kind: str
    reported_at: str
    acknowledged_at: str | None
    acknowledged_action: str | None
    eta_minutes: int | None
    uncovered: bool
    version: int


def _status_fields(incident: Incident) -> _StatusFields:
    """What police may see of an incident: the response, never case notes."""
    return _StatusFields(
        id=str(incident.id),
        reference=incident.reference,
        state=incident.state,
        kind=incident.kind,
        reported_at=incident.reported_at.isoformat(),
        acknowledged_at=incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
        acknowledged_action=incident.acknowledged_action,
        eta_minutes=incident.eta_minutes,
        uncovered=incident.uncovered,
        version=incident.version,
    )


def status_view(incident: Incident) -> IncidentItem:
    """An item of police's GET /incidents: the status fields only (the others stay unset, and
    the route leaves unset fields out)."""
    return IncidentItem(**_status_fields(incident))


async def status_for(session: AsyncSession, actor: Actor, incident: Incident) -> IncidentStatusOut:
    audit.record(session, actor, "incident.status.read", resource_type="incident", resource_id=incident.id)
    events = list(
        (
            await session.execute(
                select(TimelineEvent)
                .where(col(TimelineEvent.incident_id) == incident.id)
                .where(col(TimelineEvent.police_visible).is_(True))
                .order_by(col(TimelineEvent.at))
            )
        ).scalars()
    )
    teams = {
        team.id: team
        for team in (
            await session.execute(
                select(Team)
                .join(IncidentTeam, col(IncidentTeam.team_id) == col(Team.id))
                .where(col(IncidentTeam.incident_id) == incident.id)
            )
        ).scalars()
    }
    # Where the report went and why, as the 201 answered custody: the routing of what police
    # reported (intake's triage), never what a worker was told since (a later disclosure).
    triaged = (
        await session.execute(
            select(col(TimelineEvent.detail))
            .where(col(TimelineEvent.incident_id) == incident.id)
            .where(col(TimelineEvent.action) == "incident.triaged")
            .order_by(col(TimelineEvent.at))
            .limit(1)
        )
    ).scalar_one_or_none() or {}
    return IncidentStatusOut(
        **_status_fields(incident),
        teams=[StatusTeam(slug=t.slug, name=t.name) for t in sorted(teams.values(), key=lambda t: t.name)],
        routing_reasons=list(triaged.get("reasons", [])),
        timeline=[
            PublicTimelineEntry(
                at=e.at.isoformat(),
                action=e.action,
                detail={**_public(e.detail), **_team_named(e.team_id, teams)},
            )
            for e in events
        ],
    )


def _team_named(team_id: uuid.UUID | None, teams: dict[uuid.UUID, Team]) -> dict[str, str]:
    """A page's events say which team they are about ("Paging started · Leicester City CCE")."""
    team = teams.get(team_id) if team_id else None
    return {"team": team.name} if team else {}


def _public(detail: dict[str, Any]) -> dict[str, Any]:
    # Police see states, actions and ETAs; never notes or reasons.
    allowed = {"from", "to", "action", "eta_minutes", "kind", "station", "level", "events"}
    return {k: v for k, v in detail.items() if k in allowed}


async def summaries(session: AsyncSession, incidents: Sequence[Incident]) -> list[IncidentItem]:
    """Incidents as case roles' lists show them: live ones first, else in the given order."""
    if not incidents:
        return []
    ids = [i.id for i in incidents]
    people = await young_people_by_id(session, {i.young_person_id for i in incidents})
    stations = {s.id: s for s in (await session.execute(select(Station))).scalars()}
    teams_of: dict[uuid.UUID, list[TeamOfIncident]] = {i: [] for i in ids}
    for link, team in await session.execute(
        select(IncidentTeam, Team)
        .join(Team, col(Team.id) == col(IncidentTeam.team_id))
        .where(col(IncidentTeam.incident_id).in_(ids))
    ):
        teams_of[link.incident_id].append(TeamOfIncident(id=str(team.id), slug=team.slug, name=team.name))
    codes_of: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    for row in (
        await session.execute(select(IncidentIndicator).where(col(IncidentIndicator.incident_id).in_(ids)))
    ).scalars():
        codes_of[row.incident_id].append(row.code)
    out = []
    for incident in incidents:
        person = people[incident.young_person_id]
        out.append(
            IncidentItem(
                **_status_fields(incident),
                priority=incident.priority,
                occurred_at=incident.occurred_at.isoformat(),
                station=stations[incident.station_id].name,
                police_station=stations[incident.station_id].name,
                category=category_of(incident),
                location=incident.location_description,
                young_person=YoungPersonRef(
                    id=str(person.id), first_name=person.first_name, last_name=person.last_name
                ),
                teams=teams_of[incident.id],
                indicators=sorted(set(codes_of[incident.id])),
                triage={"reasons": incident.triage.get("reasons", [])},
                needs_manager_review=incident.needs_manager_review,
            )
        )
    # Live incidents first, then newest first (the query's order) within each group.
    out.sort(key=lambda item: item.state not in LIVE_STATES)
    return out
