"""Rotas as stored: rotations (ordered members, Europe/London hand-offs) and override shifts.

Rotation times are naive Europe/London wall times on purpose: a hand-off "at 17:00" stays at
17:00 across the clock changes. `api.rota.schedule` turns them into UTC instants.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, new_id, utcnow


class Rotation(SQLModel, table=True):
    __tablename__ = "rotations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    name: str = Field(default="", max_length=120)
    level: str = Field(max_length=16)
    # Naive Europe/London wall times (never UTC): see the module docstring.
    start_local: datetime = Field(sa_column=Column(DateTime(timezone=False), nullable=False))
    ends_local: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=False), nullable=True)
    )
    length_minutes: int
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Raised by every edit; `If-Match` on PATCH names the version the editor saw.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    updated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class RotationMember(SQLModel, table=True):
    """One place in a rotation's order: shift k goes to the member at position k mod n."""

    __tablename__ = "rotation_members"
    __table_args__ = (UniqueConstraint("rotation_id", "position"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    rotation_id: uuid.UUID = Field(foreign_key="rotations.id", index=True)
    position: int
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)


class OverrideShift(SQLModel, table=True):
    """Someone on call at a level for an interval, replacing that level's rotations."""

    __tablename__ = "override_shifts"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    level: str = Field(max_length=16)
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    ends_at: datetime = Field(sa_type=UtcDateTime, index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
