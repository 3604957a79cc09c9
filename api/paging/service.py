"""Paging an incident's teams: the pages intake starts, and the summary for the incident view.

`plan_pages` builds a page per team (with the team's policy copied), its first job and its
timeline event; intake (api.flows.intake) writes them with the incident in one transaction, so
they commit together or not at all. `start_paging` does the same for an incident that exists.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.queries import users_by_id
from api.db import Row, new_row, utcnow
from api.incidents import timeline
from api.incidents.models import Incident, IncidentState, TimelineEvent
from api.jobs.service import NewJob, enqueue_many
from api.paging.escalation import LEVEL_JOB, admins, level_targets, team_managers
from api.paging.models import Acknowledgement, Delivery, Page, PageState, PushSubscription
from api.paging.policy import effective_policies
from api.teams.models import Team

log = logging.getLogger("lantern.paging")

DEFAULT_ACK_TIMEOUT_SECONDS = 300


@dataclass
class PagePlan:
    """Rows to write to start paging: pages, their first level jobs, their timeline events."""

    pages: list[Row] = field(default_factory=list)
    jobs: list[NewJob] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


def plan_pages(
    incident_id: uuid.UUID,
    team_ids: list[uuid.UUID],
    policies: dict[uuid.UUID, dict[str, Any]],
    now: datetime,
) -> PagePlan:
    """A page per team in `team_ids` (each copying `policies[team_id]`), level 0 due now."""
    plan = PagePlan()
    for team_id in team_ids:
        policy = policies[team_id]
        page = new_row(
            Page,
            incident_id=incident_id,
            team_id=team_id,
            policy=policy,
            state=PageState.ACTIVE,
            started_at=now,
            level_started_at=now,
            updated_at=now,
        )
        plan.pages.append(page)
        plan.jobs.append(
            NewJob(
                LEVEL_JOB,
                {"page_id": str(page["id"]), "repeat": 0, "level": 0},
                run_at=now,
                dedupe_key=f"page.level:{page['id']}:0:0",
            )
        )
        plan.events.append(
            timeline.event(
                incident_id,
                "page.started",
                team_id=team_id,
                detail={
                    "page_id": str(page["id"]),
                    "levels": [level["target"] for level in policy["levels"]],
                    "repeat": policy["repeat"],
                },
                police_visible=True,
            )
        )
    return plan


async def start_paging(
    session: AsyncSession,
    incident: Incident,
    team_ids: list[uuid.UUID],
    *,
    default_ack_timeout_seconds: int = DEFAULT_ACK_TIMEOUT_SECONDS,
    now: datetime | None = None,
    new_incident: bool = False,
) -> list[Page]:
    """Start one page per team (copying the team's escalation policy, or the default one),
    enqueue each page's first level, and move the incident to `paging`.

    Call it in the transaction that creates the incident and its IncidentTeam rows. A team
    that already has a page for this incident is skipped, so calling it twice is harmless.
    `new_incident`: the incident was created in this transaction, so it has no page yet
    (intake says so to save the look-up).
    """
    now = now or utcnow()
    existing: set[uuid.UUID] = set()
    if not new_incident:
        existing = set(
            (
                await session.execute(select(col(Page.team_id)).where(col(Page.incident_id) == incident.id))
            ).scalars()
        )
    wanted = [team_id for team_id in dict.fromkeys(team_ids) if team_id not in existing]
    policies = await effective_policies(session, wanted, default_ack_timeout_seconds) if wanted else {}
    plan = plan_pages(incident.id, wanted, policies, now)
    pages = [Page(**row.values) for row in plan.pages]
    session.add_all([*pages, *(TimelineEvent(**row.values) for row in plan.events)])  # the next flush
    await enqueue_many(session, plan.jobs)
    if not team_ids:
        log.warning("incident %s has no team to page", incident.id)
    if pages:
        timeline.move(session, incident, IncidentState.PAGING)
    return pages


async def cancel_pages(
    session: AsyncSession, incident: Incident, *, reason: str, actor_id: uuid.UUID | None = None
) -> list[Page]:
    """Stop the incident's open pages (e.g. the incident was closed or withdrawn): their
    pending escalations and deliveries then do nothing. Acknowledged pages are left as they are."""
    pages = list(
        (
            await session.execute(
                select(Page)
                .where(
                    col(Page.incident_id) == incident.id,
                    col(Page.state).in_((PageState.ACTIVE, PageState.UNCOVERED)),
                )
                .with_for_update()
            )
        ).scalars()
    )
    now = utcnow()
    for page in pages:
        page.state = PageState.CANCELLED
        page.updated_at = now
        timeline.add_event(
            session,
            incident.id,
            "page.cancelled",
            actor_id=actor_id,
            team_id=page.team_id,
            detail={"page_id": str(page.id), "why": reason},
        )
    return pages


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def pages_for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    """The incident's pages with their levels, deliveries and acknowledgements (JSON-able).

    Staff names and device labels only; nothing about the young person.
    """
    pages = list(
        (
            await session.execute(
                select(Page)
                .where(col(Page.incident_id) == incident_id)
                .order_by(col(Page.started_at), col(Page.id))
            )
        ).scalars()
    )
    if not pages:
        return []
    page_ids = [p.id for p in pages]
    teams = {
        t.id: t
        for t in (
            await session.execute(select(Team).where(col(Team.id).in_([p.team_id for p in pages])))
        ).scalars()
    }
    deliveries = list(
        (
            await session.execute(
                select(Delivery)
                .where(col(Delivery.page_id).in_(page_ids))
                .order_by(col(Delivery.at), col(Delivery.id))
            )
        ).scalars()
    )
    acks = list(
        (
            await session.execute(
                select(Acknowledgement)
                .where(col(Acknowledgement.page_id).in_(page_ids))
                .order_by(col(Acknowledgement.at), col(Acknowledgement.id))
            )
        ).scalars()
    )
    device_ids = {d.device_id for d in deliveries if d.device_id}
    labels = {}
    if device_ids:
        labels = {
            d.id: d.label
            for d in (
                await session.execute(
                    select(PushSubscription).where(col(PushSubscription.id).in_(device_ids))
                )
            ).scalars()
        }
    user_ids = (
        {d.user_id for d in deliveries}
        | {a.user_id for a in acks}
        | {p.acknowledged_by_id for p in pages if p.acknowledged_by_id}
    )
    names = {uid: u.display_name for uid, u in (await users_by_id(session, user_ids)).items()}

    def person(user_id: uuid.UUID | None) -> dict[str, str] | None:
        if user_id is None:
            return None
        return {"id": str(user_id), "display_name": names.get(user_id, "")}

    summary = []
    for page in pages:
        team = teams.get(page.team_id)
        summary.append(
            {
                "id": str(page.id),
                "team": {
                    "id": str(page.team_id),
                    "slug": team.slug if team else None,
                    "name": team.name if team else None,
                },
                "state": page.state,
                "level": page.level_index,
                "repeat": page.repeat_count,
                "policy": page.policy,
                "started_at": _iso(page.started_at),
                "level_started_at": _iso(page.level_started_at),
                "first_accepted_at": _iso(page.first_accepted_at),
                "acknowledged_at": _iso(page.acknowledged_at),
                "acknowledged_by": person(page.acknowledged_by_id),
                "uncovered_at": _iso(page.uncovered_at),
                "deliveries": [
                    {
                        "id": str(d.id),
                        "purpose": d.purpose,
                        "level": d.level_index,
                        "repeat": d.repeat_count,
                        "user": person(d.user_id),
                        "device": {"id": str(d.device_id), "label": labels.get(d.device_id)}
                        if d.device_id
                        else None,
                        "channel": d.channel,
                        "attempt": d.attempt,
                        "outcome": d.outcome,
                        "status_code": d.status_code,
                        "latency_ms": round(d.latency_ms, 1) if d.latency_ms is not None else None,
                        "at": _iso(d.at),
                    }
                    for d in deliveries
                    if d.page_id == page.id
                ],
                "acknowledgements": [
                    {
                        "id": str(a.id),
                        "user": person(a.user_id),
                        "action": a.action,
                        "eta_minutes": a.eta_minutes,
                        "via": a.via,
                        "level": a.level_index,
                        "at": _iso(a.at),
                    }
                    for a in acks
                    if a.page_id == page.id
                ],
            }
        )
    return summary


async def being_paged(
    session: AsyncSession, incident_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """For the duty manager's board: each open page of the incidents, its current level (the
    target, counted from 0) and who that level pages (staff names only). An uncovered page
    pages the team's managers and the admins."""
    if not incident_ids:
        return {}
    pages = list(
        (
            await session.execute(
                select(Page)
                .where(
                    col(Page.incident_id).in_(incident_ids),
                    col(Page.state).in_((PageState.ACTIVE, PageState.UNCOVERED)),
                )
                .order_by(col(Page.started_at), col(Page.id))
            )
        ).scalars()
    )
    teams = {
        t.id: t
        for t in (
            await session.execute(select(Team).where(col(Team.id).in_({p.team_id for p in pages})))
        ).scalars()
    }
    found: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in incident_ids}
    paged: list[tuple[Page, str, list[uuid.UUID]]] = []
    for page in pages:
        if page.state == PageState.UNCOVERED:
            target = "uncovered"
            user_ids = list(
                dict.fromkeys([*await team_managers(session, page.team_id), *await admins(session)])
            )
        else:
            level = page.policy["levels"][page.level_index]
            target = level["target"]
            user_ids = await level_targets(
                session, page.team_id, target, page.level_started_at, person_id=level.get("user_id")
            )
        paged.append((page, target, user_ids))
    names = await users_by_id(session, {u for _, _, ids in paged for u in ids})
    for page, target, user_ids in paged:
        team = teams.get(page.team_id)
        found[page.incident_id].append(
            {
                "page_id": str(page.id),
                "team": {
                    "id": str(page.team_id),
                    "slug": team.slug if team else None,
                    "name": team.name if team else None,
                },
                "state": page.state,
                "level": page.level_index,
                "levels": len(page.policy["levels"]),
                "target": target,
                "repeat": page.repeat_count,
                "level_started_at": _iso(page.level_started_at),
                "paging": [
                    {"id": str(u), "display_name": names[u].display_name if u in names else ""}
                    for u in user_ids
                ],
            }
        )
    return found


async def went_uncovered(session: AsyncSession, incident_id: uuid.UUID) -> bool:
    """Whether a page of the incident went uncovered (its managers and every admin were paged)."""
    row = await session.execute(
        select(col(Page.id))
        .where(col(Page.incident_id) == incident_id, col(Page.uncovered_at).is_not(None))
        .limit(1)
    )
    return row.first() is not None
