"""Young people: who an incident is about, matched carefully, never merged silently."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

LEGAL_STATUSES = ("none", "looked_after", "child_protection", "child_in_need", "care_leaver", "unknown")


class YoungPerson(SQLModel, table=True):
    __tablename__ = "young_people"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    # Lower-cased, accents and punctuation stripped: what matching compares.
    match_name: str = Field(sa_column=Column(String(170), nullable=False, index=True))
    aliases: list[str] = Field(default_factory=list, sa_type=JsonType)
    date_of_birth: date | None = Field(default=None, sa_column=Column(Date, nullable=True, index=True))
    apparent_age: int | None = None
    gender: str | None = Field(default=None, max_length=32)
    responsible_area_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id", index=True)
    la_reference: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, index=True))
    legal_status: str = Field(default="unknown", max_length=32)
    learning_disability: bool = False
    # Equality monitoring (api/people/monitoring.py): optional, set by case roles, counted only
    # in the managers' disproportionality view, never read by triage. None: never recorded.
    ethnicity: str | None = Field(default=None, max_length=40)
    sex: str | None = Field(default=None, max_length=16)
    monitoring_updated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class PossibleMatch(SQLModel, table=True):
    """A partial match recorded for a person to confirm or reject later (never auto-merged)."""

    __tablename__ = "possible_matches"
    __table_args__ = (UniqueConstraint("young_person_id", "candidate_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    candidate_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    reason: str = Field(max_length=200)
    state: str = Field(default="open", max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
