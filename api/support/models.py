"""Support offers and handover notes: records created on a phone, keyed by the phone's UUID.

The client's id is the primary key, so a replay can never make a second row; every
version is kept beside the current one, so nothing is silently overwritten.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Integer, Text
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow

OUTCOMES = ("accepted", "declined", "not_possible")


class SupportOffer(SQLModel, table=True):
    """The current version of one support offer."""

    __tablename__ = "support_offers"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('accepted', 'declined', 'not_possible', 'requested', 'attended', 'not_available')",
            name="outcome",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: uuid.UUID = Field(primary_key=True, description="Generated once on the phone")
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    kind: str = Field(max_length=40)
    outcome: str = Field(max_length=16)
    # The phone's clock, as an instant (UTC) plus the offset the phone was on.
    offered_at: datetime = Field(sa_type=UtcDateTime)
    offered_at_offset_minutes: int = 0
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    recorded_by_id: uuid.UUID = Field(foreign_key="users.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    captured_offline: bool = False
    # The phone said "later than now": kept as sent, flagged, never used for ordering.
    client_time_suspect: bool = False


class SupportOfferVersion(SQLModel, table=True):
    """One version of a support offer, as it was received (history; never updated)."""

    __tablename__ = "support_offer_versions"

    offer_id: uuid.UUID = Field(foreign_key="support_offers.id", primary_key=True)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    kind: str = Field(max_length=40)
    outcome: str = Field(max_length=16)
    offered_at: datetime = Field(sa_type=UtcDateTime)
    offered_at_offset_minutes: int = 0
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_by_id: uuid.UUID = Field(foreign_key="users.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    captured_offline: bool = False
    client_time_suspect: bool = False


class HandoverNote(SQLModel, table=True):
    """The current version of a worker's note for the day team about one incident."""

    __tablename__ = "handover_notes"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: uuid.UUID = Field(primary_key=True, description="Generated once on the phone")
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    recorded_by_id: uuid.UUID = Field(foreign_key="users.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    captured_offline: bool = False


class HandoverNoteVersion(SQLModel, table=True):
    """One version of a handover note, as it was received (history; never updated)."""

    __tablename__ = "handover_note_versions"

    note_id: uuid.UUID = Field(foreign_key="handover_notes.id", primary_key=True)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by_id: uuid.UUID = Field(foreign_key="users.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    captured_offline: bool = False
