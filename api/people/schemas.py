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
    merged_into_id: str | None = None
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


class MatchedRecord(ReadModel):
    """The other record a possible match suggests: enough to tell whether it is the same child."""

    id: str
    first_name: str
    last_name: str
    aliases: list[str]
    date_of_birth: Day | None
    apparent_age: int | None
    gender: str | None
    la_reference: str | None


class PossibleMatchOut(ReadModel):
    id: str
    reason: str
    state: str
    created_at: Instant
    record: MatchedRecord


class MergeOut(ReadModel):
    """A confirmed match: the absorbed child's records now point at the survivor. Undone merges
    show who undid them and when."""

    id: str
    possible_match_id: str
    survivor_id: str
    merged_id: str
    records_moved: list[str]
    merged_by: str
    merged_at: Instant
    undone_by: str | None
    undone_at: Instant | None


class PossibleMatchesOut(ReadModel):
    """GET /young-people/{id}/possible-matches: the child's records, open suggestions, merges."""

    young_person_id: str
    survivor_id: str
    records: list[str]
    items: list[PossibleMatchOut]
    merges: list[MergeOut]
