"""Persons of concern, and who was present at an incident.

Case roles and coordinators only (`CASE_ROLES`), scoped like incidents: an incident routed to
one of the reader's teams; a person of concern of one of their teams' areas (or of none). What
is known of a person of concern is never logged, never put in a URL, a push payload or a live
event: the routes take it in bodies and answer it in bodies only.
"""

from __future__ import annotations

import uuid

from rapidfuzz import fuzz, process
from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import insert_rows
from api.errors import Conflict, NotFound, ValidationFailed
from api.incidents.access import team_scope
from api.incidents.models import Incident
from api.people.models import YoungPerson
from api.people.service import match_person
from api.places.matching import normalise
from api.places.models import IncidentPerson, PersonOfConcern
from api.places.schemas import PersonOfConcernIn, PresentIn
from api.places.service import CASE_ROLES, actor_area_ids
from api.teams.directory import directory


def in_team_scope(actor: Actor):
    """A SQL condition: the incident is routed to one of the actor's teams."""
    return team_scope(actor)


async def case_incident(session: AsyncSession, actor: Actor, incident_id: uuid.UUID) -> Incident:
    """The incident, if routed to one of the actor's teams (else 404, as for an unknown id)."""
    if not actor.has(*CASE_ROLES) or not actor.team_ids:
        raise NotFound("No such incident.")
    incident = (
        await session.execute(select(Incident).where(col(Incident.id) == incident_id, in_team_scope(actor)))
    ).scalar_one_or_none()
    if incident is None:
        raise NotFound("No such incident.")
    return incident


async def person_in_scope(session: AsyncSession, actor: Actor, young_person_id: uuid.UUID) -> bool:
    """The actor may see this young person: one of the actor's teams' incidents is about them,
    or records them as present."""
    if not actor.has(*CASE_ROLES) or not actor.team_ids:
        return False
    present = select(col(IncidentPerson.incident_id)).where(
        col(IncidentPerson.young_person_id) == young_person_id
    )
    return bool(
        await session.scalar(
            select(
                exists().where(
                    or_(col(Incident.young_person_id) == young_person_id, col(Incident.id).in_(present)),
                    in_team_scope(actor),
                )
            )
        )
    )


async def create_concern(session: AsyncSession, actor: Actor, body: PersonOfConcernIn) -> PersonOfConcern:
    area_id = None
    if body.area is not None:
        area = (await directory(session)).areas.get(body.area)
        if area is None:
            raise ValidationFailed.field("area", "unknown area")
        if area.id not in await actor_area_ids(session, actor):
            raise ValidationFailed.field("area", "not an area of your teams")
        area_id = area.id
    person = PersonOfConcern(
        nickname=body.nickname,
        description=body.description,
        vehicle=body.vehicle,
        phone_last_digits=body.phone_last_digits,
        area_id=area_id,
        created_by_id=actor.id,
    )
    session.add(person)
    await session.flush()
    audit.record(
        session, actor, "person_of_concern.create", resource_type="person_of_concern", resource_id=person.id
    )
    return person


async def readable_concern(session: AsyncSession, actor: Actor, concern_id: uuid.UUID) -> PersonOfConcern:
    person = await session.get(PersonOfConcern, concern_id)
    if person is None or not actor.has(*CASE_ROLES):
        raise NotFound("No such person of concern.")
    if person.area_id is not None and person.area_id not in await actor_area_ids(session, actor):
        raise NotFound("No such person of concern.")
    return person


async def search_concerns(
    session: AsyncSession, actor: Actor, text: str, limit: int
) -> list[PersonOfConcern]:
    """Persons of concern of the actor's areas whose nickname, description, vehicle or phone
    digits resemble `text`, best first."""
    mine = await actor_area_ids(session, actor)
    rows = list(
        (
            await session.execute(
                select(PersonOfConcern).where(
                    col(PersonOfConcern.area_id).is_(None) | col(PersonOfConcern.area_id).in_(mine)
                )
            )
        ).scalars()
    )
    keys = [
        normalise(" ".join(x for x in (p.nickname, p.description, p.vehicle, p.phone_last_digits) if x))
        for p in rows
    ]
    found = process.extract(normalise(text), keys, scorer=fuzz.WRatio, score_cutoff=60, limit=limit)
    audit.record(
        session,
        actor,
        "person_of_concern.search",
        resource_type="person_of_concern",
        detail={"found": len(found)},
    )
    return [rows[index] for _, _, index in found]


