"""The weekly hub pack: who came through a hub's team in an ISO week, and where.

A read model over incidents, young people, places and peers (the network of
api.flows.network), handover clocks, the NRM action and the hub's earlier decisions. Only
incidents routed to the hub's team count (whatever other teams the reader is in). The week is
an ISO week in London time (api.hubs.weeks); a past week's pack is as it stood at the week's
end (a decision is done if its clock was met by then), the current week's as it stands now.

Each young person: first time or repeat (an incident routed to the hub before the week), the
week's incidents, missing episodes in the 30 and 90 days to the week's end (or now), the
indicators first recorded for the child this week, the places of the child's hub incidents,
peers and persons of concern, open clocks, the NRM decisions, this meeting's decisions and
earlier meetings' decisions outstanding when the week began (now outstanding or done). Places:
those with hub incidents this week against the previous four weeks.

Every read and download is audited once, naming every child shown (subjects).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.auth.queries import users_by_id
from api.db import utcnow
from api.flows.network import network_of
from api.handover.models import Clock, NrmConsideration
from api.hubs import service as hubs
from api.hubs.models import HubDecision
from api.hubs.schemas import (
    DecisionOut,
    HubOut,
    HubPack,
    PackClock,
    PackIncident,
    PackIndicator,
    PackNrm,
    PackPlace,
    PackYoungPerson,
)
from api.hubs.weeks import Week, week_of
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam
from api.people.identity import same_child
from api.people.models import YoungPerson
from api.people.queries import young_people_by_id
from api.places.models import Place
from api.places.schemas import PlaceSeen
from api.teams.models import Team
from api.triage.catalogue import newest_entry

PREVIOUS_WEEKS = 4
# Shown elsewhere in the pack: the handover item is the day team's, a decision's clock is the
# decision's own line.
NOT_LISTED_AS_CLOCKS = ("handover", "hub_decision")


def _routed_to(team_id: uuid.UUID):
    return exists().where(
        col(IncidentTeam.incident_id) == col(Incident.id), col(IncidentTeam.team_id) == team_id
    )


def _missing():
    return or_(col(Incident.was_missing).is_(True), col(Incident.kind) == "missing_return")


async def _count_missing(
    session: AsyncSession, young_person_id: uuid.UUID, as_of: datetime, days: int
) -> int:
    rows = await session.execute(
        select(col(Incident.id)).where(
            col(Incident.young_person_id).in_(same_child(young_person_id)),
            _missing(),
            col(Incident.occurred_at) > as_of - timedelta(days=days),
            col(Incident.occurred_at) <= as_of,
        )
    )
    return len(rows.all())


def _label(code: str) -> str:
    entry = newest_entry(code)
    return entry.label if entry else code


async def _young_person(
    session: AsyncSession,
    team: Team,
    week: Week,
    as_of: datetime,
    person: YoungPerson,
    incidents: list[Incident],
    place_names: dict[uuid.UUID, str],
    users: dict[uuid.UUID, User],
) -> tuple[dict[str, Any], list[uuid.UUID]]:
    routed = _routed_to(team.id)
    records = same_child(person.id)
    history = list(
        (
            await session.execute(
                select(Incident).where(
                    col(Incident.young_person_id).in_(records),
                    routed,
                    col(Incident.occurred_at) < week.ends_at,
                )
            )
        ).scalars()
    )
    earlier_ids = [i.id for i in history if i.occurred_at < week.starts_at]
    week_ids = [i.id for i in incidents]
    codes_before = (
        set(
            (
                await session.execute(
                    select(col(IncidentIndicator.code)).where(
                        col(IncidentIndicator.incident_id).in_(earlier_ids)
                    )
                )
            ).scalars()
        )
        if earlier_ids
        else set()
    )
    codes_now = list(
        (
            await session.execute(
                select(col(IncidentIndicator.code))
                .where(col(IncidentIndicator.incident_id).in_(week_ids))
                .order_by(col(IncidentIndicator.recorded_at), col(IncidentIndicator.code))
            )
        ).scalars()
    )
    new_codes = [c for c in dict.fromkeys(codes_now) if c not in codes_before]
    place_counts = Counter(i.place_id for i in history if i.place_id is not None)
    places = [
        PlaceSeen(id=pid, name=place_names.get(pid, ""), incidents=n)
        for pid, n in sorted(place_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if pid is not None
    ]
    network, peers_seen = await network_of(
        session, person.id, (routed) & (col(Incident.occurred_at) < week.ends_at)
    )
    history_ids = [i.id for i in history]
    references = {i.id: i.reference for i in history}
    clocks = list(
        (
            await session.execute(
                select(Clock)
                .where(
                    col(Clock.incident_id).in_(history_ids),
                    col(Clock.kind).not_in(NOT_LISTED_AS_CLOCKS),
                    col(Clock.starts_at) <= as_of,
                    or_(col(Clock.met_at).is_(None), col(Clock.met_at) > as_of),
                )
                .order_by(col(Clock.due_at), col(Clock.kind))
            )
        ).scalars()
    )
    users.update(await users_by_id(session, {c.owner_id for c in clocks}))
    considerations = list(
        (
            await session.execute(
                select(NrmConsideration).where(col(NrmConsideration.incident_id).in_(history_ids))
            )
        ).scalars()
    )
    nrm = [
        PackNrm(
            incident_reference=references[c.incident_id],
            decision=c.decision if c.decided_at and c.decided_at <= as_of else None,
            decided_at=c.decided_at if c.decided_at and c.decided_at <= as_of else None,
        )
        for c in sorted(considerations, key=lambda c: c.raised_at)
        if c.raised_at <= as_of
        and (c.incident_id in week_ids or c.decided_at is None or c.decided_at >= week.starts_at)
    ]
    entry = {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth,
        "status": "repeat" if earlier_ids else "first_time",
        "incidents": [
            PackIncident(
                id=i.id,
                reference=i.reference,
                kind=i.kind,
                priority=i.priority,
                occurred_at=i.occurred_at,
                location=i.location_description,
                place=PlaceSeen(
                    id=i.place_id, name=place_names.get(i.place_id, ""), incidents=place_counts[i.place_id]
                )
                if i.place_id
                else None,
            )
            for i in incidents
        ],
        "missing_episodes_30d": await _count_missing(session, person.id, as_of, 30),
        "missing_episodes_90d": await _count_missing(session, person.id, as_of, 90),
        "new_indicators": [PackIndicator(code=c, label=_label(c)) for c in new_codes],
        "places": places,
        "peers": network.peers,
        "persons_of_concern": network.persons_of_concern,
        "open_clocks": [
            PackClock(
                id=c.id,
                kind=c.kind,
                label=c.label,
                due_at=c.due_at,
                status="overdue" if c.due_at < as_of else "open",
                owner={"id": c.owner_id, "display_name": users[c.owner_id].display_name}
                if c.owner_id in users
                else None,
                incident_reference=references[c.incident_id],
            )
            for c in clocks
        ],
        "nrm": nrm,
    }
    return entry, peers_seen


async def _places(
    session: AsyncSession, team: Team, week: Week
) -> tuple[list[PackPlace], dict[uuid.UUID, str]]:
    since = week.shifted(-PREVIOUS_WEEKS).starts_at
    rows = (
        await session.execute(
            select(col(Incident.place_id), col(Incident.occurred_at), col(Incident.young_person_id)).where(
                _routed_to(team.id),
                col(Incident.place_id).is_not(None),
                col(Incident.occurred_at) >= since,
                col(Incident.occurred_at) < week.ends_at,
            )
        )
    ).all()
    this_week: Counter[uuid.UUID] = Counter()
    children: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    before: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0] * PREVIOUS_WEEKS)
    for place_id, occurred_at, young_person_id in rows:
        if occurred_at >= week.starts_at:
            this_week[place_id] += 1
            children[place_id].add(young_person_id)
        else:
            weeks_back = (week.monday - week_of(occurred_at).monday).days // 7
            before[place_id][PREVIOUS_WEEKS - weeks_back] += 1
    place_rows = {
        p.id: p
        for p in (
            await session.execute(select(Place).where(col(Place.id).in_({r[0] for r in rows})))
        ).scalars()
    }
    out = []
    for place_id, count in this_week.items():
        place = place_rows.get(place_id)
        if place is None:
            continue
        previous = before[place_id]
        average = sum(previous) / PREVIOUS_WEEKS
        out.append(
            PackPlace(
                id=place_id,
                name=place.name,
                type=place.type,
                incidents=count,
                young_people=len(children[place_id]),
                previous_weeks=previous,
                previous_average=average,
                change=count - average,
            )
        )
    out.sort(key=lambda p: (-p.incidents, -p.change, p.name))
    return out, {pid: p.name for pid, p in place_rows.items()}


async def hub_pack(
    session: AsyncSession, actor: Actor, team: Team, week: Week, fmt: str, now: datetime | None = None
) -> HubPack:
    """The pack of `team` for `week`, audited as read (`fmt` "json") or downloaded (pdf, csv)."""
    now = now or utcnow()
    as_of = min(week.ends_at, now)
    incidents = list(
        (
            await session.execute(
                select(Incident)
                .where(
                    _routed_to(team.id),
                    col(Incident.occurred_at) >= week.starts_at,
                    col(Incident.occurred_at) < min(week.ends_at, now + timedelta(minutes=1)),
                )
                .order_by(col(Incident.occurred_at), col(Incident.id))
            )
        ).scalars()
    )
    by_child: dict[uuid.UUID, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_child[incident.young_person_id].append(incident)
    places, place_names = await _places(session, team, week)
    # Names of every place the children's hub incidents happened at (not only this week's).
    all_place_ids = (
        set(
            (
                await session.execute(
                    select(col(Incident.place_id)).where(
                        col(Incident.young_person_id).in_(list(by_child)),
                        _routed_to(team.id),
                        col(Incident.place_id).is_not(None),
                    )
                )
            ).scalars()
        )
        if by_child
        else set()
    )
    missing_names = all_place_ids - set(place_names)
    if missing_names:
        rows = await session.execute(
            select(col(Place.id), col(Place.name)).where(col(Place.id).in_(missing_names))
        )
        place_names.update({place_id: name for place_id, name in rows.all()})
    people = await young_people_by_id(session, by_child)
    this_week = await hubs.decisions_of(session, team.id, week=str(week))
    earlier = [
        d
        for d in await hubs.decisions_of(session, team.id, before_week=str(week))
        if await _outstanding_at(session, d, week.starts_at)
    ]
    decided = {
        v["id"]: DecisionOut.model_validate(v)
        for v in await hubs.decision_views(session, team, this_week + earlier, as_of=as_of, now=now)
    }
    users: dict[uuid.UUID, User] = {}
    shown: list[uuid.UUID] = []
    young_people = []
    for person_id, person_incidents in by_child.items():
        person = people.get(person_id)
        if person is None:
            continue
        entry, peers_seen = await _young_person(
            session, team, week, as_of, person, person_incidents, place_names, users
        )
        shown += [person_id, *peers_seen]
        records = set((await session.execute(same_child(person_id))).scalars())
        entry["decisions"] = [decided[d.id] for d in this_week if d.young_person_id in records]
        entry["actions"] = [decided[d.id] for d in earlier if d.young_person_id in records]
        young_people.append(PackYoungPerson.model_validate(entry))
    young_people.sort(key=lambda p: (p.status != "repeat", p.last_name, p.first_name))
    follow_ups = [decided[d.id] for d in earlier]
    shown += [d.young_person_id for d in earlier] + [d.young_person_id for d in this_week]
    audit.record(
        session,
        actor,
        "hub.pack.read" if fmt == "json" else "hub.pack.download",
        resource_type="hub_pack",
        team_id=team.id,
        detail={
            "week": str(week),
            "format": fmt,
            "young_people": len(young_people),
            "follow_ups": len(follow_ups),
        },
        subjects=shown,
    )
    current = week_of(now)
    return HubPack(
        hub=HubOut(
            slug=team.slug,
            name=team.name,
            area=await hubs.area_slug(session, team),
            specialism=team.specialism,
        ),
        week=str(week),
        starts_at=week.starts_at,
        ends_at=week.ends_at,
        previous_week=str(week.shifted(-1)),
        next_week=None if week == current else str(week.shifted(1)),
        generated_at=now,
        young_people=young_people,
        places=places,
        follow_ups=follow_ups,
    )


async def _outstanding_at(session: AsyncSession, decision: HubDecision, at: datetime) -> bool:
    clock = await session.get(Clock, decision.clock_id)
    return clock is not None and (clock.met_at is None or clock.met_at >= at)
