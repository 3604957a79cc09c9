"""Shapes of the partner concerns API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.auth.schemas import WriteModel
from api.textinput import FreeText, IdentifyingText
from api.timewindows import IncidentInstant

Organisation = Literal["residential_home", "school", "detached_youth_work", "other"]
About = Literal["place", "peer_group"]


class ConcernIndicatorIn(WriteModel):
    code: IdentifyingText = Field(min_length=1, max_length=40, description="A catalogue code")


class ConcernIn(WriteModel):
    """A concern about a place or a peer group: not an incident about a child (no names, no custody)."""

    organisation: Organisation
    about: About
    area: IdentifyingText = Field(min_length=1, max_length=64, description="Area slug of the place")
    location: IdentifyingText | None = Field(
        default=None, min_length=2, max_length=300, description="The place (required when about=place)"
    )
    peer_group: IdentifyingText | None = Field(
        default=None,
        min_length=2,
        max_length=300,
        description="How the group is known (required when about=peer_group); no names of children",
    )
    indicators: list[ConcernIndicatorIn] = Field(default_factory=list, max_length=40)
    youngest_apparent_age: int | None = Field(default=None, ge=0, le=25)
    observed_at: IncidentInstant
    details: FreeText | None = Field(default=None, max_length=4000)


class ConcernCreated(BaseModel):
    id: uuid.UUID
    reference: str
    state: str
    reported_at: datetime


class HubView(BaseModel):
    """What the hub sees besides the report: triage, its teams, whether it paged, its closing."""

    reporter: str
    priority: str
    reasons: list[str]
    teams: list[str]
    paged: bool
    needs_manager_review: bool
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing_note: str | None = None


class ConcernCloseIn(WriteModel):
    note: FreeText = Field(min_length=1, max_length=2000, description="What the hub did about it")


class ConcernOut(BaseModel):
    id: uuid.UUID
    reference: str
    state: str
    organisation: str
    about: str
    area: str
    location: str | None
    peer_group: str | None
    indicators: list[str]
    youngest_apparent_age: int | None
    observed_at: datetime
    reported_at: datetime
    details: str | None
    hub: HubView | None = Field(default=None, description="Case roles of its teams only; none for partners")


class ConcernList(BaseModel):
    items: list[ConcernOut]
