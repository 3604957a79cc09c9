"""Append-only audit trail of sign-ins and every read or change of protected data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_username: str | None = Field(default=None, max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    resource_type: str | None = Field(default=None, max_length=32)
    resource_id: uuid.UUID | None = Field(default=None, index=True)
    young_person_id: uuid.UUID | None = Field(default=None, index=True)
    team_id: uuid.UUID | None = Field(default=None, index=True)
    client_ip: str | None = Field(default=None, max_length=64, index=True)
    request_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(default="ok", max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
