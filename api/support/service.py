"""Support offers and handover notes: stored exactly once, never silently overwritten.

A phone gives each record a UUID once and may send it any number of times, through
`PUT` or `POST /api/v1/sync`. The UUID is the primary key, so:

- first arrival → stored as version 1 (`created`);
- the same record again (same kind, outcome, instant and notes; or the same text) →
  `unchanged`, nothing written (but the audit line when the record is shown back);
- a different body without `If-Match` → `conflict`, answered with the stored version;
- a different body with `If-Match: <current version>` → the next version (`updated`);
  every version is kept and each one is an event in the incident's timeline;
- a different body with a stale `If-Match` → `stale` (HTTP 412), with the stored version.

Two requests racing to create the same id (two replicas, a retried request) meet at the
primary key: the loser's INSERT fails inside a SAVEPOINT, and it then reads the winner's row
and answers as a replay or a conflict. Never a 500, never two rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import Conflict, Forbidden, LanternError, NotFound, PreconditionFailed
from api.events.bus import Audience, LiveEvent, publish
from api.incidents import timeline
from api.incidents.models import Incident, IncidentState, IncidentTeam
from api.paging.models import Acknowledgement, Delivery, Page
from api.support.models import HandoverNote, HandoverNoteVersion, SupportOffer, SupportOfferVersion
from api.support.reads import note_json, notes_for_incident, offer_json, offers_for_incident
from api.support.schemas import HandoverNoteIn, HandoverNoteOut, SupportOfferIn, SupportOfferOut

# The incident detail and the handover read offers and notes through these.
__all__ = [
    "WriteOutcome",
    "may_record_support",
    "notes_for_incident",
    "offers_for_incident",
    "put_handover_note",
    "put_support_offer",
]

Status = Literal["created", "unchanged", "updated", "conflict", "stale"]


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one record sent by a phone, with the stored record as the API shows it.

    `record` is None only when the caller asked not to have it (a sync batch needs it for
    conflicts alone).
    """

    status: Status
    version: int
    record: SupportOfferOut | HandoverNoteOut | None


@dataclass(frozen=True)
class _RecordType:
    name: str  # audit and sync `type`
    id_field: str  # how clients name the id
    model: type[SupportOffer] | type[HandoverNote]
    version_model: type[SupportOfferVersion] | type[HandoverNoteVersion]
    version_fk: str
    content: tuple[str, ...]  # stored per version
    identity: tuple[str, ...]  # what makes two bodies "the same record"
    timeline_action: str
    event_name: str


OFFER = _RecordType(
    name="support_offer",
    id_field="offer_id",
    model=SupportOffer,
    version_model=SupportOfferVersion,
    version_fk="offer_id",
    content=("kind", "outcome", "offered_at", "offered_at_offset_minutes", "notes", "client_time_suspect"),
    identity=("kind", "outcome", "offered_at", "notes"),
    timeline_action="support.offer_recorded",
    event_name="support.recorded",
)
NOTE = _RecordType(
    name="handover_note",
    id_field="note_id",
    model=HandoverNote,
    version_model=HandoverNoteVersion,
    version_fk="note_id",
    content=("text",),
    identity=("text",),
    timeline_action="handover.note_recorded",
    event_name="handover.updated",
)


# --- who may write ---------------------------------------------------------------------------


async def _incident_team_ids(session: AsyncSession, incident_id: uuid.UUID) -> frozenset[uuid.UUID]:
    rows = await session.execute(
        select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident_id)
    )
    return frozenset(rows.scalars())


async def may_record_support(session: AsyncSession, actor: Actor, incident: Incident) -> bool:
    """May `actor` record support offers and handover notes on `incident`?

    Managers of a team the incident was routed to may; so may workers of such a team who
    were paged for the incident on that team, or acknowledged it. Nobody else.
    """
    return await _may_record(session, actor, incident, await _incident_team_ids(session, incident.id))


async def _may_record(
    session: AsyncSession, actor: Actor, incident: Incident, team_ids: frozenset[uuid.UUID]
) -> bool:
    if not actor.has("worker", "manager"):
        return False
    shared = team_ids & actor.team_ids
    if not shared:
        return False
    if actor.has("manager"):
        return True
    if incident.acknowledged_by_id == actor.id:
        return True
    on_team_page = (col(Page.incident_id) == incident.id, col(Page.team_id).in_(shared))
    paged = (
        select(col(Delivery.id))
        .join(Page, col(Page.id) == col(Delivery.page_id))
        .where(*on_team_page, col(Delivery.user_id) == actor.id, col(Delivery.purpose) == "page")
    )
    acknowledged = (
        select(col(Acknowledgement.id))
        .join(Page, col(Page.id) == col(Acknowledgement.page_id))
        .where(*on_team_page, col(Acknowledgement.user_id) == actor.id)
    )
    taken = select(col(Page.id)).where(*on_team_page, col(Page.acknowledged_by_id) == actor.id)
    row = await session.execute(select(or_(exists(paged), exists(acknowledged), exists(taken))))
    return bool(row.scalar())


