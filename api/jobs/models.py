"""The transactional outbox: work written in the same transaction as its cause."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from api.db import JsonType, StateColumn, UtcDateTime, new_id, utcnow


class JobState(StrEnum):
    """A job's state in the outbox; stored as these strings."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


JOB_STATES = tuple(JobState)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claimable", "state", "run_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    state: JobState = Field(default=JobState.PENDING, sa_type=StateColumn(JobState, 16))
    run_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    attempts: int = 0
    max_attempts: int = 10
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    leased_by: str | None = Field(default=None, max_length=128)
    # Unique while set: the same cause never enqueues the same work twice.
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(200), unique=True))
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
