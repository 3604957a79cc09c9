"""Shapes of the auth API."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema


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


# Every role a user may hold (auth.models.ROLES), as the API names them.
Role = Literal["police", "worker", "day_team", "manager", "coordinator", "admin", "partner"]


class MeOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[Role]
    teams: list[TeamRefOut]
    station: StationRefOut | None = None
    police_station: str | None = None


class OidcConfigOut(BaseModel):
    """Whether sign-in through the organisation is offered, and what the PWA needs to start it
    (authorisation code with PKCE; the code comes back to `redirect_uri` and is sent to
    `POST /api/v1/auth/oidc/token`). `authorization_endpoint` is null while the provider cannot
    be reached."""

    enabled: bool
    label: str | None = None
    authorization_endpoint: str | None = None
    client_id: str | None = None
    scope: str | None = None
    redirect_uri: str | None = None


class OidcTokenIn(WriteModel):
    """The authorisation code the provider sent back, the PKCE verifier it was requested with
    (RFC 7636: 43 to 128 characters), the redirect URI used and the nonce put in the request."""

    code: str = Field(min_length=1, max_length=2048)
    code_verifier: str = Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")
    redirect_uri: str = Field(min_length=1, max_length=2048)
    nonce: str = Field(min_length=16, max_length=256)
