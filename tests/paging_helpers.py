"""Shared steps for the rota, device and paging tests: settings for the fake push service, a team
with a rota, people with phones, an incident being paged. The fixtures (`push`, `worker`, `crew`)
are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from api.db import Database
from api.incidents.models import Incident
from api.jobs.models import Job
from api.paging.models import Delivery, Page
from api.paging.service import start_paging
from api.rota import service as rota
from api.teams.models import Team
from tests.factories import make_incident
from tests.fakes.push_service import FakePushService, FakeSubscription

CONTRACT_KEYS = {
    "type",
    "incident_id",
    "page_id",
    "reference",
    "kind",
    "team",
    "priority",
    "station",
    "ack_token",
}
# Paging starts here; tests then run the worker at chosen instants after it.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)


def bounded(seconds: float = 30.0) -> Callable:
    """Fail an async test that runs longer than `seconds`, whatever it waits on."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run

    return decorate


def paging_settings(settings, push: FakePushService):
    """The test settings, admitting the fake push service and short ack timeouts."""
    settings.push_allowed_hosts = [push.host]
    settings.min_ack_timeout_seconds = 1
    settings.push_timeout_seconds = 3.0
    settings.reachability_check_enabled = False
    return settings


class Commits:
    """Counts the commits on a database's engine from now until `close()`."""

    def __init__(self, db) -> None:
        self.count = 0
        self._engine = db.engine.sync_engine
        event.listen(self._engine, "commit", self._commit)

    def _commit(self, _conn) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self._engine, "commit", self._commit)


@dataclass
class Crew:
    """A team on call: a primary and a secondary worker, a manager, an admin, with phones."""

    team: Team
    primary: Any
    secondary: Any
    manager: Any
    admin: Any
    police: Any
    phones: dict[str, list[FakeSubscription]] = field(default_factory=dict)


async def register_phone(client, person, push: FakePushService, label: str = "phone") -> FakeSubscription:
    subscription = push.new_subscription()
    response = await client.post(
        "/api/v1/push/subscriptions",
        json={**subscription.subscription_info, "label": label, "expirationTime": None},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    return subscription


async def add_rotation(
    db: Database,
    team: Team,
    level: str,
    members: list,
    *,
    start_local: datetime | None = None,
    length_hours: int = 24 * 7,
) -> None:
    async with db.session() as session:
        await rota.create_rotation(
            session,
            await session.get(Team, team.id),
            name=f"{level} rotation",
            level=level,
            members=[m.id for m in members],
            start_local=start_local or datetime(2026, 1, 5, 9, 0),
            length_hours=length_hours,
            ends_local=None,
            created_by_id=None,
        )


async def make_crew(
    client,
    db: Database,
    world,
    make_user,
    push: FakePushService,
    *,
    team_slug: str = "city-cce",
    primary_phones: int = 2,
    secondary_phones: int = 1,
    manager_phones: int = 1,
    admin_phones: int = 1,
) -> Crew:
    team = world.teams[team_slug]
    crew = Crew(
        team=team,
        primary=await make_user("worker", teams_=[team_slug]),
        secondary=await make_user("worker", teams_=[team_slug]),
        manager=await make_user("manager", teams_=[team_slug]),
        admin=await make_user("admin"),
        police=await make_user("police", station="euston-street"),
    )
    await add_rotation(db, team, "primary", [crew.primary])
    await add_rotation(db, team, "secondary", [crew.secondary])
    for name, count in (
        ("primary", primary_phones),
        ("secondary", secondary_phones),
        ("manager", manager_phones),
        ("admin", admin_phones),
    ):
        crew.phones[name] = [
            await register_phone(client, getattr(crew, name), push, f"{name} {i}") for i in range(count)
        ]
    return crew


async def page_incident(db: Database, world, crew: Crew, *, now: datetime = T0, team_slugs=None) -> Incident:
    """An incident as intake leaves it: routed to the crew's team and being paged."""
    slugs = team_slugs or (crew.team.slug,)
    incident = await make_incident(db, world, crew.police, team_slugs=slugs)
    async with db.session() as session:
        row = await session.get(Incident, incident.id)
        await start_paging(session, row, [world.teams[s].id for s in slugs], now=now)
    return incident


async def set_policy(client, crew: Crew, levels: list[tuple[str, int]], repeat: int = 0) -> None:
    response = await client.put(
        f"/api/v1/teams/{crew.team.id}/escalation-policy",
        json={"levels": [{"target": t, "ack_timeout_seconds": s} for t, s in levels], "repeat": repeat},
        headers=crew.manager.headers,
    )
    assert response.status_code == 200, response.text


def received_by(push: FakePushService, subscriptions: list[FakeSubscription]) -> list:
    wanted = {s.id for s in subscriptions}
    return [p for p in push.received if p.subscription_id in wanted]


async def deliveries(db: Database, **where) -> list[Delivery]:
    async with db.session() as session:
        query = select(Delivery).order_by(Delivery.at, Delivery.attempt)
        for name, value in where.items():
            query = query.where(getattr(Delivery, name) == value)
        return list((await session.execute(query)).scalars())


async def page_of(db: Database, incident_id: uuid.UUID) -> Page:
    async with db.session() as session:
        return (await session.execute(select(Page).where(Page.incident_id == incident_id))).scalar_one()


async def incident_row(db: Database, incident_id: uuid.UUID) -> Incident:
    async with db.session() as session:
        return await session.get(Incident, incident_id)


async def jobs_of(db: Database, kind: str) -> list[Job]:
    async with db.session() as session:
        return list(
            (await session.execute(select(Job).where(Job.kind == kind).order_by(Job.created_at))).scalars()
        )


def later(seconds: float, start: datetime = T0) -> datetime:
    return start + timedelta(seconds=seconds)
