"""A place's profile: what happened there, when, to whom, and who else was seen there.

A read model above places, incidents, people and triage. Only the incidents routed to the
reader's teams count (a case role or a coordinator whose teams cover the place's area); every
child shown (the young people the incidents are about and the peers recorded as present) is
named on the read's audit event.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.incidents.models import Incident, IncidentIndicator
from api.people.models import YoungPerson
from api.people.queries import young_people_by_id
from api.places import service as places
from api.places import strategy
from api.places.concerns import in_team_scope
from api.places.models import IncidentPerson, PersonOfConcern, Place
from api.places.schemas import (
    CategorySplit,
    ConcernSeen,
    HourCell,
    IndicatorSeen,
    PersonOfConcernOut,
    PlaceOut,
    PlaceProfile,
    WeekCount,
    YoungPersonSeen,
)
from api.rota.schedule import LONDON
from api.triage.catalogue import load_catalogue


def place_out(place: Place, slugs: dict[uuid.UUID, str]) -> PlaceOut:
    return PlaceOut(
        id=place.id,
        name=place.name,
        aliases=list(place.aliases),
        area=slugs.get(place.area_id) if place.area_id else None,
        type=place.type,
        grid_reference=place.grid_reference,
        postcode_district=place.postcode_district,
        created_at=place.created_at,
        retired_at=place.retired_at,
        merged_into_id=place.merged_into_id,
    )


def concern_out(person: PersonOfConcern, slugs: dict[uuid.UUID, str]) -> PersonOfConcernOut:
    return PersonOfConcernOut(
        id=person.id,
        nickname=person.nickname,
        description=person.description,
        vehicle=person.vehicle,
        phone_last_digits=person.phone_last_digits,
        area=slugs.get(person.area_id) if person.area_id else None,
        created_at=person.created_at,
    )


def iso_week(at: datetime) -> str:
    year, week, _ = at.astimezone(LONDON).isocalendar()
    return f"{year}-W{week:02d}"


def _weeks_ending(today: date, weeks: int) -> list[str]:
    monday = today - timedelta(days=today.weekday())
    return [
        f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"
        for d in (monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1))
    ]


class Sightings:
    def __init__(self) -> None:
        self.incidents: set[uuid.UUID] = set()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, incident: Incident) -> None:
        self.incidents.add(incident.id)
        at = incident.occurred_at
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last


def _young_people(
    seen: dict[uuid.UUID, Sightings], people: dict[uuid.UUID, YoungPerson]
) -> list[YoungPersonSeen]:
    out = [
        YoungPersonSeen(
            id=pid,
            first_name=people[pid].first_name,
            last_name=people[pid].last_name,
            incidents=len(s.incidents),
            first_seen=s.first,
            last_seen=s.last,
        )
        for pid, s in seen.items()
        if pid in people and s.first and s.last
    ]
    return sorted(out, key=lambda p: (-p.incidents, p.last_name, p.first_name))


async def place_profile(
    session: AsyncSession, actor: Actor, place_id: uuid.UUID, *, weeks: int
) -> PlaceProfile:
    place = await places.readable_place(session, actor, place_id)
    slugs = await places.area_slugs(session)
    incidents = list(
        (
            await session.execute(
                select(Incident)
                .where(col(Incident.place_id) == place.id, in_team_scope(actor))
                .order_by(col(Incident.occurred_at))
            )
        ).scalars()
    )
    ids = [i.id for i in incidents]
    by_id = {i.id: i for i in incidents}

    range_weeks = _weeks_ending(utcnow().astimezone(LONDON).date(), weeks)
    per_week = Counter(iso_week(i.occurred_at) for i in incidents)
    split: Counter[str] = Counter()
    for incident in incidents:
        cats = set(incident.triage.get("categories", []))
        split[
            "both"
            if {"cse", "cce"} <= cats
            else "cse"
            if "cse" in cats
            else "cce"
            if "cce" in cats
            else "neither"
        ] += 1
    cells = Counter(
        (local.isoweekday(), local.hour) for local in (i.occurred_at.astimezone(LONDON) for i in incidents)
    )

    indicator_incidents: dict[str, set[uuid.UUID]] = defaultdict(set)
    present: list[tuple[IncidentPerson, YoungPerson | None, PersonOfConcern | None]] = []
    people: dict[uuid.UUID, YoungPerson] = {}
    if ids:
        for incident_id, code in await session.execute(
            select(col(IncidentIndicator.incident_id), col(IncidentIndicator.code)).where(
                col(IncidentIndicator.incident_id).in_(ids)
            )
        ):
            indicator_incidents[code].add(incident_id)
        present = [
            (link, peer, concern)
            for link, peer, concern in await session.execute(
                select(IncidentPerson, YoungPerson, PersonOfConcern)
                .outerjoin(YoungPerson, col(YoungPerson.id) == col(IncidentPerson.young_person_id))
                .outerjoin(
                    PersonOfConcern, col(PersonOfConcern.id) == col(IncidentPerson.person_of_concern_id)
                )
                .where(col(IncidentPerson.incident_id).in_(ids))
            )
        ]
        subjects = {i.young_person_id for i in incidents}
        people = await young_people_by_id(session, subjects)

    catalogue = load_catalogue()
    indicators = []
    for code, seen_in in indicator_incidents.items():
        entry = catalogue.get(code)
        indicators.append(
            IndicatorSeen(
                code=code,
                label=entry.label if entry else code,
                group=entry.group if entry else "",
                category=entry.category if entry else "",
                incidents=len(seen_in),
            )
        )
    indicators.sort(key=lambda i: (-i.incidents, i.code))

    subject_seen: dict[uuid.UUID, Sightings] = defaultdict(Sightings)
    for incident in incidents:
        subject_seen[incident.young_person_id].add(incident)
    peer_seen: dict[uuid.UUID, Sightings] = defaultdict(Sightings)
    concern_seen: dict[uuid.UUID, Sightings] = defaultdict(Sightings)
    concerns: dict[uuid.UUID, PersonOfConcern] = {}
    for link, peer, concern in present:
        if peer is not None:
            people[peer.id] = peer
            peer_seen[peer.id].add(by_id[link.incident_id])
        if concern is not None:
            concerns[concern.id] = concern
            concern_seen[concern.id].add(by_id[link.incident_id])

    profile = PlaceProfile(
        place=place_out(place, slugs),
        incidents=len(incidents),
        weeks=[WeekCount(week=w, incidents=per_week.get(w, 0)) for w in range_weeks],
        categories=CategorySplit(
            cse=split["cse"], cce=split["cce"], both=split["both"], neither=split["neither"]
        ),
        weekday_hours=[HourCell(weekday=d, hour=h, incidents=n) for (d, h), n in sorted(cells.items())],
        indicators=indicators,
        young_people=_young_people(subject_seen, people),
        peers=_young_people(peer_seen, people),
        persons_of_concern=sorted(
            (
                ConcernSeen(
                    person=concern_out(concerns[cid], slugs),
                    incidents=len(s.incidents),
                    first_seen=s.first,
                    last_seen=s.last,
                )
                for cid, s in concern_seen.items()
                if s.first and s.last
            ),
            key=lambda c: -c.incidents,
        ),
        strategy=await strategy.place_strategy(session, place),
    )
    audit.record(
        session,
        actor,
        "place.profile.read",
        resource_type="place",
        resource_id=place.id,
        subjects=[*subject_seen, *peer_seen],
        detail={"incidents": len(incidents)},
    )
    return profile
