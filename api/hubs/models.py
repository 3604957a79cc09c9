"""Decisions a weekly hub meeting records about a young person.

A hub is a CSE or CCE team (its area and specialism); it meets weekly over its pack (see
api.flows.hub_pack). Each decision names an owner and a due date; the due date is a clock of
kind ``hub_decision`` on the child's latest incident routed to the hub (``clock_id``), owned by
the decision's owner, so it sits in the owner's clocks beside the statutory ones and is met
the same way (``POST /api/v1/clocks/{id}/met``). The decision is done when its clock is met.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, Index, Text
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, new_id, utcnow

DECISION_KINDS = (
    "no_further_action",
    "programme_6_weeks",
    "programme_12_weeks",
    "strategy_discussion",
    "context_assessment",
    "disruption_action",
)
DECISION_LABELS = {
    "no_further_action": "No further action",
    "programme_6_weeks": "6-week programme",
    "programme_12_weeks": "12-week programme",
    "strategy_discussion": "Strategy discussion",
    "context_assessment": "Context assessment",
    "disruption_action": "Disruption action",
}


class HubDecision(SQLModel, table=True):
    __tablename__ = "hub_decisions"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('no_further_action', 'programme_6_weeks', 'programme_12_weeks', "
            "'strategy_discussion', 'context_assessment', 'disruption_action')",
            name="kind",
        ),
        Index("ix_hub_decisions_team_week", "team_id", "week"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id")
    # The meeting's ISO week, "2026-W49" (Monday to Sunday, London time).
    week: str = Field(max_length=8)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    # The incident the clock hangs on: the child's latest incident routed to the hub.
    incident_id: uuid.UUID = Field(foreign_key="incidents.id")
    kind: str = Field(max_length=32)
    owner_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    clock_id: uuid.UUID = Field(foreign_key="clocks.id", unique=True)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by_id: uuid.UUID = Field(foreign_key="users.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
