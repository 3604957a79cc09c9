"""Test data factories for incidents and young people (bypassing HTTP where a test needs a given state)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from api.db import Database
from api.incidents.models import Incident, IncidentTeam
from api.people.models import YoungPerson


async def make_incident(
    db: Database,
    world,
    reporter,
    *,
    team_slugs=("city-cce",),
    station: str = "euston-street",
    kind: str = "missing_return",
    priority: str = "P2",
    state: str = "reported",
    occurred_at: datetime | None = None,
) -> Incident:
    """An incident routed to `team_slugs`, as intake would leave it (without paging)."""
    async with db.session() as session:
        person = YoungPerson(first_name="Jordan", last_name="Test", match_name="jordan test")
        session.add(person)
        await session.flush()
        incident = Incident(
            reference=f"LAN-TEST-{uuid.uuid4().hex[:6].upper()}",
            kind=kind,
            state=state,
            priority=priority,
            occurred_at=occurred_at or datetime.now(UTC),
            reporter_id=reporter.id,
            station_id=world.stations[station].id,
            young_person_id=person.id,
            location_description="Near the bus station",
            area_id=world.areas["leicester-city"].id,
            triage={"reasons": ["test"], "categories": ["cce"]},
        )
        session.add(incident)
        await session.flush()
        for slug in team_slugs:
            session.add(IncidentTeam(incident_id=incident.id, team_id=world.teams[slug].id))
    return incident
