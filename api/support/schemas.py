"""Shapes of the support offer, handover note and sync API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, WithJsonSchema, field_validator

from api.auth.schemas import WriteModel
from api.support.catalogue import APPROPRIATE_ADULT, offer_kind, outcomes_for
from api.textinput import FreeText, IdentifyingText
from api.timewindows import OfferInstant

SYNC_MAX_ITEMS = 100
NOTES_MAX = 4000
HANDOVER_TEXT_MAX = 10000


OfferOutcome = Literal["accepted", "declined", "not_possible", "requested", "attended", "not_available"]


class SupportOfferIn(WriteModel):
    """One offer as the phone captured it. The record is its kind, outcome, instant and notes."""

    kind: IdentifyingText = Field(max_length=40, description="A code from GET /api/v1/support-offer-kinds")
    outcome: OfferOutcome = Field(
        description="accepted | declined | not_possible; for appropriate_adult only requested | "
        "attended | not_available (a child cannot decline an appropriate adult: PACE Code C)"
    )
    offered_at: OfferInstant = Field(description="The phone's time, with the phone's offset")
    notes: FreeText | None = Field(
        default=None,
        max_length=NOTES_MAX,
        validate_default=True,
        description="Required for kind `other`",
    )
    captured_offline: bool | None = Field(
        default=None,
        description="Set by the PWA when the record waited in its outbox; not part of the record's "
        "identity (a replay differing only here is the same record). Defaults to false on PUT and "
        "true through /sync.",
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if offer_kind(kind) is None:
            raise ValueError("unknown kind; see GET /api/v1/support-offer-kinds")
        return kind

    @field_validator("outcome")
    @classmethod
    def _outcome_fits_kind(cls, outcome: str, info: ValidationInfo) -> str:
        allowed = outcomes_for(info.data.get("kind") or "")
        if outcome not in allowed:
            if outcome == "declined" and info.data.get("kind") == APPROPRIATE_ADULT:
                raise ValueError(
                    "a child cannot decline an appropriate adult (PACE Code C): use requested, attended "
                    "or not_available"
                )
            raise ValueError(f"for this kind one of {', '.join(allowed)}")
        return outcome

    @field_validator("notes")
    @classmethod
    def _notes_when_required(cls, notes: str | None, info: ValidationInfo) -> str | None:
        notes = notes or None  # "" and "   " mean no notes
        kind = offer_kind(info.data.get("kind") or "")
        if notes is None and kind is not None and kind.notes_required:
            raise ValueError(f"required when kind is '{kind.code}'")
        return notes


class HandoverNoteIn(WriteModel):
    """A worker's note for the day team about one incident."""

    text: FreeText = Field(min_length=1, max_length=HANDOVER_TEXT_MAX)
    captured_offline: bool | None = Field(default=None, description="As for support offers")


class PersonRef(BaseModel):
    id: uuid.UUID
    display_name: str


class OfferKindOut(BaseModel):
    code: str
    label: str
    notes_required: bool = False
    outcomes: list[OfferOutcome] = Field(
        default_factory=list, description="The outcomes this kind may record"
    )


class SupportOfferVersionOut(BaseModel):
    version: int
    kind: str
    outcome: OfferOutcome
    offered_at: datetime = Field(description="As the phone sent it, with its offset")
    notes: str | None
    recorded_by: PersonRef
    received_at: datetime
    captured_offline: bool
    client_time_suspect: bool


class SupportOfferOut(BaseModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    kind: str
    kind_label: str
    outcome: OfferOutcome
    offered_at: datetime = Field(description="As the phone sent it, with its offset")
    notes: str | None
    version: int
    recorded_by: PersonRef
    received_at: datetime = Field(description="When the server first stored it")
    updated_at: datetime = Field(description="When the server stored the current version")
    captured_offline: bool
    client_time_suspect: bool = Field(description="The phone's time was ahead of the server's: not trusted")


class SupportOfferDetailOut(SupportOfferOut):
    versions: list[SupportOfferVersionOut]


class HandoverNoteVersionOut(BaseModel):
    version: int
    text: str
    recorded_by: PersonRef
    received_at: datetime
    captured_offline: bool


class HandoverNoteOut(BaseModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    text: str
    version: int
    recorded_by: PersonRef
    received_at: datetime
    updated_at: datetime
    captured_offline: bool


class HandoverNoteDetailOut(HandoverNoteOut):
    versions: list[HandoverNoteVersionOut]


class SyncOfferItem(WriteModel):
    type: Literal["support_offer"]
    incident_id: uuid.UUID
    offer_id: uuid.UUID
    if_match: int | None = Field(default=None, ge=1)
    body: SupportOfferIn


class SyncNoteItem(WriteModel):
    type: Literal["handover_note"]
    incident_id: uuid.UUID
    note_id: uuid.UUID
    if_match: int | None = Field(default=None, ge=1)
    body: HandoverNoteIn


SyncItem = Annotated[SyncOfferItem | SyncNoteItem, Field(discriminator="type")]

# Items are validated one by one (an invalid item is answered `rejected`, the others go on),
# so the request model takes them as objects; this is what each must look like.
_SYNC_ITEM_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "title": "SyncOfferItem",
            "required": ["type", "incident_id", "offer_id", "body"],
            "properties": {
                "type": {"const": "support_offer"},
                "incident_id": {"type": "string", "format": "uuid"},
                "offer_id": {"type": "string", "format": "uuid"},
                "if_match": {"type": "integer", "minimum": 1},
                "body": {"$ref": "#/components/schemas/SupportOfferIn"},
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "SyncNoteItem",
            "required": ["type", "incident_id", "note_id", "body"],
            "properties": {
                "type": {"const": "handover_note"},
                "incident_id": {"type": "string", "format": "uuid"},
                "note_id": {"type": "string", "format": "uuid"},
                "if_match": {"type": "integer", "minimum": 1},
                "body": {"$ref": "#/components/schemas/HandoverNoteIn"},
            },
            "additionalProperties": False,
        },
    ]
}


class SyncIn(WriteModel):
    items: list[Annotated[dict[str, Any], WithJsonSchema(_SYNC_ITEM_SCHEMA)]] = Field(
        max_length=SYNC_MAX_ITEMS, description=f"Queued records, at most {SYNC_MAX_ITEMS}"
    )


class FieldError(BaseModel):
    field: str
    message: str


class SyncResult(BaseModel):
    type: str | None = None
    offer_id: str | None = None
    note_id: str | None = None
    status: Literal["created", "unchanged", "updated", "conflict", "rejected"]
    version: int | None = None
    current: dict[str, Any] | None = Field(default=None, description="The stored record, on conflict")
    status_code: int = Field(description="What PUT would have answered for this record alone")
    detail: str | None = Field(default=None, description="Why, for `conflict` and `rejected`")
    errors: list[FieldError] | None = None


class SyncOut(BaseModel):
    results: list[SyncResult] = Field(description="One per item, in the order sent")