# What a batch learnt about each incident it touched: (incident, its teams) or the refusal.
IncidentCache = dict[uuid.UUID, "tuple[Incident, frozenset[uuid.UUID]] | LanternError"]


async def _writable_incident(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID, cache: IncidentCache | None = None
) -> tuple[Incident, frozenset[uuid.UUID]]:
    if cache is not None and incident_id in cache:
        known = cache[incident_id]
        if isinstance(known, LanternError):
            raise known
        return known
    try:
        found = await _authorise(session, actor, incident_id)
    except (NotFound, Forbidden) as refusal:
        if cache is not None:
            cache[incident_id] = refusal
        raise
    if cache is not None:
        cache[incident_id] = found
    return found


async def _authorise(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID
) -> tuple[Incident, frozenset[uuid.UUID]]:
    incident = await session.get(Incident, incident_id)
    team_ids = await _incident_team_ids(session, incident_id) if incident is not None else frozenset()
    if incident is None or not (team_ids & actor.team_ids):
        # Not revealed: an incident outside the caller's teams does not exist for them.
        raise NotFound("No such incident.", errors=[{"field": "incident_id", "message": "no such incident"}])
    if not await _may_record(session, actor, incident, team_ids):
        raise Forbidden(
            "Only workers paged for or acknowledged on this incident's team, and its managers, may "
            "record support for it.",
            errors=[{"field": "incident_id", "message": "you may not record support for this incident"}],
        )
    return incident, team_ids


# --- writing ---------------------------------------------------------------------------------


def _offer_values(body: SupportOfferIn, now: datetime, future_tolerance: timedelta) -> dict[str, Any]:
    offset = body.offered_at.utcoffset() or timedelta(0)
    offered_at = body.offered_at.astimezone(UTC)
    return {
        "kind": body.kind,
        "outcome": body.outcome,
        "offered_at": offered_at,
        "offered_at_offset_minutes": round(offset.total_seconds() / 60),
        "notes": body.notes,
        "client_time_suspect": offered_at > now + future_tolerance,
    }


async def put_support_offer(
    session: AsyncSession,
    actor: Actor,
    *,
    incident_id: uuid.UUID,
    offer_id: uuid.UUID,
    body: SupportOfferIn,
    if_match: int | None,
    via_sync: bool = False,
    future_tolerance: timedelta = timedelta(minutes=5),
    if_match_field: str = "If-Match",
    render: bool = True,
    incident_cache: IncidentCache | None = None,
) -> WriteOutcome:
    """Store one support offer exactly once (see the module docstring for the outcomes).

    Raises NotFound (incident unknown or outside the caller's teams), Forbidden (not paged
    or acknowledged), Conflict (the id belongs to another incident's record) and
    PreconditionFailed (`If-Match` for a record never stored). With `render=False` the
    stored record comes back only with a conflict; `incident_cache` lets a batch check
    each incident once.
    """
    now = utcnow()
    return await _store(
        session,
        actor,
        OFFER,
        incident_id=incident_id,
        record_id=offer_id,
        values=_offer_values(body, now, future_tolerance),
        if_match=if_match,
        captured_offline=body.captured_offline if body.captured_offline is not None else via_sync,
        if_match_field=if_match_field,
        now=now,
        render=render,
        incident_cache=incident_cache,
    )


async def put_handover_note(
    session: AsyncSession,
    actor: Actor,
    *,
    incident_id: uuid.UUID,
    note_id: uuid.UUID,
    body: HandoverNoteIn,
    if_match: int | None,
    via_sync: bool = False,
    if_match_field: str = "If-Match",
    render: bool = True,
    incident_cache: IncidentCache | None = None,
) -> WriteOutcome:
    """Store one handover note exactly once, with the same rules as support offers."""
    return await _store(
        session,
        actor,
        NOTE,
        incident_id=incident_id,
        record_id=note_id,
        values={"text": body.text},
        if_match=if_match,
        captured_offline=body.captured_offline if body.captured_offline is not None else via_sync,
        if_match_field=if_match_field,
        now=utcnow(),
        render=render,
        incident_cache=incident_cache,
    )


async def _load(session: AsyncSession, kind: _RecordType, record_id: uuid.UUID):
    # FOR NO KEY UPDATE on PostgreSQL: an update and a replay of it queue up instead of racing.
    query = select(kind.model).where(col(kind.model.id) == record_id).with_for_update(key_share=True)
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


def _snapshot(kind: _RecordType, record) -> Any:
    return kind.version_model(
        **{kind.version_fk: record.id},
        version=record.version,
        incident_id=record.incident_id,
        recorded_by_id=record.recorded_by_id,
        received_at=record.updated_at,
        captured_offline=record.captured_offline,
        **{name: getattr(record, name) for name in kind.content},
    )


