"""A young person's network: the peers and persons of concern seen with them, how often, where.

Derived only from what was recorded on incidents: the incidents the child is the subject of or
was recorded as present at (those routed to the reader's teams), and who else those incidents
name (their subject, the peers and persons of concern present). Nothing is inferred beyond
that. The read is audited naming the child and every peer shown.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.errors import NotFound
from api.flows.place_profile import Sightings, concern_out
from api.incidents.models import Incident
from api.people.queries import young_people_by_id
from api.places import service as places
from api.places.concerns import in_team_scope, person_in_scope
from api.places.models import IncidentPerson, PersonOfConcern, Place
from api.places.schemas import Network, NetworkConcern, NetworkPeer, PlaceSeen


def _places_of(
    seen: Sightings, incidents: dict[uuid.UUID, Incident], names: dict[uuid.UUID, str]
) -> list[PlaceSeen]:
    counts = Counter(incidents[i].place_id for i in seen.incidents if incidents[i].place_id is not None)
    return [
        PlaceSeen(id=pid, name=names[pid], incidents=n)
        for pid, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if pid is not None and pid in names
    ]


async def young_person_network(session: AsyncSession, actor: Actor, young_person_id: uuid.UUID) -> Network:
    if not await person_in_scope(session, actor, young_person_id):
        raise NotFound("No such young person.")
    network, peers_seen = await network_of(session, young_person_id, in_team_scope(actor))
    audit.record(
        session,
        actor,
        "young_person.network.read",
        resource_type="young_person",
        resource_id=young_person_id,
        young_person_id=young_person_id,
        subjects=peers_seen,
        detail={"peers": len(network.peers), "persons_of_concern": len(network.persons_of_concern)},
    )
    return network


async def network_of(
    session: AsyncSession, young_person_id: uuid.UUID, scope: ColumnElement[bool]
) -> tuple[Network, list[uuid.UUID]]:
    """The network from the incidents `scope` admits (a SQL condition on `Incident`), and every
    peer seen. No authorisation or audit here: the caller does both (the hub pack scopes to the
    hub's team and names every child it shows on its own audit event)."""
    present_at = select(col(IncidentPerson.incident_id)).where(
        col(IncidentPerson.young_person_id) == young_person_id
    )
    incidents = {
        i.id: i
        for i in (
            await session.execute(
                select(Incident).where(
                    or_(col(Incident.young_person_id) == young_person_id, col(Incident.id).in_(present_at)),
                    scope,
                )
            )
        ).scalars()
    }
    peer_seen: dict[uuid.UUID, Sightings] = defaultdict(Sightings)
    concern_seen: dict[uuid.UUID, Sightings] = defaultdict(Sightings)
    concerns: dict[uuid.UUID, PersonOfConcern] = {}
    for incident in incidents.values():
        if incident.young_person_id != young_person_id:  # the child was present at a peer's incident
            peer_seen[incident.young_person_id].add(incident)
    if incidents:
        links = await session.execute(
            select(IncidentPerson, PersonOfConcern)
            .outerjoin(PersonOfConcern, col(PersonOfConcern.id) == col(IncidentPerson.person_of_concern_id))
            .where(col(IncidentPerson.incident_id).in_(list(incidents)))
        )
        for link, concern in links:
            if link.young_person_id is not None and link.young_person_id != young_person_id:
                peer_seen[link.young_person_id].add(incidents[link.incident_id])
            if concern is not None:
                concerns[concern.id] = concern
                concern_seen[concern.id].add(incidents[link.incident_id])
    people = await young_people_by_id(session, peer_seen)
    place_ids = {i.place_id for i in incidents.values() if i.place_id is not None}
    names = (
        {
            pid: name
            for pid, name in (
                await session.execute(
                    select(col(Place.id), col(Place.name)).where(col(Place.id).in_(place_ids))
                )
            ).all()
        }
        if place_ids
        else {}
    )
    slugs = await places.area_slugs(session)

    peers = sorted(
        (
            NetworkPeer(
                id=pid,
                first_name=people[pid].first_name,
                last_name=people[pid].last_name,
                incidents=len(s.incidents),
                first_seen=s.first,
                last_seen=s.last,
                places=_places_of(s, incidents, names),
            )
            for pid, s in peer_seen.items()
            if pid in people and s.first and s.last
        ),
        key=lambda p: (-p.incidents, p.last_name, p.first_name),
    )
    concern_rows = sorted(
        (
            NetworkConcern(
                person=concern_out(concerns[cid], slugs),
                incidents=len(s.incidents),
                first_seen=s.first,
                last_seen=s.last,
                places=_places_of(s, incidents, names),
            )
            for cid, s in concern_seen.items()
            if s.first and s.last
        ),
        key=lambda c: -c.incidents,
    )
    network = Network(
        young_person_id=young_person_id,
        incidents=sum(1 for i in incidents.values() if i.young_person_id == young_person_id),
        peers=peers,
        persons_of_concern=concern_rows,
    )
    return network, list(peer_seen)
