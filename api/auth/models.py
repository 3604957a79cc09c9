"""Users: staff and police service accounts who sign in to Lantern, and the teams they belong to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

# coordinator: a hub coordinator, across the teams of one or more hubs (their memberships).
# partner: residential homes, schools and detached youth workers, who report concerns about a
# place or a peer group (api/partners) and see only what they reported.
ROLES = ("police", "worker", "day_team", "manager", "coordinator", "admin", "partner")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(max_length=120)
    roles: list[str] = Field(default_factory=list, sa_type=JsonType)
    password_hash: str | None = Field(default=None, max_length=255)
    # The subject (`sub`) at the organisation's OpenID provider: one Lantern user per subject.
    external_subject: str | None = Field(default=None, max_length=255, unique=True, index=True)
    station_id: uuid.UUID | None = Field(default=None, foreign_key="stations.id", index=True)
    phone_number: str | None = Field(default=None, max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SigninFailure(SQLModel, table=True):
    """Failed sign-ins of one username from one client address: the throttle's shared store.

    One row per (username, address) pair, shared by every API replica through the database.
    The row is deleted by a successful sign-in and forgotten after a quiet period.
    """

    __tablename__ = "signin_failures"

    username: str = Field(primary_key=True, max_length=64)
    client_address: str = Field(primary_key=True, max_length=64, index=True)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


class SessionRevocation(SQLModel, table=True):
    """A revoked access token (`token_id`, its `jti`) or every token of a user issued before
    `issued_before` (sign out everywhere, or an admin's revocation). Kept until `expires_at`,
    after which no token it covers can still be valid."""

    __tablename__ = "session_revocations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    token_id: str | None = Field(default=None, max_length=64, index=True)
    issued_before: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reason: str = Field(max_length=32)
    revoked_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)


class Membership(SQLModel, table=True):
    """A user's membership of a team: what an actor may reach (api.teams re-exports it)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
