"""Shapes of the incident search: the query (filters), its results, saved searches.

Names never go in a URL: the query is a body (`POST /incidents/query`), and a saved search is
run by its id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.auth.schemas import WriteModel
from api.incidents.schemas import Kind
from api.places.schemas import PlaceType
from api.textinput import IdentifyingText
from api.timewindows import SearchInstant

Priority = Literal["P1", "P2", "P3"]
Category = Literal["cse", "cce", "general"]
Code = Annotated[IdentifyingText, Field(min_length=1, max_length=40)]
Slug = Annotated[IdentifyingText, Field(min_length=1, max_length=64)]
MAX_LAST_DAYS = 3660
MAX_VALUES = 40


class IncidentQuery(WriteModel):
    """Filters, all optional and combined with AND; a list matches any of its values.

    The window is either absolute (`from`, `to`) or relative (`last_days`: the N days up to
    each run, kept relative in a saved search), never both.
    """

    indicators: list[Code] = Field(default_factory=list, max_length=MAX_VALUES, description="Catalogue codes")
    indicator_groups: list[Code] = Field(
        default_factory=list, max_length=10, description="Catalogue groups (movement, items, harm...)"
    )
    indicator_categories: list[Category] = Field(
        default_factory=list, max_length=3, description="Any indicator of these categories (CCE indicators)"
    )
    areas: list[Slug] = Field(default_factory=list, max_length=MAX_VALUES, description="Area slugs")
    teams: list[Slug] = Field(default_factory=list, max_length=MAX_VALUES, description="Team slugs")
    kinds: list[Kind] = Field(default_factory=list, max_length=3)
    priorities: list[Priority] = Field(default_factory=list, max_length=3)
    young_person_id: uuid.UUID | None = None
    places: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_VALUES,
        description="Place ids (a merged place counts as its target)",
    )
    place_name: IdentifyingText | None = Field(
        default=None,
        min_length=2,
        max_length=120,
        description="Part of a place's name or of one of its aliases (case and accents ignored)",
    )
    place_types: list[PlaceType] = Field(default_factory=list, max_length=8, description="transport_hub, ...")
    persons_of_concern: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Person of concern ids: seen at the incident"
    )
    location_contains: IdentifyingText | None = Field(
        default=None, min_length=2, max_length=120, description="Part of the incident's location text"
    )
    from_: SearchInstant | None = Field(default=None, alias="from", description="occurred_at at or after")
    to: SearchInstant | None = Field(default=None, description="occurred_at before")
    last_days: int | None = Field(
        default=None, ge=1, le=MAX_LAST_DAYS, description="occurred in the N days up to the run (relative)"
    )

    model_config = ConfigDict(populate_by_name=True)

    def stored(self) -> dict[str, Any]:
        """The filters as a saved search keeps them (relative windows stay relative)."""
        return IncidentQuery.model_validate(
            self.model_dump(include=set(IncidentQuery.model_fields))
        ).model_dump(mode="json", by_alias=True, exclude_defaults=True)


class QueryRequest(IncidentQuery):
    """POST /incidents/query: the filters and a page."""

    limit: int = Field(default=50, ge=1, le=200)
    cursor: IdentifyingText | None = Field(default=None, max_length=200)


class ExportRequest(IncidentQuery):
    """POST /incidents/query.csv: the filters; at most `limit` rows (newest first)."""

    limit: int = Field(default=5000, ge=1, le=5000)


class PersonOfHit(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str


class PlaceOfHit(BaseModel):
    id: uuid.UUID
    name: str
    type: str


class SearchHit(BaseModel):
    """An incident a search found, as a case role sees it in a list."""

    id: uuid.UUID
    reference: str
    kind: str
    state: str
    priority: str
    category: str
    occurred_at: datetime
    reported_at: datetime
    area: str | None
    location: str
    place: PlaceOfHit | None = None
    young_person: PersonOfHit
    teams: list[str]
    indicators: list[str]


class WindowOut(BaseModel):
    """The absolute window a run used (a relative window resolved at the run)."""

    from_: datetime | None = Field(default=None, serialization_alias="from")
    to: datetime | None = None


class SearchResults(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None
    window: WindowOut


class SavedSearchIn(WriteModel):
    name: IdentifyingText = Field(min_length=1, max_length=120)
    query: IncidentQuery
    team: Slug | None = Field(default=None, description="Share with this team (a hub) you belong to")


class SavedSearchUpdate(WriteModel):
    name: IdentifyingText | None = Field(default=None, min_length=1, max_length=120)
    query: IncidentQuery | None = None
    team: Slug | None = Field(default=None, description="Share with this team; null keeps it as it is")
    private: bool | None = Field(default=None, description="true: stop sharing it with a team")


class SavedSearchOut(BaseModel):
    id: uuid.UUID
    name: str
    owner: str
    mine: bool
    team: str | None
    query: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class SavedSearchList(BaseModel):
    items: list[SavedSearchOut]


class PageRequest(WriteModel):
    """POST /saved-searches/{id}/run: a page of its results."""

    limit: int = Field(default=50, ge=1, le=200)
    cursor: IdentifyingText | None = Field(default=None, max_length=200)
