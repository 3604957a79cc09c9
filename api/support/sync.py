"""POST /api/v1/sync: a phone's outbox in one request, each record stored exactly once.

Items are independent: each runs in its own SAVEPOINT, so a refused item leaves nothing
behind and never takes the others with it. The answer has one result per item, in order.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.dependencies import Actor
from api.errors import LanternError
from api.support import service
from api.support.schemas import SyncItem, SyncNoteItem, SyncResult

_SYNC_ITEM: TypeAdapter = TypeAdapter(SyncItem)
_ITEM_TYPES = ("support_offer", "handover_note")


def _item_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _ITEM_TYPES:  # the discriminated union's tag
            loc = loc[1:]
        if error.get("type", "").startswith("union_tag"):
            loc = ["type"]
        message = {"extra_forbidden": "unknown field", "missing": "required"}.get(
            error.get("type", ""), str(error.get("msg", "invalid"))
        )
        errors.append({"field": ".".join(loc) or "item", "message": message})
    return errors


async def sync(
    session: AsyncSession,
    actor: Actor,
    items: list[dict[str, Any]],
    *,
    future_tolerance: timedelta = timedelta(minutes=5),
) -> list[SyncResult]:
    """Store a phone's queued records; one answer per item, in order.

    Each item runs in its own SAVEPOINT: an item that is refused leaves nothing behind and
    never takes the others with it. Items are stored in incident and id order (answered in
    the order sent), so two batches lock rows in the same order and cannot deadlock.
    """
    results: dict[int, SyncResult] = {}
    incidents: service.IncidentCache = {}
    for index in sorted(range(len(items)), key=lambda i: _lock_order(items[i])):
        results[index] = await _sync_item(session, actor, items[index], future_tolerance, incidents)
    return [results[index] for index in range(len(items))]


def _lock_order(raw: dict[str, Any]) -> tuple[str, str]:
    def canonical(value: Any) -> str:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            return ""

    return canonical(raw.get("incident_id")), canonical(raw.get("offer_id") or raw.get("note_id"))


async def _sync_item(
    session: AsyncSession,
    actor: Actor,
    raw: dict[str, Any],
    future_tolerance: timedelta,
    incidents: service.IncidentCache,
) -> SyncResult:
    item_type = raw.get("type") if isinstance(raw.get("type"), str) else None
    id_field = "note_id" if item_type == "handover_note" else "offer_id"
    echoed: dict[str, Any] = {"type": item_type, id_field: _echo(raw.get(id_field))}
    try:
        item = _SYNC_ITEM.validate_python(raw)
    except ValidationError as exc:
        errors = _item_errors(exc)
        detail = "Check these fields: " + ", ".join(sorted({e["field"] for e in errors}))
        return SyncResult(**echoed, status="rejected", status_code=422, detail=detail, errors=errors)
    try:
        async with session.begin_nested():
            if isinstance(item, SyncNoteItem):
                outcome = await service.put_handover_note(
                    session,
                    actor,
                    incident_id=item.incident_id,
                    note_id=item.note_id,
                    body=item.body,
                    if_match=item.if_match,
                    via_sync=True,
                    if_match_field="if_match",
                    render=False,
                    incident_cache=incidents,
                )
            else:
                outcome = await service.put_support_offer(
                    session,
                    actor,
                    incident_id=item.incident_id,
                    offer_id=item.offer_id,
                    body=item.body,
                    if_match=item.if_match,
                    via_sync=True,
                    future_tolerance=future_tolerance,
                    if_match_field="if_match",
                    render=False,
                    incident_cache=incidents,
                )
    except LanternError as exc:
        errors = exc.errors or [{"field": "item", "message": exc.detail}]
        return SyncResult(
            **echoed, status="rejected", status_code=exc.status, detail=exc.detail, errors=errors
        )
    status = "conflict" if outcome.status == "stale" else outcome.status
    answer = SyncResult(
        **echoed, status=status, version=outcome.version, status_code=_STATUS_CODES[outcome.status]
    )
    if status == "conflict":
        answer.current = outcome.record.model_dump(mode="json") if outcome.record else None
        answer.detail = (
            "A different version of this record is stored."
            if outcome.status == "conflict"
            else "if_match does not name the stored version; it was changed in the meantime."
        )
    return answer


# What the same record sent alone with PUT would have been answered.
_STATUS_CODES = {"created": 201, "unchanged": 200, "updated": 200, "conflict": 409, "stale": 412}


def _echo(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None
