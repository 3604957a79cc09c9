"""Shapes of the auth API."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema


class WriteModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    """Base of a read model over a dict a service builds: the declared fields are the contract
    (and the OpenAPI schema); a field the model does not declare is passed through rather than
    dropped, so typing a route never loses part of an answer."""

    model_config = ConfigDict(extra="allow")


# Times the services already wrote with isoformat(): kept as they are (pydantic would rewrite
# "+00:00" as "Z"), documented as date-time.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class TeamRefOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class StationRefOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class MeOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    teams: list[TeamRefOut]
    station: StationRefOut | None = None
    police_station: str | None = None