async def link_present(
    session: AsyncSession, actor: Actor, incident: Incident, body: PresentIn
) -> tuple[IncidentPerson, YoungPerson | None, PersonOfConcern | None, str | None]:
    """Record a peer (another young person's record) or a person of concern as present."""
    peer: YoungPerson | None = None
    concern: PersonOfConcern | None = None
    matched_by: str | None = None
    if body.young_person is not None:
        given = body.young_person
        match = await match_person(
            session,
            first_name=given.first_name,
            last_name=given.last_name,
            date_of_birth=given.date_of_birth,
            apparent_age=given.apparent_age,
            la_reference=given.la_reference,
            aliases=[],
            gender=None,
            responsible_area_id=None,
            legal_status="unknown",
            learning_disability=False,
        )
        if match.person.id == incident.young_person_id:
            raise ValidationFailed.field("young_person", "this is the incident's own young person")
        if match.is_new:
            await insert_rows(session, match.rows())
        peer, matched_by = match.person, match.matched_by
        duplicate = col(IncidentPerson.young_person_id) == peer.id
    elif body.young_person_id is not None:
        if body.young_person_id == incident.young_person_id:
            raise ValidationFailed.field("young_person_id", "this is the incident's own young person")
        if not await person_in_scope(session, actor, body.young_person_id):
            raise ValidationFailed.field("young_person_id", "no such young person in your teams' incidents")
        peer = await session.get(YoungPerson, body.young_person_id)
        duplicate = col(IncidentPerson.young_person_id) == body.young_person_id
    else:
        assert body.person_of_concern_id is not None, "PresentIn holds exactly one"
        try:
            concern = await readable_concern(session, actor, body.person_of_concern_id)
        except NotFound:
            raise ValidationFailed.field("person_of_concern_id", "no such person of concern") from None
        duplicate = col(IncidentPerson.person_of_concern_id) == body.person_of_concern_id
    already = await session.scalar(
        select(exists().where(col(IncidentPerson.incident_id) == incident.id, duplicate))
    )
    if already:
        raise Conflict("Already recorded as present at this incident.")
    link = IncidentPerson(
        incident_id=incident.id,
        young_person_id=peer.id if peer else None,
        person_of_concern_id=body.person_of_concern_id,
        role=body.role,
        created_by_id=actor.id,
    )
    session.add(link)
    await session.flush()
    audit.record(
        session,
        actor,
        "incident.person_linked",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        subjects=[peer.id if peer else None],
        detail={
            "link": str(link.id),
            "kind": "peer" if peer else "person_of_concern",
            "matched_by": matched_by,
        },
    )
    return link, peer, concern, matched_by


async def present_at(
    session: AsyncSession, actor: Actor, incident: Incident
) -> list[tuple[IncidentPerson, YoungPerson | None, PersonOfConcern | None]]:
    rows = (
        await session.execute(
            select(IncidentPerson, YoungPerson, PersonOfConcern)
            .outerjoin(YoungPerson, col(YoungPerson.id) == col(IncidentPerson.young_person_id))
            .outerjoin(PersonOfConcern, col(PersonOfConcern.id) == col(IncidentPerson.person_of_concern_id))
            .where(col(IncidentPerson.incident_id) == incident.id)
            .order_by(col(IncidentPerson.created_at), col(IncidentPerson.id))
        )
    ).all()
    audit.record(
        session,
        actor,
        "incident.people.read",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        subjects=[link.young_person_id for link, _, _ in rows],
    )
    return [(link, peer, concern) for link, peer, concern in rows]


async def unlink_present(session: AsyncSession, actor: Actor, incident: Incident, link_id: uuid.UUID) -> None:
    link = await session.get(IncidentPerson, link_id)
    if link is None or link.incident_id != incident.id:
        raise NotFound("No such person present at this incident.")
    await session.delete(link)
    await session.flush()
    audit.record(
        session,
        actor,
        "incident.person_unlinked",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        subjects=[link.young_person_id],
        detail={"link": str(link.id)},
    )
