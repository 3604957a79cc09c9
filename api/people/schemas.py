"""Shapes of the young people API."""

from __future__ import annotations

from api.auth.schemas import Day, Instant, ReadModel


class IncidentOfPerson(ReadModel):
    id: str
    reference: str
    kind: str
    occurred_at: Instant
    state: str
    priority: str


class YoungPersonOut(ReadModel):
    """GET /young-people/{id} (api/flows/person_view.py)."""

    id: str
    first_name: str
    last_name: str
    aliases: list[str]
    date_of_birth: Day | None
    apparent_age: int | None
    gender: str | None
    la_reference: str | None
    legal_status: str
    learning_disability: bool
    incidents: list[IncidentOfPerson]
