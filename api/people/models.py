"""Young people: who an incident is about, matched carefully, never merged silently.

Records of one child are merged only when a person confirms a possible match. A merge moves
nothing: the absorbed records point at the surviving one (`merged_into_id`), their incidents
stay where they were, and reads that span the child (history, missing counts) follow the
pointers. A `PersonMerge` remembers what each record pointed at before, so a manager can undo it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, ForeignKey, String, UniqueConstraint, Uuid
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
    # Set when a confirmed match merged this record into another (always the group's survivor,
    # never a chain). Retention may purge the survivor first: the pointer then goes.
    merged_into_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("young_people.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def record_group(self) -> uuid.UUID:
        """The surviving record of the child this record belongs to (itself when not merged)."""
        return self.merged_into_id or self.id


class YoungPersonName(SQLModel, table=True):
    """Another name a young person is known by (an alias), by its matching key."""

    __tablename__ = "young_person_names"
    __table_args__ = (UniqueConstraint("young_person_id", "match_name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    match_name: str = Field(sa_column=Column(String(170), nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class PossibleMatch(SQLModel, table=True):
    """A partial match recorded for a person to confirm or reject later (never auto-merged)."""

    __tablename__ = "possible_matches"
    __table_args__ = (UniqueConstraint("young_person_id", "candidate_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    candidate_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    reason: str = Field(max_length=200)
    state: str = Field(default="open", max_length=16)  # open | confirmed | rejected
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PersonMerge(SQLModel, table=True):
    """A confirmed match: which records were merged into which, by whom, and how to undo it.

    `moved` maps each record that now points at `survivor_id` to what it pointed at before
    (None: it was a survivor itself). Undoing restores exactly that.
    """

    __tablename__ = "young_person_merges"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    possible_match_id: uuid.UUID = Field(foreign_key="possible_matches.id", index=True)
    survivor_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    merged_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    moved: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    merged_by_id: uuid.UUID = Field(foreign_key="users.id")
    merged_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    undone_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    undone_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
