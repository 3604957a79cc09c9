"""Incidents reported by police, their indicators, routed teams and timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, String, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from api.db import JsonType, StateColumn, UtcDateTime, new_id, utcnow

KINDS = ("missing_return", "arrest", "stop_conversation")


class IncidentState(StrEnum):
    """Where an incident is in the night, in order (then `uncovered`); stored as these strings."""

    REPORTED = "reported"
    PAGING = "paging"
    ACKNOWLEDGED = "acknowledged"
    ATTENDING = "attending"
    SUPPORT_RECORDED = "support_recorded"
    HANDED_OVER = "handed_over"
    PICKED_UP = "picked_up"
    CLOSED = "closed"
    UNCOVERED = "uncovered"


STATES = tuple(IncidentState)
PRIORITIES = ("P1", "P2", "P3")
CUSTODY_STATUSES = ("in_custody", "released", "not_arrested", "police_protection", "unknown")


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_occurred_at_id", "occurred_at", "id"),
        # Searches by area over a window (api/search; bench/search.py measured which indexes
        # the planners use: this one on PostgreSQL; team and indicator probes use the existing
        # incident_id indexes, and (team_id, incident_id) or (code, incident_id) made SQLite slower).
        Index("ix_incidents_area_occurred_at", "area_id", "occurred_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reference: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    kind: str = Field(max_length=32, index=True)
    state: IncidentState = Field(
        default=IncidentState.REPORTED, sa_type=StateColumn(IncidentState, 32), index=True
    )
    priority: str = Field(max_length=2)
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    reporter_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    station_id: uuid.UUID = Field(foreign_key="stations.id", index=True)
    police_references: list[str] = Field(default_factory=list, sa_type=JsonType)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    location_description: str = Field(max_length=300)
    location_area_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id")
    # The place the location resolved to (api.places), if any; the description stays as written.
    place_id: uuid.UUID | None = Field(default=None, foreign_key="places.id", index=True)
    area_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id", index=True)
    circumstances: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    custody: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    people_present: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonType)
    # Facts the clocks start from.
    police_protection_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    detained_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    charged: bool = False
    bail_refused: bool = False
    # The child had been missing (a missing_return implies it): the return home interview and
    # the missing count follow this, whatever the kind.
    was_missing: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    charged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    returned_home_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When a disclosed (sexual) assault happened, if known: the health offers count from it.
    assault_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    triage: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    needs_manager_review: bool = Field(default=False, index=True)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    acknowledged_action: str | None = Field(default=None, max_length=32)
    eta_minutes: int | None = None
    uncovered: bool = False
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class IncidentIndicator(SQLModel, table=True):
    """One observation of an indicator on an incident, with its provenance."""

    __tablename__ = "incident_indicators"
    __table_args__ = (UniqueConstraint("incident_id", "code", "provenance"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    code: str = Field(max_length=40, index=True)
    category: str = Field(max_length=16)
    provenance: str = Field(max_length=16)
    catalogue_version: int = 1
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class IncidentTeam(SQLModel, table=True):
    """A team the incident was routed to by triage: what scopes who may see it."""

    __tablename__ = "incident_teams"
    __table_args__ = (UniqueConstraint("incident_id", "team_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TimelineEvent(SQLModel, table=True):
    """Every state change and action on an incident: who, when, what."""

    __tablename__ = "timeline_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    # Shown to police on their status view only when True (never case notes).
    police_visible: bool = False


class ReferenceCounter(SQLModel, table=True):
    """Per-year counter behind LAN-YYYY-NNNNNN references (gaps allowed, never duplicates)."""

    __tablename__ = "reference_counters"

    year: int = Field(primary_key=True)
    value: int = 0


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request carrying an Idempotency-Key, kept at least 7 days."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("actor_id", "scope", "key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    actor_id: uuid.UUID = Field(foreign_key="users.id")
    scope: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
