"""Shapes of strategy meetings about a place: who attended, the concerns, the agreed actions
and the review date (a clock)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.auth.schemas import WriteModel
from api.handover.schemas import ClockList
from api.textinput import FreeText, IdentifyingText

StrategyActionKind = Literal[
    "patrols",
    "licensing_review",
    "community_protection_notice",
    "closure_order",
    "outreach",
    "work_with_venue",
    "other",
]
ClockStatus = Literal["open", "approaching", "overdue", "met"]


class AttendeeIn(WriteModel):
    name: IdentifyingText = Field(min_length=1, max_length=120, description="A professional's name")
    agency: IdentifyingText = Field(min_length=1, max_length=120, description="e.g. British Transport Police")


class StrategyActionIn(WriteModel):
    kind: StrategyActionKind
    description: FreeText = Field(min_length=1, max_length=2000)
    owner_user_id: uuid.UUID | None = Field(default=None, description="A colleague who owns the action")
    owner: IdentifyingText | None = Field(
        default=None, min_length=1, max_length=160, description="Or the owner as text (a person or an agency)"
    )
    due_on: date | None = None


class StrategyMeetingIn(WriteModel):
    held_on: date = Field(description="The day the meeting was held (not in the future)")
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=40)
    concerns: FreeText = Field(min_length=1, max_length=8000)
    actions: list[StrategyActionIn] = Field(default_factory=list, max_length=30)
    review_on: date = Field(
        description="When the meeting reviews progress (after held_on): a clock until the end of that day"
    )


class StrategyActionPatch(WriteModel):
    status: Literal["open", "done"]


class ReviewMetIn(WriteModel):
    note: FreeText | None = Field(default=None, max_length=2000)


class OwnerRef(BaseModel):
    user_id: uuid.UUID | None = None
    name: str


class StrategyActionOut(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    place_id: uuid.UUID
    kind: StrategyActionKind
    description: str
    owner: OwnerRef
    due_on: date | None
    status: Literal["open", "done"]
    done_at: datetime | None
    overdue: bool = Field(description="Open and past its due date (London)")


class ReviewClockOut(BaseModel):
    """The meeting's review date as a clock (kind `strategy_review`, as the handover clocks)."""

    meeting_id: uuid.UUID
    place_id: uuid.UUID
    place_name: str
    kind: Literal["strategy_review"] = "strategy_review"
    label: str
    source: str
    review_on: date
    starts_at: datetime
    due_at: datetime
    met: bool
    met_at: datetime | None
    status: ClockStatus


class MyClockList(ClockList):
    """Your open clocks (`GET /me/clocks`): the handover clocks you own, and the strategy review
    clocks of your teams' areas' places (hub coordinators and managers) or of the meetings that
    gave you an open action."""

    strategy_reviews: list[ReviewClockOut] = Field(
        default_factory=list, description="Open strategy review clocks (not rows of `clocks`: no incident)"
    )


class AttendeeOut(BaseModel):
    name: str
    agency: str


class StrategyMeetingOut(BaseModel):
    id: uuid.UUID
    place_id: uuid.UUID
    held_on: date
    attendees: list[AttendeeOut]
    concerns: str
    actions: list[StrategyActionOut]
    review: ReviewClockOut
    created_at: datetime


class StrategyMeetingList(BaseModel):
    items: list[StrategyMeetingOut]


class ReviewClockList(BaseModel):
    clocks: list[ReviewClockOut]


class PlaceStrategy(BaseModel):
    """What the place's profile shows of its strategy meetings."""

    open_actions: list[StrategyActionOut]
    next_review: ReviewClockOut | None = Field(description="The latest meeting's review clock, while open")
    meetings: int
