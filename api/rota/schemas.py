"""Shapes of the rota API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.auth.schemas import WriteModel
from api.textinput import IdentifyingText
from api.timewindows import RotaInstant, RotaWallTime

Level = Literal["primary", "secondary"]


class PersonRef(BaseModel):
    id: uuid.UUID
    display_name: str


class MemberOut(BaseModel):
    id: uuid.UUID
    display_name: str
    roles: list[str]
    on_call: bool = Field(description="A worker or manager: may be put on the rota")


class TeamRef(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class RotationCreate(WriteModel):
    name: IdentifyingText = Field("", max_length=120)
    level: Level
    members: list[uuid.UUID] = Field(min_length=1, max_length=50, description="User ids, in hand-off order")
    start_local: RotaWallTime = Field(
        description="First hand-off as a Europe/London wall time, without offset (e.g. 2026-03-02T17:00)"
    )
    length_hours: int = Field(ge=1, le=672, description="Length of each shift in wall-clock hours")
    ends_local: RotaWallTime | None = Field(None, description="Europe/London wall time the rotation stops")


class RotationUpdate(WriteModel):
    """Only the fields sent change; `ends_local: null` takes the end away. The level stays."""

    name: IdentifyingText | None = Field(None, max_length=120)
    members: list[uuid.UUID] | None = Field(
        None, min_length=1, max_length=50, description="In hand-off order"
    )
    start_local: RotaWallTime | None = None
    length_hours: int | None = Field(None, ge=1, le=672)
    ends_local: RotaWallTime | None = Field(
        None, description="Europe/London wall time the rotation stops (its shifts after it go)"
    )


class RotationOut(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    level: str
    members: list[PersonRef]
    start_local: datetime = Field(description="Europe/London wall time, no offset")
    length_hours: float
    ends_local: datetime | None
    starts_at: AwareDatetime = Field(description="The first hand-off as a UTC instant")
    ends_at: AwareDatetime | None = Field(None, description="`ends_local` as a UTC instant")
    created_at: AwareDatetime
    version: int = Field(1, description="Send it back in `If-Match` on PATCH to refuse a lost update")
    updated_at: AwareDatetime | None = None


class ShiftCreate(WriteModel):
    user_id: uuid.UUID
    level: Level
    starts_at: RotaInstant
    ends_at: RotaInstant


class ShiftOut(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    user: PersonRef
    level: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_at: AwareDatetime


class OnCallOut(BaseModel):
    team_id: uuid.UUID
    at: AwareDatetime
    primary: list[PersonRef]
    secondary: list[PersonRef]


class MyShift(BaseModel):
    team: TeamRef
    level: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class MyOnCallOut(BaseModel):
    now: list[MyShift]
    next: MyShift | None


class Gap(BaseModel):
    level: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Literal["nobody", "no_working_device"]
    user: PersonRef | None = None


class GapsOut(BaseModel):
    team_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    gaps: list[Gap]
