"""Shapes of the auth API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class WriteModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class TeamRefOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class MeOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    teams: list[TeamRefOut]
    station: dict | None = None
    police_station: str | None = None
