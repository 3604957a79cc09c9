"""Shapes of the handover API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.auth.schemas import Instant, ReadModel, WriteModel
from api.incidents.models import IncidentState
from api.incidents.schemas import BoardPage, Kind, StationOfIncident, TeamOfIncident, TimelineEntryOut
from api.paging.schemas import PageOut
from api.support.schemas import HandoverNoteOut, SupportOfferOut
from api.textinput import FreeText, IdentifyingText
from api.timewindows import IncidentInstant

ItemState = Literal["awaiting_pickup", "picked_up", "closed"]


class PersonRef(BaseModel):
    id: uuid.UUID
    display_name: str


class PickupOut(BaseModel):
    id: uuid.UUID
    state: ItemState
    owner: PersonRef | None
    picked_up_at: datetime | None


class ReassignIn(WriteModel):
    user_id: uuid.UUID = Field(description="A day-team member or manager of the item's team")


class ReassignOut(PickupOut):
    previous_owner: PersonRef | None
    reassigned_at: datetime


class CloseIn(WriteModel):
    note: FreeText = Field(min_length=1, max_length=4000, description="What was decided; required")


class CloseOut(PickupOut):
    closed_at: datetime
    closed_by: PersonRef
    closing_note: str


class ClockMetIn(WriteModel):
    note: FreeText | None = Field(default=None, max_length=2000)
    detention_ended: bool = Field(
        default=False, description="PACE reviews only: no further review is due (otherwise the next starts)"
    )
    outcome: IdentifyingText | None = Field(
        default=None,
        max_length=40,
        description="Required for rhi_72h (completed | declined), bail_refused_transfer (transferred | "
        "secure_accommodation_requested | certified_impracticable) and s47_outcome (not_substantiated | "
        "child_in_need_plan | initial_child_protection_conference | emergency_protection_order_sought | "
        "enquiries_continue_with_safety_plan); refused on other clocks",
    )
    ground: IdentifyingText | None = Field(
        default=None,
        max_length=40,
        description="certified_impracticable only: extreme_weather | court_appearance_imminent | "
        "transfer_physically_impossible (no_accommodation_available is never a ground: PACE Code C 16D)",
    )
    by: IdentifyingText | None = Field(
        default=None,
        max_length=120,
        description="rhi_72h completed: who carried out the interview (role or name)",
    )
    independent: bool | None = Field(
        default=None, description="rhi_72h completed: whether they are independent of the child's care"
    )


class ReturnHomeInterviewIn(WriteModel):
    """A step of the return home interview (DfE 2014): declined and completed close the clock."""

    step: Literal["offered", "accepted", "declined", "completed"]
    at: IncidentInstant | None = Field(default=None, description="When; now if omitted")
    by: IdentifyingText | None = Field(
        default=None, max_length=120, description="Who offered or carried it out"
    )
    independent: bool | None = Field(
        default=None, description="Required when completed: independent of the child's care?"
    )
    note: FreeText | None = Field(default=None, max_length=2000)


class ClockOut(BaseModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    incident_reference: str | None = None
    kind: str
    sequence: int
    label: str
    source: str
    starts_at: datetime
    due_at: datetime
    owner: PersonRef | None
    met: bool
    met_at: datetime | None
    met_by: PersonRef | None
    met_note: str | None
    outcome: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    status: Literal["open", "approaching", "overdue", "met"]
    raised_approaching_at: datetime | None
    raised_overdue_at: datetime | None


class ClockList(BaseModel):
    clocks: list[ClockOut]


class NrmOut(BaseModel):
    """ "Consider an NRM referral" on an incident: why, the consent note, and the decision."""

    incident_id: uuid.UUID
    prompt: str
    consent_note: str = Field(description="Children need no consent for an NRM referral")
    reasons: list[str] = Field(description="The rules that apply (api/triage/nrm_rules.json)")
    rules: list[str]
    raised_at: datetime
    s45_flag: str | None = Field(description="Set when the child was charged with exploitation indicators")
    s45_flagged_at: datetime | None
    decision: Literal["referred", "not_referred"] | None
    referral_reference: str | None
    referred_on: date | None
    not_referred_reason: str | None
    decided_at: datetime | None
    decided_by: PersonRef | None
    needs_decision: bool


class NrmDecisionIn(WriteModel):
    """The NRM decision: referred (reference and date) or not referred (reason)."""

    decision: Literal["referred", "not_referred"]
    referral_reference: IdentifyingText | None = Field(
        default=None, min_length=1, max_length=64, description="referred: the NRM referral's reference"
    )
    referred_on: date | None = Field(default=None, description="referred: the date of the referral")
    reason: FreeText | None = Field(
        default=None, min_length=1, max_length=2000, description="not_referred: why not"
    )


class ItemIncident(ReadModel):
    """The incident a handover item is about, as the day team's list shows it."""

    id: str
    reference: str
    kind: Kind
    kind_label: str
    state: IncidentState
    priority: str
    occurred_at: Instant
    reported_at: Instant
    station: StationOfIncident
    police_references: list[str]
    teams: list[TeamOfIncident]
    uncovered: bool


class WhatHappened(ReadModel):
    summary: str
    circumstances: str | None
    custody: dict[str, Any] | None
    timeline: list[TimelineEntryOut]


class ItemDecisions(ReadModel):
    """What triage decided, and why."""

    priority: str
    categories: list[str]
    area: str | None
    reasons: list[str]
    needs_manager_review: bool


class HandoverItemOut(BaseModel):
    """One handover item and everything it holds (see domain-reference.md)."""

    id: uuid.UUID
    state: ItemState
    team: TeamOfIncident
    due_at: datetime
    created_at: datetime
    owner: PersonRef | None
    picked_up_at: datetime | None
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by: PersonRef | None
    closing_note: str | None
    incident: ItemIncident
    what_happened: WhatHappened
    decisions: ItemDecisions
    pages: list[PageOut]
    being_paged: BoardPage | None = Field(
        default=None,
        description="The item's team's page while it is still escalating (nobody has acknowledged "
        "it; not uncovered, not cancelled): its level and whom it pages now. The queue shows such "
        "an item apart, as still being paged; None once the night's response has ended",
    )
    support_offers: list[SupportOfferOut]
    handover_notes: list[HandoverNoteOut]
    current_risk: dict[str, Any]
    nrm: NrmOut | None = Field(description="Consider an NRM referral; None when no rule applies")
    places_and_peers: dict[str, Any]
    clocks: list[ClockOut]
    open_clocks: list[ClockOut]
    young_person: dict[str, Any]
    history: list[dict[str, Any]]


class HandoverQueue(BaseModel):
    items: list[HandoverItemOut]
