"""Devices, escalation policies, pages, deliveries and acknowledgements."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import JsonType, StateColumn, UtcDateTime, new_id, utcnow


class PageState(StrEnum):
    """A page's state; stored as these strings."""

    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    UNCOVERED = "uncovered"
    CANCELLED = "cancelled"


PAGE_STATES = tuple(PageState)
# "person": one named member of the team (the level carries their `user_id`).
TARGETS = ("primary", "secondary", "managers", "person")
ACTIONS = ("attending", "phoning", "cannot_attend")
# What a delivery was for: a page level, the uncovered alarm, a device test, a reachability check,
# an alert to managers that someone on call cannot be reached, a test SMS to a new number.
PURPOSES = ("page", "uncovered", "test", "reachability", "alert", "sms_test")


class PushSubscription(SQLModel, table=True):
    """A browser's push subscription (one phone or desktop of one person)."""

    __tablename__ = "push_subscriptions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    # A capability URL: never logged, never echoed back in full.
    endpoint: str = Field(sa_column=Column(String(1024), unique=True, nullable=False))
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    label: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_failure_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    failure_count: int = 0
    retired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    retired_reason: str | None = Field(default=None, max_length=32)


class EscalationPolicy(SQLModel, table=True):
    """A team's escalation: ordered levels with ack timeouts, repeated `repeat` more times."""

    __tablename__ = "escalation_policies"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", unique=True)
    levels: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonType)
    repeat: int = 0
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Page(SQLModel, table=True):
    """The attempt to reach one team's on-call people for one incident, level by level.

    `policy` is a copy taken when the page started: later edits never change a live page.
    """

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("incident_id", "team_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    state: PageState = Field(default=PageState.ACTIVE, sa_type=StateColumn(PageState, 16), index=True)
    level_index: int = 0
    repeat_count: int = 0
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    level_started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    first_accepted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    uncovered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Delivery(SQLModel, table=True):
    """One attempt to put one message on one channel for one person (and device)."""

    __tablename__ = "deliveries"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    page_id: uuid.UUID | None = Field(default=None, foreign_key="pages.id", index=True)
    purpose: str = Field(default="page", max_length=16)
    level_index: int | None = None
    repeat_count: int | None = None
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    device_id: uuid.UUID | None = Field(default=None, foreign_key="push_subscriptions.id", index=True)
    channel: str = Field(max_length=16)
    attempt: int = 1
    outcome: str = Field(max_length=16)
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = Field(default=None, max_length=300)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Acknowledgement(SQLModel, table=True):
    """A person taking (or declining, with `cannot_attend`) a page, with their intended action."""

    __tablename__ = "acknowledgements"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    page_id: uuid.UUID = Field(foreign_key="pages.id", index=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    action: str = Field(max_length=16)
    eta_minutes: int | None = None
    via: str = Field(default="app", max_length=16)
    level_index: int = 0
    # The ack token's id when it came from a notification: a token works once.
    token_jti: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DeviceMove(SQLModel, table=True):
    """A device that passed from one person to another: a shared duty phone handed over at shift
    change, re-registered by the next worker. Kept so the previous holder sees where it went."""

    __tablename__ = "device_moves"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    device_id: uuid.UUID = Field(foreign_key="push_subscriptions.id", index=True)
    from_user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    to_user_id: uuid.UUID = Field(foreign_key="users.id")
    moved_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
