"""Shapes of the young people API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.auth.schemas import Day, Instant, ReadModel, WriteModel
from api.people.monitoring import Ethnicity, Sex


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
    ethnicity: str | None = None
    sex: str | None = None
    incidents: list[IncidentOfPerson]


class MonitoringIn(WriteModel):
    """Equality monitoring of a young person (ONS 2021 ethnic groups; sex). Both optional: an
    absent field is recorded as not recorded. Used only by the managers' disproportionality
    view, never by triage."""

    ethnicity: Ethnicity = Field(default="not_recorded", description="ONS 2021 category")
    sex: Sex = "not_recorded"


class MonitoringOut(BaseModel):
    young_person_id: str
    ethnicity: str
    ethnicity_label: str | None
    ethnic_group: str
    sex: str
    updated_at: Instant
