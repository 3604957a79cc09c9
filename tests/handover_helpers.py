"""Helpers for the handover tests: incidents reported through HTTP at given times, and the queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.auth.models import User
from api.handover.service import raise_due
from tests.incident_payloads import report

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def report_at(
    client, police, occurred_at: datetime, *, first_name: str = "Jordan", **overrides
) -> dict:
    """Police report an incident that happened at `occurred_at`; returns intake's answer."""
    overrides.setdefault(
        "young_person", {"first_name": first_name, "last_name": "Reyes", "date_of_birth": "2011-04-02"}
    )
    body = report(occurred_at=occurred_at.isoformat(), **overrides)
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def queue(client, person, **params) -> list[dict]:
    response = await client.get("/api/v1/handover", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def item_of(client, person, incident_id: str, team: str = "city-cce") -> dict:
    """The handover item of an incident for a team, as `person` sees it in the queue."""
    for state in ("awaiting_pickup", "picked_up", "closed"):
        for item in await queue(client, person, team=team, state=state):
            if item["incident"]["id"] == incident_id:
                return item
    raise AssertionError(f"no handover item for incident {incident_id} in {team}")


async def run_pass(db, now: datetime) -> dict:
    async with db.session() as session:
        return await raise_due(session, now)


async def rename(db, person, display_name: str) -> None:
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.id == person.id))).scalar_one()
        user.display_name = display_name
    person.user.display_name = display_name


def new_id() -> str:
    return str(uuid.uuid4())
