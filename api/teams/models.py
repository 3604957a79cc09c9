"""Areas (local authorities), police stations, teams and who belongs to them (Membership lives
in api.auth.models, which the actor is built from; it is re-exported here)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Column, String, true
from sqlmodel import Field, SQLModel

from api.auth.models import Membership as Membership  # defined beside the users (auth reads it)
from api.db import UtcDateTime, new_id, utcnow

SPECIALISMS = ("cse", "cce", "general")


class Area(SQLModel, table=True):
    __tablename__ = "areas"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=120)
    # Retired, never deleted (stations, teams and incidents refer to it).
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))


class Station(SQLModel, table=True):
    __tablename__ = "stations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=120)
    area_id: uuid.UUID = Field(foreign_key="areas.id", index=True)
    # A retired station takes no more reports (it leaves the intake directory); its incidents stay.
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=120)
    specialism: str = Field(max_length=16)
    area_id: uuid.UUID = Field(foreign_key="areas.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
