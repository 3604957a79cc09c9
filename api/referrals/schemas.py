"""Shapes of the referral API (the document itself: api.referrals.document)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.auth.schemas import WriteModel
from api.referrals.document import Decision
from api.textinput import FreeText, IdentifyingText
from api.timewindows import IncidentInstant


class ReceiptIn(WriteModel):
    """The receiving team has the referral."""

    received_at: IncidentInstant | None = Field(default=None, description="When; now if omitted")
    received_by: IdentifyingText = Field(
        min_length=1, max_length=120, description="Who at the receiving team took it (name or role)"
    )


class DecisionIn(WriteModel):
    """The receiving team's decision on the referral (meets the one-working-day clock)."""

    decision: Decision
    decided_at: IncidentInstant | None = Field(default=None, description="When; now if omitted")
    decided_by: IdentifyingText = Field(
        min_length=1, max_length=120, description="Who decided (name or role)"
    )
    note: FreeText | None = Field(default=None, min_length=1, max_length=2000)


class ReferralStateOut(BaseModel):
    """Where a referral stands (no content about the child)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    version: int
    route: Literal["not_known", "known", "looked_after_out_of_area"]
    receiving_kind: Literal["front_door", "allocated_team"]
    receiving_name: str
    referred_at: datetime
    decision_due_at: datetime
    received_at: datetime | None
    decision: Decision | None
    decided_at: datetime | None
