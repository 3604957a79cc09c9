"""A saved search: a named query owned by one person, optionally shared with one team (a hub).

`query` holds the filters as the API takes them; a relative window (`last_days`) stays
relative, so "the last 28 days" means the 28 days before each run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_searches"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=120)
    owner_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    # Shared with the members of this team (None: the owner's own).
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id", index=True)
    query: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
