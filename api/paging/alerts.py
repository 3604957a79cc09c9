"""Alerts to a team's managers (a handover not picked up, a clock running out, a clock due before
the next handover).

The push carries the reason, the team, the incident id and reference, and for a clock its kind
and due time only: never a name.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.paging import devices as device_rules
from api.paging.deliveries import enqueue_device_message
from api.paging.escalation import team_managers
from api.teams.models import Team

log = logging.getLogger("lantern.paging")
ALERT_JOB = "page.managers"


async def alert_team_managers(session: AsyncSession, payload: dict[str, Any], now: datetime) -> int:
    """Queue one push to every device of the team's managers; returns how many were queued."""
    team_id = uuid.UUID(payload["team_id"]) if payload.get("team_id") else None
    team = await session.get(Team, team_id) if team_id else None
    message = {
        "type": "alert",
        "alert": payload["reason"],
        "team": team.slug if team else "",
        "incident_id": payload.get("incident_id"),
        "reference": payload.get("reference"),
    }
    # A clock alert names the clock and when it is due (a kind and a time: no personal data).
    for key in ("clock_kind", "due_at"):
        if payload.get(key):
            message[key] = payload[key]
    cause = payload.get("item_id") or payload.get("clock_id") or payload.get("incident_id")
    queued = 0
    # An incident no team took is every manager's concern.
    managers = await team_managers(session, team_id) if team_id else await every_manager(session)
    for device in await device_rules.devices_of(session, managers):
        job_id = await enqueue_device_message(
            session,
            "alert",
            device,
            message,
            now=now,
            dedupe_key=f"mgr-alert:{device.id}:{cause}:{payload['reason']}",
        )
        queued += job_id is not None
    if not queued:
        log.warning(
            "no manager device to alert", extra={"team_id": str(team_id), "reason": payload["reason"]}
        )
    return queued


async def every_manager(session: AsyncSession) -> list[uuid.UUID]:
    users = (await session.execute(select(User).where(col(User.active).is_(True)))).scalars()
    return [u.id for u in users if "manager" in u.roles]
