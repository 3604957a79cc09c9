"""Append-only audit trail of sign-ins and every read or change of protected data.

Each event carries `seq` (1, 2, 3, ... without gaps) and `hash`, the SHA-256 of its own
canonical form and the previous event's hash (see api/audit/chain.py): changing, removing
or inserting a row anywhere before the last one breaks the chain. `audit_subjects` names
every young person an event showed (a list read shows many), indexed for the access log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True, index=True)
    hash: str = Field(max_length=64)
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
    # The route template the event came through ("GET /api/v1/incidents"), never a raw path.
    route: str | None = Field(default=None, max_length=160)
    outcome: str = Field(default="ok", max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)


class AuditSubject(SQLModel, table=True):
    """A young person whose data an audit event showed (one row per child of a list read)."""

    __tablename__ = "audit_subjects"

    audit_id: uuid.UUID = Field(foreign_key="audit_events.id", primary_key=True)
    young_person_id: uuid.UUID = Field(primary_key=True, index=True)
