"""Handover items (one incident handed to one day team), their history, and the clocks.

A handover item is due at the end of the out-of-hours window (09:00 London on the next
working day), is picked up by a named person, and is closed with a note. Clocks belong to the
incident (every team sees the same statutory limits); their owner comes from the first
pick-up and follows reassignment of that item.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Date, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, StateColumn, UtcDateTime, new_id, utcnow


class ItemState(StrEnum):
    """A handover item's state; stored as these strings (the table's CHECK lists them)."""

    AWAITING_PICKUP = "awaiting_pickup"
    PICKED_UP = "picked_up"
    CLOSED = "closed"


ITEM_STATES = tuple(ItemState)
OPEN_ITEM_STATES = (ItemState.AWAITING_PICKUP, ItemState.PICKED_UP)


class HandoverItem(SQLModel, table=True):
    __tablename__ = "handover_items"
    __table_args__ = (
        UniqueConstraint("incident_id", "team_id"),
        CheckConstraint("state IN ('awaiting_pickup', 'picked_up', 'closed')", name="state"),
        Index("ix_handover_items_team_state_due", "team_id", "state", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id")
    state: ItemState = Field(default=ItemState.AWAITING_PICKUP, sa_type=StateColumn(ItemState, 16))
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    picked_up_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Set once when the item was raised to the team's managers (not picked up by 10:30).
    escalated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closing_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class HandoverEvent(SQLModel, table=True):
    """What happened to a handover item: picked up, reassigned, escalated, closed (append-only)."""

    __tablename__ = "handover_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    item_id: uuid.UUID = Field(foreign_key="handover_items.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=32)
    from_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    to_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)


class Clock(SQLModel, table=True):
    """A statutory or local time limit an incident started (see api.handover.clocks).

    `sequence` numbers repeating clocks of one kind (PACE reviews: the next review is a new
    clock once the previous one is met).
    """

    __tablename__ = "clocks"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "sequence"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    kind: str = Field(max_length=32)
    sequence: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    label: str = Field(max_length=120)
    source: str = Field(max_length=120)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    met_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    met_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    met_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # How it was closed, for clocks closed only from a fixed list (api.handover.clocks.OUTCOMES).
    outcome: str | None = Field(default=None, max_length=40)
    # Recorded steps and facts of the closing: the return home interview's offered / accepted /
    # declined / completed with who and whether independent; a certificate's ground.
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    raised_approaching_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    raised_overdue_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def met(self) -> bool:
        return self.met_at is not None


NRM_DECISIONS = ("referred", "not_referred")


class NrmConsideration(SQLModel, table=True):
    """ "Consider an NRM referral": raised on an incident by the rules in api.triage.nrm.

    One per incident. The incident's handover items cannot be closed until ``decision`` is
    recorded: ``referred`` (with the NRM referral's reference and date) or ``not_referred``
    (with the reason). ``s45_flagged_at``: the child was charged while exploitation indicators
    were recorded (possible Modern Slavery Act 2015 s45 defence).
    """

    __tablename__ = "nrm_considerations"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('referred', 'not_referred')", name="decision"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", unique=True)
    # [{"rule": code, "reason": text}], in the rules table's order; rules added by updates append.
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonType)
    raised_at: datetime = Field(sa_type=UtcDateTime)
    s45_flagged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision: str | None = Field(default=None, max_length=16)
    referral_reference: str | None = Field(default=None, max_length=64)
    referred_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    not_referred_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
