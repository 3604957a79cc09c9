"""Shapes of the devices, escalation policy and acknowledgement API."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.auth.schemas import Instant, ReadModel, WriteModel
from api.paging.models import PageState
from api.textinput import FreeText, IdentifyingText

Target = Literal["primary", "secondary", "managers", "person"]
Action = Literal["attending", "phoning", "cannot_attend"]


class PublicKeyOut(BaseModel):
    public_key: str = Field(description="The VAPID public key (base64url): the applicationServerKey")


class SubscriptionKeys(WriteModel):
    p256dh: IdentifyingText = Field(min_length=1, max_length=200)
    auth: IdentifyingText = Field(min_length=1, max_length=100)


class SubscriptionCreate(WriteModel):
    """What `PushSubscription.toJSON()` gives, plus an optional label ("work phone")."""

    endpoint: FreeText = Field(min_length=1, max_length=1024)
    keys: SubscriptionKeys
    label: IdentifyingText | None = Field(None, max_length=80)
    expirationTime: int | None = Field(None, description="Sent by browsers; ignored")  # noqa: N815


class DeviceHolderOut(BaseModel):
    id: uuid.UUID
    display_name: str


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    label: str | None
    push_service: str = Field(description="The push service's origin (the endpoint itself is not echoed)")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    last_success_at: AwareDatetime | None
    last_failure_at: AwareDatetime | None
    failure_count: int
    retired_at: AwareDatetime | None
    retired_reason: str | None = Field(
        description="Why it receives nothing: unsubscribed, gone, ..., or moved (to `moved_to`)"
    )
    working: bool
    moved_at: AwareDatetime | None = Field(
        None,
        description="On my list only: when this device (a shared phone) was registered by a "
        "colleague and left me; it pages them now, not me",
    )
    moved_to: DeviceHolderOut | None = Field(None, description="Who holds it since `moved_at`")


class TestPushOut(BaseModel):
    queued: int
    device_ids: list[uuid.UUID]


class PolicyLevel(WriteModel):
    target: Target = Field(
        description="Who the level pages: the rota's primary or secondary, the team's managers, "
        "or `person`, one named member of the team (`user_id`)"
    )
    user_id: uuid.UUID | None = Field(None, description="With `person` only: the member to page")
    ack_timeout_seconds: int = Field(ge=1, le=3600)


class PolicyLevelOut(BaseModel):
    target: Target
    user_id: uuid.UUID | None = None
    display_name: str | None = Field(None, description="The named person's name (staff)")
    ack_timeout_seconds: int


class PolicyIn(WriteModel):
    levels: list[PolicyLevel] = Field(min_length=1, max_length=10)
    repeat: int = Field(0, ge=0, le=5)


class PolicyOut(BaseModel):
    team_id: uuid.UUID
    levels: list[PolicyLevelOut]
    repeat: int
    version: int | None
    updated_at: AwareDatetime | None
    default: bool = Field(description="True when the team set no policy and this default applies")


class AckIn(WriteModel):
    action: Action
    eta_minutes: int | None = Field(None, ge=0, le=720, description="Not with cannot_attend")


class TokenAckIn(AckIn):
    ack_token: IdentifyingText = Field(
        min_length=16, max_length=4096, description="The ack_token of the push payload"
    )


class PersonOut(BaseModel):
    id: uuid.UUID
    display_name: str


class AckPageOut(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    state: str


class AckOut(BaseModel):
    state: str = Field(description="The incident's state after the acknowledgement")
    action: Action
    eta_minutes: int | None
    acknowledged_by: PersonOut
    acknowledged_at: AwareDatetime
    escalated: bool = Field(description="True for cannot_attend: the page went to its next level")
    pages: list[AckPageOut]


class PhoneIn(WriteModel):
    mobile_number: IdentifyingText = Field(
        min_length=1, max_length=32, description="A UK mobile: 07… or +44 7…; stored as +447…"
    )


class MeUpdate(WriteModel):
    """Only the fields sent change; `mobile_number: null` removes the number."""

    display_name: IdentifyingText | None = Field(None, min_length=1, max_length=120)
    mobile_number: IdentifyingText | None = Field(
        None, min_length=1, max_length=32, description="A UK mobile"
    )


class TestSmsOut(BaseModel):
    at: AwareDatetime
    outcome: str = Field(description="accepted (Notify took it), or why not")


class ContactOut(BaseModel):
    """How Lantern reaches me when no phone of mine answers a push. The number is never shown whole."""

    display_name: str
    mobile_number: str | None = Field(description='Masked, e.g. "07••• •••123"; null when none is recorded')
    sms_enabled: bool = Field(description="Whether this deployment sends SMS (GOV.UK Notify configured)")
    last_test_sms: TestSmsOut | None = Field(description="The last test SMS to my number and its result")


class StaffRef(ReadModel):
    """A member of staff as a page shows them: the name only."""

    id: str
    display_name: str


class PageTeamOut(ReadModel):
    id: str
    slug: str | None
    name: str | None


class DeliveryDeviceOut(ReadModel):
    id: str
    label: str | None


class DeliveryOut(ReadModel):
    """One attempt to reach one person (push to a device, or SMS)."""

    id: str
    purpose: str
    level: int
    repeat: int
    user: StaffRef | None
    device: DeliveryDeviceOut | None
    channel: str
    attempt: int
    outcome: str
    status_code: int | None
    latency_ms: float | None
    at: Instant | None


class AcknowledgementOut(ReadModel):
    id: str
    user: StaffRef | None
    action: Action
    eta_minutes: int | None
    via: str
    level: int
    at: Instant | None


class PageOut(ReadModel):
    """One page of an incident (paging.service.pages_for_incident): its levels, deliveries and
    acknowledgements; staff names and device labels only."""

    id: str
    team: PageTeamOut
    state: PageState
    level: int
    repeat: int
    policy: dict[str, Any] = Field(description="The escalation policy as copied when the page started")
    started_at: Instant | None
    level_started_at: Instant | None
    first_accepted_at: Instant | None
    acknowledged_at: Instant | None
    acknowledged_by: StaffRef | None
    uncovered_at: Instant | None
    deliveries: list[DeliveryOut]
    acknowledgements: list[AcknowledgementOut]
