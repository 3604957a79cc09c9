"""Paging a hub about a partner's concern that triage rated P1.

A concern is not an incident: there is no page to acknowledge or escalate. The push goes to
whoever is on call for the hub team now (primary, else secondary), else to its managers. The
payload carries the concern's id, reference, team and priority only: never a place, a peer
group or any free text.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.paging import devices as device_rules
from api.paging.deliveries import enqueue_device_message
from api.paging.escalation import team_managers
from api.rota import service as rota
from api.teams.models import Team

log = logging.getLogger("lantern.paging")
CONCERN_JOB = "page.partner_concern"


def concern_job_payload(
    concern_id: uuid.UUID, reference: str, team_id: uuid.UUID, priority: str
) -> dict[str, Any]:
    return {
        "concern_id": str(concern_id),
        "reference": reference,
        "team_id": str(team_id),
        "priority": priority,
    }


async def page_hub(session: AsyncSession, payload: dict[str, Any], now: datetime) -> int:
    """Queue one push per device of the hub's on-call people (else its managers); how many."""
    team_id = uuid.UUID(payload["team_id"])
    team = await session.get(Team, team_id)
    people = await rota.on_call(session, team_id, "primary", now) or await rota.on_call(
        session, team_id, "secondary", now
    )
    people = people or await team_managers(session, team_id)
    message = {
        "type": "concern",
        "concern_id": payload["concern_id"],
        "reference": payload["reference"],
        "team": team.slug if team else "",
        "priority": payload["priority"],
    }
    queued = 0
    for device in await device_rules.devices_of(session, people):
        job_id = await enqueue_device_message(
            session,
            "alert",
            device,
            message,
            now=now,
            dedupe_key=f"concern:{payload['concern_id']}:{team_id}:{device.id}",
        )
        queued += job_id is not None
    if not queued:
        log.warning("no device to page about a concern", extra={"team_id": str(team_id)})
    return queued
