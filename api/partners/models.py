"""A concern a partner reported about a place or a peer group, and the hub teams it reached.

Not an incident: no child in custody, no young person record. Triage's rules decide the area's
hub (its CSE and/or CCE team, else its general team) and the priority; only P1 pages.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

ORGANISATIONS = ("residential_home", "school", "detached_youth_work", "other")
SUBJECTS = ("place", "peer_group")
CONCERN_STATES = ("open", "closed")


class PartnerConcern(SQLModel, table=True):
    __tablename__ = "partner_concerns"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reference: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    reporter_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    organisation: str = Field(max_length=32)
    about: str = Field(max_length=16)
    area_id: uuid.UUID = Field(foreign_key="areas.id", index=True)
    location_description: str | None = Field(default=None, max_length=300)
    peer_group_description: str | None = Field(default=None, max_length=300)
    details: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    indicators: list[str] = Field(default_factory=list, sa_type=JsonType)
    youngest_apparent_age: int | None = None
    observed_at: datetime = Field(sa_type=UtcDateTime)
    priority: str = Field(max_length=2)
    triage: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    needs_manager_review: bool = False
    paged: bool = False
    state: str = Field(default="open", max_length=16, index=True)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    # The hub closes it with a note (what was done: a strategy meeting, a visit, nothing needed).
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    closing_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ConcernTeam(SQLModel, table=True):
    """A hub team a concern was routed to: whose queue it is in."""

    __tablename__ = "partner_concern_teams"
    __table_args__ = (UniqueConstraint("concern_id", "team_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    concern_id: uuid.UUID = Field(foreign_key="partner_concerns.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
