"""Reachability checks at shift start: a test push to each device of whoever comes on call,
and an alert to the team's managers when none of their devices answers.

"Answers" means the push service accepted the push for that device (a browser subscription
that is gone, refused or unreachable does not). Scheduling is idempotent (dedupe keys), so
every worker's auditor pass may run it.

Job kinds: `rota.reachability` {team_id, level, user_id, starts_at} runs shortly before the
shift starts; `rota.reachability_verdict` {..., checked_at} decides a little later.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.jobs.service import enqueue
from api.paging import devices as device_rules
from api.paging.deliveries import enqueue_device_message
from api.paging.escalation import team_managers
from api.paging.models import Delivery
from api.platform.metrics import UNREACHABLE_ON_CALL
from api.rota import service as rota
from api.rota.models import OverrideShift, Rotation
from api.teams.models import Team

log = logging.getLogger("lantern.paging")

CHECK_JOB = "rota.reachability"
VERDICT_JOB = "rota.reachability_verdict"
VERDICT_AFTER = timedelta(seconds=60)


async def schedule_checks(session: AsyncSession, now: datetime, lead_seconds: int, horizon: timedelta) -> int:
    """Enqueue a check for every person coming on call within `lead + horizon` from now."""
    lead = timedelta(seconds=lead_seconds)
    end = now + lead + horizon
    team_ids = set((await session.execute(select(col(Rotation.team_id)))).scalars()) | set(
        (
            await session.execute(select(col(OverrideShift.team_id)).where(col(OverrideShift.ends_at) > now))
        ).scalars()
    )
    scheduled = 0
    for team_id in sorted(team_ids):
        team_rota = await rota.load_rota(session, team_id, now, end)
        for level in rota.LEVELS:
            slots = team_rota.coverage(level, now, end)
            for previous, slot in zip(slots, slots[1:], strict=False):
                for user_id in set(slot.user_ids) - set(previous.user_ids):
                    starts = slot.starts_at
                    job = await enqueue(
                        session,
                        CHECK_JOB,
                        {
                            "team_id": str(team_id),
                            "level": level,
                            "user_id": str(user_id),
                            "starts_at": starts.isoformat(),
                        },
                        run_at=max(now, starts - lead),
                        dedupe_key=f"reach:{team_id}:{level}:{user_id}:{starts.isoformat()}",
                    )
                    scheduled += job is not None
    return scheduled


async def run_check(session: AsyncSession, payload: dict[str, Any], now: datetime) -> bool:
    """Send the test pushes (or alert at once when the person has no device). False if the
    person is no longer coming on call then."""
    team_id, user_id = uuid.UUID(payload["team_id"]), uuid.UUID(payload["user_id"])
    starts_at = datetime.fromisoformat(payload["starts_at"])
    if user_id not in await rota.on_call(session, team_id, payload["level"], starts_at):
        return False
    devices = await device_rules.devices_of(session, [user_id])
    if not devices:
        await alert_managers(session, payload, now, reason="no_device")
        return True
    team = await session.get(Team, team_id)
    for device in devices:
        await enqueue_device_message(
            session,
            "reachability",
            device,
            {"type": "check", "team": team.slug if team else "", "starts_at": starts_at.isoformat()},
            now=now,
            dedupe_key=f"reach-push:{device.id}:{starts_at.isoformat()}",
        )
    await enqueue(
        session,
        VERDICT_JOB,
        {**payload, "checked_at": now.isoformat()},
        run_at=now + VERDICT_AFTER,
        dedupe_key=f"reach-verdict:{team_id}:{payload['level']}:{user_id}:{starts_at.isoformat()}",
    )
    return True


async def run_verdict(session: AsyncSession, payload: dict[str, Any], now: datetime) -> bool:
    """Alert the managers unless one of the person's devices accepted the check. True when
    the person was reached."""
    user_id = uuid.UUID(payload["user_id"])
    checked_at = datetime.fromisoformat(payload["checked_at"])
    accepted = await session.execute(
        select(col(Delivery.id)).where(
            col(Delivery.user_id) == user_id,
            col(Delivery.purpose) == "reachability",
            col(Delivery.outcome) == "accepted",
            col(Delivery.at) >= checked_at,
        )
    )
    if accepted.first() is not None:
        return True
    await alert_managers(session, payload, now, reason="no_answer")
    return False


async def alert_managers(
    session: AsyncSession, payload: dict[str, Any], now: datetime, *, reason: str
) -> None:
    team_id = uuid.UUID(payload["team_id"])
    UNREACHABLE_ON_CALL.inc()
    log.warning(
        "on-call person %s of team %s (%s, from %s) cannot be reached: %s",
        payload["user_id"],
        team_id,
        payload["level"],
        payload["starts_at"],
        reason,
    )
    team = await session.get(Team, team_id)
    message = {
        "type": "alert",
        "alert": "unreachable",
        "team": team.slug if team else "",
        "level": payload["level"],
        "user_id": payload["user_id"],
        "starts_at": payload["starts_at"],
    }
    for device in await device_rules.devices_of(session, await team_managers(session, team_id)):
        await enqueue_device_message(
            session,
            "alert",
            device,
            message,
            now=now,
            dedupe_key=f"reach-alert:{device.id}:{payload['user_id']}:{payload['starts_at']}",
        )
