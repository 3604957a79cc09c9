"""Where escalations are decided: starting a level, moving to the next, going uncovered.

Every step runs in the caller's transaction with the page row locked, re-checks the page's
state first (a late or repeated job does nothing), and writes its follow-up work to the outbox
in the same transaction: a delivery job per device, and the timer for the next level. A worker
passes itself as `claimant` so that it runs the deliveries it wrote right after its commit.

Job kinds written here (run by `workers`):
- `page.level`    {page_id, repeat, level}: resolve who is on call at that level and page them;
- `page.escalate` {page_id, repeat, level}: the level's ack timeout passed; go to the next;
- `delivery.send` {purpose, page_id, repeat, level, user_id, device_id | None}: one message
  to one device (or, without a device, on the fallback channel).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.events.bus import Audience, LiveEvent, publish
from api.incidents import timeline
from api.incidents.models import Incident, IncidentState, IncidentTeam
from api.jobs.service import Claimant, enqueue
from api.paging import devices as device_rules
from api.paging.models import Page, PageState
from api.platform.metrics import PAGES_UNCOVERED
from api.rota import service as rota
from api.teams.models import Membership

log = logging.getLogger("lantern.paging")

LEVEL_JOB = "page.level"
ESCALATE_JOB = "page.escalate"
DELIVERY_JOB = "delivery.send"
OPEN_STATES = (PageState.ACTIVE, PageState.UNCOVERED)


async def lock_page(session: AsyncSession, page_id: uuid.UUID) -> Page | None:
    """Load the page for update: concurrent steps on one page run one after the other."""
    return await session.get(Page, page_id, with_for_update=True, populate_existing=True)


async def lock_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await session.get(Incident, incident_id, with_for_update=True, populate_existing=True)


async def incident_audience(session: AsyncSession, incident: Incident) -> Audience:
    """Who sees live events about an incident: its teams, the reporting station, managers."""
    return await audience_for(session, incident.id, incident.station_id)


async def audience_for(session: AsyncSession, incident_id: uuid.UUID, station_id: uuid.UUID) -> Audience:
    team_ids = (
        await session.execute(
            select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident_id)
        )
    ).scalars()
    return Audience(team_ids=frozenset(team_ids), station_ids=frozenset({station_id}), all_managers=True)


async def _publish(session: AsyncSession, incident: Incident, name: str, data: dict[str, Any]) -> None:
    publish(
        session,
        LiveEvent(
            name, {"incident_id": str(incident.id), **data}, await incident_audience(session, incident)
        ),
    )


async def team_managers(session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(col(User.id), col(User.roles))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.team_id) == team_id, col(User.active).is_(True))
        .order_by(User.username)
    )
    return [uid for uid, roles in rows.all() if "manager" in roles]


async def admins(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(
        select(col(User.id), col(User.roles)).where(col(User.active).is_(True)).order_by(col(User.username))
    )
    return [uid for uid, roles in rows.all() if "admin" in roles]


async def named_person(session: AsyncSession, team_id: uuid.UUID, user_id: str | None) -> list[uuid.UUID]:
    """A level naming one person reaches them while they are active and still in the team."""
    if not user_id:
        return []
    row = await session.execute(
        select(col(User.id))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            col(User.id) == uuid.UUID(str(user_id)),
            col(Membership.team_id) == team_id,
            col(User.active).is_(True),
        )
    )
    return list(row.scalars())


async def level_targets(
    session: AsyncSession, team_id: uuid.UUID, target: str, at: datetime, *, person_id: str | None = None
) -> list[uuid.UUID]:
    """The people a level reaches at instant `at` (`person_id`: the level's named person)."""
    if target in ("primary", "secondary"):
        return await rota.on_call(session, team_id, target, at)
    if target == "managers":
        return await team_managers(session, team_id)
    if target == "person":
        return await named_person(session, team_id, person_id)
    log.error("unknown escalation target %s on a page of team %s", target, team_id)
    return []


async def enqueue_deliveries(
    session: AsyncSession,
    page: Page,
    user_ids: list[uuid.UUID],
    *,
    purpose: str,
    now: datetime,
    claimant: Claimant | None = None,
) -> tuple[int, int]:
    """A delivery job for every device of each person; the fallback channel for those without.

    Returns (devices, fallbacks). Dedupe keys make a repeated step enqueue nothing new.
    """
    stage = "uncovered" if purpose == "uncovered" else f"{page.repeat_count}:{page.level_index}"
    devices = await device_rules.devices_of(session, user_ids)
    by_user: dict[uuid.UUID, list] = {uid: [] for uid in user_ids}
    for device in devices:
        by_user[device.user_id].append(device)
    sent_devices = fallbacks = 0
    for user_id in user_ids:
        base = {
            "purpose": purpose,
            "page_id": str(page.id),
            "repeat": page.repeat_count,
            "level": page.level_index,
            "user_id": str(user_id),
        }
        if by_user[user_id]:
            for device in by_user[user_id]:
                await enqueue(
                    session,
                    DELIVERY_JOB,
                    {**base, "device_id": str(device.id)},
                    run_at=now,
                    dedupe_key=f"delivery:{page.id}:{stage}:{device.id}",
                    claimant=claimant,
                )
                sent_devices += 1
        else:
            await enqueue_fallback(session, page.id, user_id, base, stage, now, claimant)
            fallbacks += 1
    return sent_devices, fallbacks


async def enqueue_fallback(
    session: AsyncSession,
    page_id: uuid.UUID | None,
    user_id: uuid.UUID,
    base: dict[str, Any],
    stage: str,
    now: datetime,
    claimant: Claimant | None = None,
) -> None:
    """The fallback channel (SMS where configured, else the log) for one person, at once."""
    await enqueue(
        session,
        DELIVERY_JOB,
        {**base, "device_id": None},
        run_at=now,
        dedupe_key=f"delivery:{page_id}:{stage}:fallback:{user_id}",
        claimant=claimant,
    )


async def start_level(
    session: AsyncSession, page: Page, now: datetime, claimant: Claimant | None = None
) -> None:
    """Page the people of the page's current level and set its timer; nobody → next level now."""
    level = page.policy["levels"][page.level_index]
    user_ids = await level_targets(
        session, page.team_id, level["target"], now, person_id=level.get("user_id")
    )
    detail = {"level": page.level_index, "target": level["target"], "repeat": page.repeat_count}
    if not user_ids:
        timeline.add_event(session, page.incident_id, "page.level_empty", team_id=page.team_id, detail=detail)
        await advance(session, page, now, reason="nobody on call", claimant=claimant)
        return
    devices, fallbacks = await enqueue_deliveries(
        session, page, user_ids, purpose="page", now=now, claimant=claimant
    )
    await enqueue(
        session,
        ESCALATE_JOB,
        {"page_id": str(page.id), "repeat": page.repeat_count, "level": page.level_index},
        run_at=now + timedelta(seconds=int(level["ack_timeout_seconds"])),
        dedupe_key=f"page.escalate:{page.id}:{page.repeat_count}:{page.level_index}",
    )
    timeline.add_event(
        session,
        page.incident_id,
        "page.level_started",
        team_id=page.team_id,
        detail={**detail, "people": len(user_ids), "devices": devices, "fallbacks": fallbacks},
        police_visible=False,
    )


async def advance(
    session: AsyncSession, page: Page, now: datetime, *, reason: str, claimant: Claimant | None = None
) -> None:
    """Move the page to its next level (or round), or make it uncovered when none is left."""
    levels = page.policy["levels"]
    next_level, repeat = page.level_index + 1, page.repeat_count
    if next_level >= len(levels):
        if repeat < int(page.policy.get("repeat", 0)):
            next_level, repeat = 0, repeat + 1
        else:
            await go_uncovered(session, page, now, claimant)
            return
    page.level_index, page.repeat_count = next_level, repeat
    page.level_started_at = now
    page.updated_at = now
    incident = await session.get(Incident, page.incident_id)
    timeline.add_event(
        session,
        page.incident_id,
        "page.escalated",
        team_id=page.team_id,
        detail={"level": next_level, "target": levels[next_level]["target"], "repeat": repeat, "why": reason},
        police_visible=True,
    )
    if incident is not None:
        await _publish(
            session, incident, "page.escalated", {"page_id": str(page.id), "team_id": str(page.team_id)}
        )
    await start_level(session, page, now, claimant)


async def go_uncovered(
    session: AsyncSession, page: Page, now: datetime, claimant: Claimant | None = None
) -> None:
    """Every level and repeat went unanswered: flag it everywhere and page managers and admins.

    The page stays acknowledgeable.
    """
    page.state = PageState.UNCOVERED
    page.uncovered_at = now
    page.updated_at = now
    PAGES_UNCOVERED.inc()
    incident = await lock_incident(session, page.incident_id)
    if incident is None:  # pragma: no cover - pages belong to incidents
        return
    if incident.acknowledged_at is None:
        incident.uncovered = True
        timeline.move(
            session, incident, IncidentState.UNCOVERED, team_id=page.team_id, detail={"page_id": str(page.id)}
        )
    timeline.add_event(
        session,
        incident.id,
        "page.uncovered",
        team_id=page.team_id,
        detail={"page_id": str(page.id)},
        police_visible=True,
    )
    recipients = list(dict.fromkeys([*await team_managers(session, page.team_id), *await admins(session)]))
    await enqueue_deliveries(session, page, recipients, purpose="uncovered", now=now, claimant=claimant)
    log.warning("page %s of incident %s is uncovered: nobody acknowledged", page.id, incident.id)
    await _publish(
        session, incident, "incident.uncovered", {"page_id": str(page.id), "team_id": str(page.team_id)}
    )


async def run_level_job(
    session: AsyncSession, payload: dict[str, Any], now: datetime, claimant: Claimant | None = None
) -> bool:
    """`page.level`: start the level if the page is still there. False when stale."""
    page = await lock_page(session, uuid.UUID(payload["page_id"]))
    if page is None or page.state != PageState.ACTIVE:
        return False
    if (page.repeat_count, page.level_index) != (payload["repeat"], payload["level"]):
        return False
    await start_level(session, page, now, claimant)
    return True


async def run_escalate_job(
    session: AsyncSession, payload: dict[str, Any], now: datetime, claimant: Claimant | None = None
) -> bool:
    """`page.escalate`: the level's timeout passed unanswered. False when it no longer applies
    (acknowledged, already escalated, cancelled)."""
    page = await lock_page(session, uuid.UUID(payload["page_id"]))
    if page is None or page.state != PageState.ACTIVE:
        return False
    if (page.repeat_count, page.level_index) != (payload["repeat"], payload["level"]):
        return False
    await advance(session, page, now, reason="no acknowledgement in time", claimant=claimant)
    return True
