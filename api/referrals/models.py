"""The referral record: one per incident, to the local authority that must decide what next.

Local authorities are the areas (api.teams.models.Area: "areas (local authorities)"). Lantern
keeps no directory of their front doors or social work teams: a referral names the receiving
authority and, when the child is known, the allocated team as police or the worker named it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Integer, Text
from sqlmodel import Field, SQLModel

from api.db import JsonType, UtcDateTime, new_id, utcnow

ROUTES = ("not_known", "known", "looked_after_out_of_area")
RECEIVING_KINDS = ("front_door", "allocated_team")
DECISIONS = (
    "no_further_action",
    "early_help",
    "child_and_family_assessment",
    "s47_enquiry",
    "strategy_discussion",
)


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("route IN ('not_known', 'known', 'looked_after_out_of_area')", name="route"),
        CheckConstraint("receiving_kind IN ('front_door', 'allocated_team')", name="receiving_kind"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('no_further_action', 'early_help', "
            "'child_and_family_assessment', 's47_enquiry', 'strategy_discussion')",
            name="decision",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incidents.id", unique=True)
    young_person_id: uuid.UUID = Field(foreign_key="young_people.id", index=True)
    route: str = Field(max_length=32)
    # The responsible authority (the receiving one); None only when no area is known at all.
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id", index=True)
    receiving_kind: str = Field(max_length=16)
    receiving_name: str = Field(max_length=200)
    # The allocated team as given (a looked-after or known child's), kept for later incidents.
    allocated_team: str | None = Field(default=None, max_length=120)
    # A looked-after child placed out of area: the host authority, informed.
    host_authority_id: uuid.UUID | None = Field(default=None, foreign_key="areas.id")
    reasons: list[str] = Field(default_factory=list, sa_type=JsonType)
    referred_at: datetime = Field(sa_type=UtcDateTime)
    decision_due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    received_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    received_by: str | None = Field(default=None, max_length=120)
    receipt_recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    decision: str | None = Field(default=None, max_length=40)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: str | None = Field(default=None, max_length=120)
    decision_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decision_recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
