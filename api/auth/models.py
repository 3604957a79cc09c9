"""Users: staff and police service accounts who sign in to Lantern, and the teams they belong to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

ROLES = ("police", "worker", "day_team", "manager", "admin")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(max_length=120)
    roles: list[str] = Field(default_factory=list, sa_type=JsonType)
    password_hash: str | None = Field(default=None, max_length=255)
    external_subject: str | None = Field(default=None, max_length=255)
    station_id: uuid.UUID | None = Field(default=None, foreign_key="stations.id", index=True)
    phone_number: str | None = Field(default=None, max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Membership(SQLModel, table=True):
    """A user's membership of a team: what an actor may reach (api.teams re-exports it)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
