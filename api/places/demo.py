"""Demo data for places and peers: the places the demo's reports happen at, the persons of
concern seen with Jordan, and earlier reports over the past weeks so the places' profiles
have a shape. The places are written here (before any report, so intake resolves the
reports' locations to them); api.flows.demo plays the reports and records who was present.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.dependencies import Actor
from api.auth.models import Membership, User
from api.db import utcnow
from api.places.models import PersonOfConcern, Place, StrategyMeeting
from api.places.strategy import record_meeting
from api.places.strategy_schemas import StrategyMeetingIn
from api.teams.models import Area, Team

LONDON = ZoneInfo("Europe/London")

# (name, aliases, area slug, type, postcode district)
PLACES = [
    (
        "Leicester railway station",
        ["Leicester station", "London Road station"],
        "leicester-city",
        "transport_hub",
        "LE2",
    ),
    ("Highcross car park", ["Highcross multi-storey"], "leicester-city", "other", "LE1"),
    ("Narborough Road takeaway", [], "leicester-city", "takeaway_or_shop", "LE3"),
    ("Abbey Park", [], "leicester-city", "park_or_open_space", "LE4"),
    ("Loughborough bus station", [], "leicestershire", "transport_hub", "LE11"),
]


def persons_of_concern(area_id: uuid.UUID, created_by_id: uuid.UUID) -> dict[str, PersonOfConcern]:
    """Tee, and a car seen collecting young people from the station."""
    return {
        "TEE": PersonOfConcern(
            nickname="Tee",
            description="Older boy, about 19; says he is from Nottingham",
            phone_last_digits="417",
            area_id=area_id,
            created_by_id=created_by_id,
        ),
        "CAR": PersonOfConcern(
            description="Driver who collects young people from the station",
            vehicle="Silver Vauxhall Corsa, registration starting FY6",
            area_id=area_id,
            created_by_id=created_by_id,
        ),
    }


# Who was present at Jordan's reports (by police reference): Tee and the car, Kai as a peer.
PRESENT = {
    "DEMO-0001": ["TEE"],
    "DEMO-E009": ["TEE", "CAR", "KAI"],
    "DEMO-E021": ["CAR"],
}


async def seed_places(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (api.demo.DEMO_HOOKS), before the reports: the places, once."""
    areas = {a.slug: a.id for a in (await session.execute(select(Area))).scalars()}
    manager = (
        await session.execute(select(col(User.id)).where(col(User.username) == "manager.duty"))
    ).scalar_one_or_none()
    existing = set((await session.execute(select(col(Place.name)))).scalars())
    for name, aliases, area, kind, district in PLACES:
        if name not in existing and area in areas:
            session.add(
                Place(
                    name=name,
                    aliases=aliases,
                    area_id=areas[area],
                    type=kind,
                    postcode_district=district,
                    created_by_id=manager,
                )
            )
    await session.flush()


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def earlier_reports(evening: date) -> list[dict[str, Any]]:
    """Other children's reports over the past weeks (closed by the day teams since)."""
    out: list[dict[str, Any]] = []
    spread = [
        (13, 22, "Highcross car park, level 3", "Mia", "Clarke", "2010-09-14", "cse"),
        (20, 23, "Outside the Narborough Road takeaway", "Kai", "Whitlock", "2009-08-19", "cce"),
        (27, 21, "Highcross car park", "Mia", "Clarke", "2010-09-14", "cse"),
        (34, 0, "Narborough Road takeaway", "Leon", "Barker", "2009-12-01", "cce"),
        (41, 22, "Abbey Park, by the boathouse", "Ruby", "Ellis", "2011-06-30", "cse"),
        (48, 23, "Narborough Road takeaway, back yard", "Kai", "Whitlock", "2009-08-19", "cce"),
        # Leon at Abbey Park over the last three weeks: the hub's earlier weeks (api.hubs) and
        # the child of last week's meeting decision (api.flows.demo.a_hub_meeting).
        (8, 22, "Abbey Park, by the lake", "Leon", "Barker", "2009-12-01", "cce"),
        (15, 23, "Abbey Park", "Leon", "Barker", "2009-12-01", "cce"),
        (22, 21, "Abbey Park, by the boathouse", "Leon", "Barker", "2009-12-01", "cce"),
    ]
    for days, hour, where, first, last, born, category in spread:
        indicators = (
            [
                {"code": "MOV-VEHICLE-UNKNOWN-ADULT", "provenance": "observed"},
                {"code": "REL-CONTROLLING-ADULT", "provenance": "disclosed"},
            ]
            if category == "cse"
            else [
                {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
                {"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"},
            ]
        )
        out.append(
            {
                "kind": "stop_conversation",
                "occurred_at": _at(evening - timedelta(days=days), hour, 20),
                "police_reference": f"DEMO-P{days:03d}",
                "young_person": {"first_name": first, "last_name": last, "date_of_birth": born},
                "location": {"description": where, "area": "leicester-city"},
                "indicators": indicators,
                "custody_status": "not_arrested",
            }
        )
    return out


async def a_strategy_meeting(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook after the reports: the hub coordinator's strategy meeting about the railway
    station a week ago, three open actions,
    a review in three weeks. Skipped once the station has a meeting."""
    station = (
        await session.execute(select(Place).where(col(Place.name) == "Leicester railway station"))
    ).scalar_one_or_none()
    user = (
        await session.execute(select(User).where(col(User.username) == "coordinator.hubs"))
    ).scalar_one_or_none()
    manager = (
        await session.execute(select(col(User.id)).where(col(User.username) == "manager.duty"))
    ).scalar_one_or_none()
    if station is None or user is None:
        return
    if (
        await session.execute(
            select(col(StrategyMeeting.id)).where(col(StrategyMeeting.place_id) == station.id)
        )
    ).first() is not None:
        return
    team_ids = (
        await session.execute(select(col(Membership.team_id)).where(col(Membership.user_id) == user.id))
    ).scalars()
    coordinator = Actor(user=user, roles=frozenset(user.roles), team_ids=frozenset(team_ids))
    today = utcnow().astimezone(LONDON).date()
    body = StrategyMeetingIn.model_validate(
        {
            "held_on": (today - timedelta(days=7)).isoformat(),
            "attendees": [
                {"name": "Hub coordinator", "agency": "Leicester City CCE hub"},
                {"name": "PS Amira Hale", "agency": "British Transport Police"},
                {"name": "Station duty manager", "agency": "Station operator"},
                {"name": "Detached youth worker", "agency": "Leicester youth service"},
            ],
            "concerns": "Young people met by older males on platform 2 and the forecourt in the "
            "evenings; a silver car collects them from the taxi rank.",
            "actions": [
                {
                    "kind": "patrols",
                    "description": "High-visibility patrols on Friday and Saturday evenings, 19:00 to 23:00",
                    "owner": "British Transport Police",
                    "due_on": (today + timedelta(days=7)).isoformat(),
                },
                {
                    "kind": "work_with_venue",
                    "description": "Brief station staff on spotting exploitation and whom to call",
                    "owner_user_id": str(manager) if manager else None,
                    "owner": None if manager else "Out-of-hours duty manager",
                    "due_on": (today + timedelta(days=14)).isoformat(),
                },
                {
                    "kind": "outreach",
                    "description": "Detached youth work at the forecourt on Friday evenings",
                    "owner": "Leicester youth service",
                },
            ],
            "review_on": (today + timedelta(days=21)).isoformat(),
        }
    )
    await record_meeting(session, coordinator, station, body)
