"""Shapes of the hub pack (api.flows.hub_pack) and of the decisions a meeting records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.auth.schemas import WriteModel
from api.handover.schemas import PersonRef
from api.hubs.weeks import WEEK_PATTERN
from api.places.schemas import NetworkConcern, NetworkPeer, PlaceSeen
from api.textinput import FreeText, IdentifyingText

DecisionKind = Literal[
    "no_further_action",
    "programme_6_weeks",
    "programme_12_weeks",
    "strategy_discussion",
    "context_assessment",
    "disruption_action",
]
DecisionStatus = Literal["outstanding", "done", "withdrawn"]


class DecisionIn(WriteModel):
    young_person_id: uuid.UUID = Field(description="A young person who came through the hub")
    kind: DecisionKind
    owner_id: uuid.UUID = Field(description="A day-team member or manager of the hub's team")
    due_on: date = Field(description="The owner's clock falls due at 17:00 London time that day")
    week: IdentifyingText | None = Field(
        default=None,
        pattern=WEEK_PATTERN,
        description="The meeting's ISO week (e.g. 2026-W49); the current week when left out",
    )
    note: FreeText | None = Field(default=None, max_length=2000)


class WithdrawIn(WriteModel):
    reason: FreeText = Field(min_length=1, max_length=2000, description="Why the decision is withdrawn")


class DecisionOut(BaseModel):
    id: uuid.UUID
    hub: str
    week: str
    young_person_id: uuid.UUID
    young_person_name: str
    kind: DecisionKind
    kind_label: str
    owner: PersonRef
    due_on: date
    due_at: datetime
    clock_id: uuid.UUID
    incident_id: uuid.UUID
    incident_reference: str
    note: str | None
    decided_by: PersonRef
    decided_at: datetime
    status: DecisionStatus = Field(
        description="done once its clock is met, withdrawn once withdrawn (as of the pack's week end)"
    )
    done_at: datetime | None
    overdue: bool
    withdrawn_at: datetime | None = None
    withdrawn_by: PersonRef | None = None
    withdrawn_reason: str | None = None


class HubOut(BaseModel):
    slug: str
    name: str
    area: str
    specialism: str


class HubList(BaseModel):
    hubs: list[HubOut]
    current_week: str = Field(description="This ISO week (London time)")


class PackIncident(BaseModel):
    id: uuid.UUID
    reference: str
    kind: str
    priority: str
    occurred_at: datetime
    location: str
    place: PlaceSeen | None = None


class PackIndicator(BaseModel):
    code: str
    label: str


class PackClock(BaseModel):
    id: uuid.UUID
    kind: str
    label: str
    due_at: datetime
    status: str
    owner: PersonRef | None
    incident_reference: str


class PackNrm(BaseModel):
    incident_reference: str
    decision: Literal["referred", "not_referred"] | None = Field(description="None: not yet decided")
    decided_at: datetime | None


class PackYoungPerson(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date | None
    status: Literal["first_time", "repeat"] = Field(
        description="repeat: an incident routed to this hub before the week"
    )
    incidents: list[PackIncident]
    missing_episodes_30d: int
    missing_episodes_90d: int
    new_indicators: list[PackIndicator] = Field(description="First recorded for the child this week")
    places: list[PlaceSeen] = Field(description="Places of the child's incidents routed to the hub")
    peers: list[NetworkPeer]
    persons_of_concern: list[NetworkConcern]
    open_clocks: list[PackClock]
    nrm: list[PackNrm]
    decisions: list[DecisionOut] = Field(description="Recorded at this week's meeting")
    actions: list[DecisionOut] = Field(description="Earlier meetings' decisions: outstanding or done")


class PackPlace(BaseModel):
    id: uuid.UUID
    name: str
    type: str
    incidents: int = Field(description="Incidents routed to the hub at the place this week")
    young_people: int
    previous_weeks: list[int] = Field(description="The four weeks before, oldest first")
    previous_average: float
    change: float = Field(description="This week's incidents minus the previous four weeks' average")


class HubPack(BaseModel):
    hub: HubOut
    week: str
    starts_at: datetime
    ends_at: datetime
    previous_week: str
    next_week: str | None = Field(description="None for the current week")
    generated_at: datetime
    young_people: list[PackYoungPerson]
    places: list[PackPlace]
    follow_ups: list[DecisionOut] = Field(
        description="Earlier meetings' decisions still outstanding when the week began (done since or not)"
    )
