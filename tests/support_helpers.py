"""Shared steps for the support offer, sync and live event tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from api.db import Database
from api.incidents.models import Incident
from api.support.models import SupportOffer, SupportOfferVersion
from tests.factories import make_incident

BST = timezone(timedelta(hours=1))


async def acknowledge(db: Database, incident: Incident, person) -> None:
    """The worker took the page for this incident (what paging leaves behind)."""
    async with db.session() as session:
        row = await session.get(Incident, incident.id)
        row.acknowledged_by_id = person.id
        row.acknowledged_at = datetime.now(UTC)
        row.acknowledged_action = "attending"
        row.state = "acknowledged"


async def attended_incident(db: Database, world, make_user, *, team: str = "city-cce"):
    """An incident routed to `team`, acknowledged by a worker of that team: (incident, worker, police)."""
    police = await make_user("police", station="euston-street")
    incident = await make_incident(db, world, police, team_slugs=(team,))
    worker = await make_user("worker", teams_=(team,))
    await acknowledge(db, incident, worker)
    return incident, worker, police


def offer_body(**overrides) -> dict:
    body = {
        "kind": "safe_transport",
        "outcome": "accepted",
        "offered_at": datetime.now(BST).replace(microsecond=0).isoformat(),
        "notes": "Lift to placement, arrived 03:10",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def offer_url(incident_id, offer_id) -> str:
    return f"/api/v1/incidents/{incident_id}/support-offers/{offer_id}"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


async def count_offers(db: Database, offer_id: uuid.UUID | None = None) -> tuple[int, int]:
    """(offers, versions) stored, for one offer id or in all."""
    async with db.session() as session:
        offers = select(func.count()).select_from(SupportOffer)
        versions = select(func.count()).select_from(SupportOfferVersion)
        if offer_id is not None:
            offers = offers.where(SupportOffer.id == offer_id)
            versions = versions.where(SupportOfferVersion.offer_id == offer_id)
        return (await session.execute(offers)).scalar_one(), (await session.execute(versions)).scalar_one()


def parse_sse(text: str) -> tuple[list[dict], list[str]]:
    """(events, comment and field lines that are not events) of an SSE body."""
    events, others = [], []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":") or line.startswith("retry:"):
                others.append(line)
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            events.append(
                {"id": fields.get("id"), "event": fields["event"], "data": json.loads(fields["data"])}
            )
    return events, others


async def wait_until(condition: Callable[[], bool], *, within: float = 5.0, poll: float = 0.01) -> None:
    """Poll `condition` until true; fail after `within` seconds (no test may hang)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the conditions are plain attributes, not events
            await asyncio.sleep(poll)
