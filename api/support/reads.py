"""Reading support offers and handover notes: for the API, the incident detail and the handover.

Times come back as the phone sent them (its offset kept); an offer whose phone clock ran
ahead is ordered by when the server received it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.queries import display_names
from api.errors import NotFound
from api.incidents.access import may_see_case
from api.incidents.models import Incident
from api.support.catalogue import offer_kind
from api.support.models import HandoverNote, HandoverNoteVersion, SupportOffer, SupportOfferVersion
from api.support.schemas import (
    HandoverNoteDetailOut,
    HandoverNoteOut,
    HandoverNoteVersionOut,
    PersonRef,
    SupportOfferDetailOut,
    SupportOfferOut,
    SupportOfferVersionOut,
)


async def _readable_incident(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None or not await may_see_case(session, actor, incident_id):
        raise NotFound("No such incident.")
    return incident


def _client_time(instant: datetime, offset_minutes: int) -> datetime:
    return instant.astimezone(timezone(timedelta(minutes=offset_minutes)))


async def _people(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, PersonRef]:
    names = await display_names(session, ids)
    return {uid: PersonRef(id=uid, display_name=name) for uid, name in names.items()}


def _offer_out(offer: SupportOffer, people: dict[uuid.UUID, PersonRef]) -> SupportOfferOut:
    kind = offer_kind(offer.kind)
    return SupportOfferOut(
        id=offer.id,
        incident_id=offer.incident_id,
        kind=offer.kind,
        kind_label=kind.label if kind else offer.kind,
        outcome=offer.outcome,
        offered_at=_client_time(offer.offered_at, offer.offered_at_offset_minutes),
        notes=offer.notes,
        version=offer.version,
        recorded_by=people[offer.recorded_by_id],
        received_at=offer.received_at,
        updated_at=offer.updated_at,
        captured_offline=offer.captured_offline,
        client_time_suspect=offer.client_time_suspect,
    )


def _note_out(note: HandoverNote, people: dict[uuid.UUID, PersonRef]) -> HandoverNoteOut:
    return HandoverNoteOut(
        id=note.id,
        incident_id=note.incident_id,
        text=note.text,
        version=note.version,
        recorded_by=people[note.recorded_by_id],
        received_at=note.received_at,
        updated_at=note.updated_at,
        captured_offline=note.captured_offline,
    )


async def offer_json(session: AsyncSession, offer: SupportOffer) -> SupportOfferOut:
    """One support offer as the API shows it."""
    people = await _people(session, {offer.recorded_by_id})
    return _offer_out(offer, people)


async def note_json(session: AsyncSession, note: HandoverNote) -> HandoverNoteOut:
    """One handover note as the API shows it."""
    people = await _people(session, {note.recorded_by_id})
    return _note_out(note, people)


def _display_order(offer: SupportOffer) -> datetime:
    # A phone clock that ran ahead is not trusted for ordering: use when the server got it.
    return offer.received_at if offer.client_time_suspect else offer.offered_at


async def offers_for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[SupportOfferOut]:
    """The incident's support offers (current versions), for the detail and handover.

    No authorisation or audit here: the caller (incident detail, handover) does both.
    """
    offers = list(
        (
            await session.execute(select(SupportOffer).where(col(SupportOffer.incident_id) == incident_id))
        ).scalars()
    )
    offers.sort(key=lambda o: (_display_order(o), str(o.id)))
    people = await _people(session, {o.recorded_by_id for o in offers})
    return [_offer_out(o, people) for o in offers]


async def notes_for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[HandoverNoteOut]:
    """The incident's handover notes (current versions), oldest first.

    No authorisation or audit here: the caller (incident detail, handover) does both.
    """
    notes = list(
        (
            await session.execute(
                select(HandoverNote)
                .where(col(HandoverNote.incident_id) == incident_id)
                .order_by(col(HandoverNote.received_at), col(HandoverNote.id))
            )
        ).scalars()
    )
    people = await _people(session, {n.recorded_by_id for n in notes})
    return [_note_out(n, people) for n in notes]


async def list_offers(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> list[SupportOfferOut]:
    """The offers of an incident the actor may see (audited)."""
    incident = await _readable_incident(session, actor, incident_id)
    audit.record(
        session,
        actor,
        "support_offer.list",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
    )
    return await offers_for_incident(session, incident.id)


async def list_notes(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> list[HandoverNoteOut]:
    """The handover notes of an incident the actor may see (audited)."""
    incident = await _readable_incident(session, actor, incident_id)
    audit.record(
        session,
        actor,
        "handover_note.list",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
    )
    return await notes_for_incident(session, incident.id)


async def offer_with_history(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID, offer_id: uuid.UUID
) -> SupportOfferDetailOut:
    """One offer with every version it had (audited)."""
    incident = await _readable_incident(session, actor, incident_id)
    offer = await session.get(SupportOffer, offer_id)
    if offer is None or offer.incident_id != incident.id:
        raise NotFound("No such support offer.")
    versions = list(
        (
            await session.execute(
                select(SupportOfferVersion)
                .where(col(SupportOfferVersion.offer_id) == offer.id)
                .order_by(col(SupportOfferVersion.version))
            )
        ).scalars()
    )
    people = await _people(session, {offer.recorded_by_id, *(v.recorded_by_id for v in versions)})
    audit.record(
        session,
        actor,
        "support_offer.read",
        resource_type="support_offer",
        resource_id=offer.id,
        young_person_id=incident.young_person_id,
    )
    return SupportOfferDetailOut(
        **_offer_out(offer, people).model_dump(),
        versions=[
            SupportOfferVersionOut(
                version=v.version,
                kind=v.kind,
                outcome=v.outcome,
                offered_at=_client_time(v.offered_at, v.offered_at_offset_minutes),
                notes=v.notes,
                recorded_by=people[v.recorded_by_id],
                received_at=v.received_at,
                captured_offline=v.captured_offline,
                client_time_suspect=v.client_time_suspect,
            )
            for v in versions
        ],
    )


async def note_with_history(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID, note_id: uuid.UUID
) -> HandoverNoteDetailOut:
    """One handover note with every version it had (audited)."""
    incident = await _readable_incident(session, actor, incident_id)
    note = await session.get(HandoverNote, note_id)
    if note is None or note.incident_id != incident.id:
        raise NotFound("No such handover note.")
    versions = list(
        (
            await session.execute(
                select(HandoverNoteVersion)
                .where(col(HandoverNoteVersion.note_id) == note.id)
                .order_by(col(HandoverNoteVersion.version))
            )
        ).scalars()
    )
    people = await _people(session, {note.recorded_by_id, *(v.recorded_by_id for v in versions)})
    audit.record(
        session,
        actor,
        "handover_note.read",
        resource_type="handover_note",
        resource_id=note.id,
        young_person_id=incident.young_person_id,
    )
    return HandoverNoteDetailOut(
        **_note_out(note, people).model_dump(),
        versions=[
            HandoverNoteVersionOut(
                version=v.version,
                text=v.text,
                recorded_by=people[v.recorded_by_id],
                received_at=v.received_at,
                captured_offline=v.captured_offline,
            )
            for v in versions
        ],
    )