async def _store(
    session: AsyncSession,
    actor: Actor,
    kind: _RecordType,
    *,
    incident_id: uuid.UUID,
    record_id: uuid.UUID,
    values: dict[str, Any],
    if_match: int | None,
    captured_offline: bool,
    if_match_field: str,
    now: datetime,
    render: bool,
    incident_cache: IncidentCache | None,
) -> WriteOutcome:
    incident, team_ids = await _writable_incident(session, actor, incident_id, incident_cache)
    stored = await _load(session, kind, record_id)
    if stored is None:
        if if_match is not None:
            raise PreconditionFailed(
                "Nothing is stored under this id, so there is no version to update.",
                errors=[{"field": if_match_field, "message": "nothing stored under this id"}],
            )
        record = kind.model(
            id=record_id,
            incident_id=incident.id,
            version=1,
            recorded_by_id=actor.id,
            received_at=now,
            updated_at=now,
            captured_offline=captured_offline,
            **values,
        )
        try:
            async with session.begin_nested():
                session.add(record)
                session.add(_snapshot(kind, record))
        except IntegrityError:
            # Someone stored this id first (a concurrent replay): answer as its replay.
            stored = await _load(session, kind, record_id)
            if stored is None:
                raise
        else:
            await _recorded(session, actor, kind, incident, team_ids, record, "create")
            return WriteOutcome("created", 1, await _render(session, kind, record) if render else None)
    return await _replay_or_update(
        session,
        actor,
        kind,
        incident,
        team_ids,
        stored,
        values=values,
        if_match=if_match,
        captured_offline=captured_offline,
        now=now,
        render=render,
    )


async def _replay_or_update(
    session: AsyncSession,
    actor: Actor,
    kind: _RecordType,
    incident: Incident,
    team_ids: frozenset[uuid.UUID],
    stored,
    *,
    values: dict[str, Any],
    if_match: int | None,
    captured_offline: bool,
    now: datetime,
    render: bool,
) -> WriteOutcome:
    if stored.incident_id != incident.id:
        raise Conflict(
            "This id is already used by a record of another incident.",
            errors=[{"field": kind.id_field, "message": "already used for another incident"}],
        )
    same = all(getattr(stored, name) == values[name] for name in kind.identity)
    if same or if_match is None or if_match != stored.version:
        status: Status = "unchanged" if same else ("conflict" if if_match is None else "stale")
        if same and not render:
            # Nothing of the record is shown, so nothing was read: no audit line.
            return WriteOutcome(status, stored.version, None)
        audit.record(
            session,
            actor,
            f"{kind.name}.{'replay' if same else 'conflict'}",
            resource_type=kind.name,
            resource_id=stored.id,
            young_person_id=incident.young_person_id,
            outcome="ok" if same else "conflict",
            detail={"version": stored.version, "if_match": if_match},
        )
        return WriteOutcome(status, stored.version, await _render(session, kind, stored))
    for name in kind.content:
        setattr(stored, name, values[name])
    stored.version += 1
    stored.recorded_by_id = actor.id
    stored.updated_at = now
    stored.captured_offline = captured_offline
    session.add(_snapshot(kind, stored))
    await session.flush()
    await _recorded(session, actor, kind, incident, team_ids, stored, "update")
    return WriteOutcome("updated", stored.version, await _render(session, kind, stored) if render else None)


async def _recorded(
    session: AsyncSession,
    actor: Actor,
    kind: _RecordType,
    incident: Incident,
    team_ids: frozenset[uuid.UUID],
    record,
    change: str,
) -> None:
    """The consequences of a new version: timeline, state, audit, live event."""
    detail: dict[str, Any] = {kind.id_field: str(record.id), "version": record.version}
    if kind is OFFER:
        detail.update(kind=record.kind, outcome=record.outcome)
    timeline.add_event(session, incident.id, kind.timeline_action, actor_id=actor.id, detail=detail)
    audience = Audience(team_ids=team_ids)
    if kind is OFFER and timeline.can_move(incident.state, IncidentState.SUPPORT_RECORDED):
        # Lock the incident so two first offers do not both move it. NO KEY UPDATE: the offer rows
        # we and others just inserted hold KEY SHARE on it (their foreign key), which FOR UPDATE
        # would wait for, deadlocking two first offers.
        await session.refresh(incident, with_for_update={"key_share": True})
        if timeline.move(session, incident, IncidentState.SUPPORT_RECORDED, actor_id=actor.id):
            publish(
                session,
                LiveEvent(
                    "incident.updated",
                    {"incident_id": str(incident.id), "state": incident.state},
                    Audience(team_ids=team_ids, station_ids=frozenset({incident.station_id})),
                ),
            )
    audit.record(
        session,
        actor,
        f"{kind.name}.{change}",
        resource_type=kind.name,
        resource_id=record.id,
        young_person_id=incident.young_person_id,
        detail={"version": record.version},
    )
    publish(
        session,
        LiveEvent(
            kind.event_name,
            {"incident_id": str(incident.id), kind.id_field: str(record.id), "version": record.version},
            audience,
        ),
    )


async def _render(session: AsyncSession, kind: _RecordType, record) -> SupportOfferOut | HandoverNoteOut:
    return await (offer_json(session, record) if kind is OFFER else note_json(session, record))
