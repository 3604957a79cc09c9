"""Support offers, handover notes and the offline sync: parse, authorise, call the service."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from api.auth.dependencies import ALL_STAFF, CurrentActor, roles
from api.deps import SessionDep, SettingsDep
from api.errors import Conflict, PreconditionFailed, ValidationFailed, problem
from api.incidents.access import incident_roles
from api.support import reads, service
from api.support import sync as sync_service
from api.support.catalogue import offer_kinds, outcomes_for
from api.support.schemas import (
    HandoverNoteDetailOut,
    HandoverNoteIn,
    HandoverNoteOut,
    OfferKindOut,
    SupportOfferDetailOut,
    SupportOfferIn,
    SupportOfferOut,
    SyncIn,
    SyncOut,
)

router = APIRouter(prefix="/api/v1", tags=["support"])

WRITERS = ("worker", "manager")
READERS = ("worker", "day_team", "manager")

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "Stored for the first time (version 1)"},
    403: {"description": "Not paged for or acknowledged on this incident's team", **_PROBLEM},
    404: {"description": "No such incident for the caller", **_PROBLEM},
    409: {
        "description": "The body differs from the stored record and no If-Match was sent; the problem "
        "carries `current` (the stored record) and `version`",
        **_PROBLEM,
    },
    412: {
        "description": "If-Match is not the current version (or nothing is stored yet); the problem "
        "carries `current` and `version` when a record exists",
        **_PROBLEM,
    },
}
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The version being replaced (as in the ETag), to update a stored record",
    ),
]


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    match = _IF_MATCH.match(value)
    if not match or int(match.group(1)) < 1:
        raise ValidationFailed.field("If-Match", 'must be a version number from the ETag, such as "2"')
    return int(match.group(1))


def _answer(outcome: service.WriteOutcome, response: Response) -> Any:
    etag = {"ETag": f'"{outcome.version}"'}
    if outcome.status in ("conflict", "stale"):
        error = Conflict if outcome.status == "conflict" else PreconditionFailed
        detail = (
            "A different version of this record is stored; send If-Match with its version to replace it."
            if outcome.status == "conflict"
            else "If-Match does not name the stored version; it was changed in the meantime."
        )
        # Returned, not raised: the audit line of this read of the stored record must commit.
        return problem(
            error.status,
            slug=error.slug,
            title=error.title,
            detail=detail,
            headers=etag,
            extra={
                "version": outcome.version,
                "current": outcome.record.model_dump(mode="json") if outcome.record else None,
            },
        )
    response.status_code = 201 if outcome.status == "created" else 200
    response.headers.update(etag)
    return outcome.record


@router.get("/support-offer-kinds", response_model=list[OfferKindOut], dependencies=[roles(*ALL_STAFF)])
async def list_offer_kinds() -> list[OfferKindOut]:
    """The catalogue of support offer kinds, in display order."""
    return [
        OfferKindOut(
            code=k.code, label=k.label, notes_required=k.notes_required, outcomes=list(outcomes_for(k.code))
        )
        for k in offer_kinds().values()
    ]


@router.put(
    "/incidents/{incident_id}/support-offers/{offer_id}",
    response_model=SupportOfferOut,
    responses=_WRITE_RESPONSES,
    dependencies=[incident_roles(*WRITERS)],
)
async def put_support_offer(
    incident_id: uuid.UUID,
    offer_id: uuid.UUID,
    body: SupportOfferIn,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Record a support offer under the phone's UUID: 201 first time, 200 for the same body again."""
    outcome = await service.put_support_offer(
        session,
        actor,
        incident_id=incident_id,
        offer_id=offer_id,
        body=body,
        if_match=_if_match(if_match),
        future_tolerance=timedelta(seconds=settings.support_future_tolerance_seconds),
    )
    return _answer(outcome, response)


@router.get(
    "/incidents/{incident_id}/support-offers",
    response_model=list[SupportOfferOut],
    dependencies=[incident_roles(*READERS)],
)
async def list_support_offers(incident_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> Any:
    return await reads.list_offers(session, actor, incident_id)


@router.get(
    "/incidents/{incident_id}/support-offers/{offer_id}",
    response_model=SupportOfferDetailOut,
    dependencies=[incident_roles(*READERS)],
)
async def get_support_offer(
    incident_id: uuid.UUID, offer_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> Any:
    """One offer with every version it had."""
    return await reads.offer_with_history(session, actor, incident_id, offer_id)


@router.put(
    "/incidents/{incident_id}/handover-note/{note_id}",
    response_model=HandoverNoteOut,
    responses=_WRITE_RESPONSES,
    dependencies=[incident_roles(*WRITERS)],
)
async def put_handover_note(
    incident_id: uuid.UUID,
    note_id: uuid.UUID,
    body: HandoverNoteIn,
    session: SessionDep,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Record a handover note under the phone's UUID, with the same rules as support offers."""
    outcome = await service.put_handover_note(
        session, actor, incident_id=incident_id, note_id=note_id, body=body, if_match=_if_match(if_match)
    )
    return _answer(outcome, response)


@router.get(
    "/incidents/{incident_id}/handover-notes",
    response_model=list[HandoverNoteOut],
    dependencies=[incident_roles(*READERS)],
)
async def list_handover_notes(incident_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> Any:
    return await reads.list_notes(session, actor, incident_id)


@router.get(
    "/incidents/{incident_id}/handover-note/{note_id}",
    response_model=HandoverNoteDetailOut,
    dependencies=[incident_roles(*READERS)],
)
async def get_handover_note(
    incident_id: uuid.UUID, note_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> Any:
    """One handover note with every version it had."""
    return await reads.note_with_history(session, actor, incident_id, note_id)


@router.post(
    "/sync",
    response_model=SyncOut,
    response_model_exclude_none=True,
    dependencies=[roles(*WRITERS)],
    responses={422: {"description": "Not a batch, or more than 100 items: nothing stored", **_PROBLEM}},
)
async def sync(body: SyncIn, session: SessionDep, actor: CurrentActor, settings: SettingsDep) -> SyncOut:
    """Store a phone's queued records (up to 100): one answer per item, in order.

    Each item is `created`, `unchanged`, `updated`, `conflict` (with `current`, the stored
    version; also for a stale `if_match`) or `rejected` (with `reason` and `errors`). Items
    are independent: a refused item never loses the others.
    """
    results = await sync_service.sync(
        session,
        actor,
        body.items,
        future_tolerance=timedelta(seconds=settings.support_future_tolerance_seconds),
    )
    return SyncOut(results=results)
