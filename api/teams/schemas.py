"""Shapes of the teams and users administration API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.auth.schemas import WriteModel
from api.textinput import IdentifyingText

Role = Literal["police", "worker", "day_team", "manager", "coordinator", "admin", "partner"]
Slug = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")


class TeamCreate(WriteModel):
    slug: IdentifyingText = Slug
    name: IdentifyingText = Field(min_length=1, max_length=120)
    specialism: Literal["cse", "cce", "general"]
    area: IdentifyingText = Field(min_length=2, max_length=64, description="Area slug, e.g. leicester-city")


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    specialism: str
    area: str
    active: bool = True


class TeamUpdate(WriteModel):
    """Only the fields sent change. `active: false` retires the team: intake routes nothing
    more to it; its incidents, rotas and members stay."""

    name: IdentifyingText | None = Field(None, min_length=1, max_length=120)
    specialism: Literal["cse", "cce", "general"] | None = None
    area: IdentifyingText | None = Field(None, min_length=2, max_length=64, description="Area slug")
    active: bool | None = None


class AreaCreate(WriteModel):
    slug: IdentifyingText = Slug
    name: IdentifyingText = Field(min_length=1, max_length=120)


class AreaUpdate(WriteModel):
    name: IdentifyingText | None = Field(None, min_length=1, max_length=120)
    active: bool | None = Field(None, description="false retires it: no new stations or teams in it")


class StationCreate(WriteModel):
    slug: IdentifyingText = Slug
    name: IdentifyingText = Field(min_length=1, max_length=120)
    area: IdentifyingText = Field(min_length=2, max_length=64, description="Area slug")


class StationUpdate(WriteModel):
    name: IdentifyingText | None = Field(None, min_length=1, max_length=120)
    area: IdentifyingText | None = Field(None, min_length=2, max_length=64, description="Area slug")
    active: bool | None = Field(None, description="false retires it: it takes no more reports")


class UserUpdate(WriteModel):
    """Only the fields sent change. `team_ids` replaces the user's teams; `active: false`
    deactivates the user (their sign-ins and tokens stop working; nothing they did is removed)."""

    display_name: IdentifyingText | None = Field(None, min_length=1, max_length=120)
    roles: list[Role] | None = Field(None, min_length=1)
    team_ids: list[uuid.UUID] | None = None
    station: IdentifyingText | None = Field(None, max_length=64, description="Station slug (police)")
    active: bool | None = None


class UserCreate(WriteModel):
    username: IdentifyingText = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: IdentifyingText = Field(min_length=1, max_length=120)
    password: str = Field(min_length=12, max_length=256)
    roles: list[Role] = Field(min_length=1)
    team_ids: list[uuid.UUID] = Field(default_factory=list)
    station: IdentifyingText | None = Field(
        default=None, max_length=64, description="Station slug (police users)"
    )


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    team_ids: list[uuid.UUID]
    station: str | None = None
    active: bool = True


class AreaOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    active: bool = True


class StationOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    area: str
    active: bool = True
