"""Places and the people seen at incidents: where harm happens and who is around it.

A `Place` is a location that may come up again (a station, a takeaway, a park). An incident
links to at most one (`incidents.place_id`); its free-text location stays its own description.
A duplicate is merged into another place (`PlaceMerge`, reversible) and a place no longer
wanted is retired; neither is ever deleted, so the incidents keep their history.

A `PersonOfConcern` is someone (usually an adult) seen around young people: a nickname, a
description, a partial vehicle registration, a phone number's last digits. Case roles only,
never police, never in a push payload, a URL or a log. `IncidentPerson` records who was present
at an incident: another young person's record (a peer) or a person of concern. Networks are
derived from these rows only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

PLACE_TYPES = (
    "transport_hub",
    "takeaway_or_shop",
    "park_or_open_space",
    "hotel_or_short_let",
    "private_address",
    "school_or_college",
    "online_platform",
    "other",
)


class Place(SQLModel, table=True):
    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(
            "type IN (" + ", ".join(f"'{t}'" for t in PLACE_TYPES) + ")",
            name="type",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False))
    aliases: list[str] = Field(default_factory=list, sa_type=JsonType)
    area_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id", index=True)
    type: str = Field(max_length=32)
    # Never a full address: an OS grid reference or the outward half of a postcode ("LE1").
    grid_reference: str | None = Field(default=None, max_length=16)
    postcode_district: str | None = Field(default=None, max_length=4)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    retired_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="places.id", index=True)


class PlaceMerge(SQLModel, table=True):
    """A duplicate (`place_id`) merged into another (`into_id`): what moved, so it can be undone."""

    __tablename__ = "place_merges"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    place_id: uuid.UUID = Field(foreign_key="places.id", index=True)
    into_id: uuid.UUID = Field(foreign_key="places.id", index=True)
    incident_ids: list[str] = Field(default_factory=list, sa_type=JsonType)
    aliases_added: list[str] = Field(default_factory=list, sa_type=JsonType)
    merged_by_id: uuid.UUID = Field(foreign_key="users.id")
    merged_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    undone_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    undone_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PersonOfConcern(SQLModel, table=True):
    __tablename__ = "persons_of_concern"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    nickname: str | None = Field(default=None, max_length=80)
    description: str | None = Field(default=None, max_length=300)
    vehicle: str | None = Field(default=None, max_length=80)
    phone_last_digits: str | None = Field(default=None, max_length=4)
    area_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id", index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class IncidentPerson(SQLModel, table=True):
    """Someone present at an incident: a peer's record or a person of concern (exactly one)."""

    __tablename__ = "incident_people"
    __table_args__ = (
        UniqueConstraint("incident_id", "young_person_id"),
        UniqueConstraint("incident_id", "person_of_concern_id"),
        CheckConstraint(
            "(young_person_id IS NULL) <> (person_of_concern_id IS NULL)",
            name="one_person",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    young_person_id: uuid.UUID | None = Field(default=None, foreign_key="young_people.id", index=True)
    person_of_concern_id: uuid.UUID | None = Field(
        default=None, foreign_key="persons_of_concern.id", index=True
    )
    role: str = Field(default="peer", max_length=40)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


STRATEGY_ACTION_KINDS = (
    "patrols",
    "licensing_review",
    "community_protection_notice",
    "closure_order",
    "outreach",
    "work_with_venue",
    "other",
)
STRATEGY_ACTION_STATUSES = ("open", "done")


class StrategyMeeting(SQLModel, table=True):
    __tablename__ = "strategy_meetings"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    place_id: uuid.UUID = Field(foreign_key="places.id", index=True)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    # [{"name": ..., "agency": ...}]: professionals, never shown in a list, a URL or a log.
    attendees: list[dict[str, str]] = Field(default_factory=list, sa_type=JsonType)
    concerns: str = Field(sa_column=Column(Text, nullable=False))
    review_on: date = Field(sa_column=Column(Date, nullable=False))
    # The review clock (kind strategy_review): starts when the meeting is recorded.
    review_starts_at: datetime = Field(sa_type=UtcDateTime)
    review_due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    review_met_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    review_met_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    review_met_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by_id: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class StrategyAction(SQLModel, table=True):
    """An action agreed at a strategy meeting; `place_id` repeated so a place's open actions
    are one indexed read."""

    __tablename__ = "strategy_actions"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in STRATEGY_ACTION_KINDS) + ")",
            name="kind",
        ),
        CheckConstraint("status IN ('open', 'done')", name="status"),
        CheckConstraint("owner_user_id IS NOT NULL OR owner_text IS NOT NULL", name="owner"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    meeting_id: uuid.UUID = Field(foreign_key="strategy_meetings.id", index=True)
    place_id: uuid.UUID = Field(foreign_key="places.id", index=True)
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    kind: str = Field(max_length=32)
    description: str = Field(sa_column=Column(Text, nullable=False))
    owner_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    owner_text: str | None = Field(default=None, max_length=160)
    due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(default="open", max_length=8)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
