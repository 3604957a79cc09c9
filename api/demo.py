"""Demo data for the embedded default: three areas, their teams, stations and a user per role.

Idempotent: every row is looked up by its slug or username before it is created.
"""

from __future__ import annotations

from api.db import Database
from api.flows.demo import (
    a_hub_meeting,
    a_partners_concern,
    detentions_this_month,
    last_nights_incidents,
    places_and_peers,
)
from api.paging.demo import seed_policies
from api.places.demo import a_strategy_meeting, seed_places
from api.rota.demo import seed_rotas
from api.search.demo import seed_saved_searches
from api.settings import Settings
from api.teams import service

DEMO_PASSWORD = "lantern-demo-night"

AREAS = [
    ("leicester-city", "Leicester City"),
    ("leicestershire", "Leicestershire"),
    ("rutland", "Rutland"),
]
AREA_SHORT = {"leicester-city": "city", "leicestershire": "county", "rutland": "rutland"}

STATIONS = [
    ("euston-street", "Euston St custody", "leicester-city"),
    ("keyham-lane", "Keyham Lane", "leicester-city"),
    ("loughborough", "Loughborough custody", "leicestershire"),
    ("oakham", "Oakham", "rutland"),
]

# (username, display name, roles, team slugs, station)
USERS = [
    ("custody.euston", "Custody Sgt Euston St", ["police"], [], "euston-street"),
    ("custody.lboro", "Custody Sgt Loughborough", ["police"], [], "loughborough"),
    ("worker.cce", "Sam Okafor (CCE worker)", ["worker"], ["city-cce", "county-cce"], None),
    ("worker2.cce", "Priya Shah (CCE worker)", ["worker"], ["city-cce", "county-cce"], None),
    ("worker.cse", "Alex Morgan (CSE worker)", ["worker"], ["city-cse", "county-cse"], None),
    ("worker2.cse", "Jo Bennett (CSE worker)", ["worker"], ["city-cse", "county-cse"], None),
    (
        "worker.general",
        "Chris Dale (EDT worker)",
        ["worker"],
        ["city-general", "county-general", "rutland-general", "rutland-cse", "rutland-cce"],
        None,
    ),
    ("day.cce", "Day team CCE hub", ["day_team"], ["city-cce", "county-cce"], None),
    ("day.cse", "Day team CSE hub", ["day_team"], ["city-cse", "county-cse"], None),
    (
        "manager.duty",
        "Duty manager",
        ["manager"],
        [
            "city-cce",
            "city-cse",
            "city-general",
            "county-cce",
            "county-cse",
            "county-general",
            "rutland-general",
            "rutland-cse",
            "rutland-cce",
        ],
        None,
    ),
    (
        "coordinator.hubs",
        "Hub coordinator (CSE and CCE hubs)",
        ["coordinator"],
        ["city-cce", "city-cse", "county-cce", "county-cse"],
        None,
    ),
    ("admin", "System administrator", ["admin"], [], None),
    # A residential home's manager: reports concerns about places and peer groups.
    ("partner.home", "Oakfield residential home (partner)", ["partner"], [], None),
]


def demo_teams() -> list[tuple[str, str, str, str]]:
    """(slug, name, specialism, area slug) for a CSE, CCE and general team per area."""
    teams = []
    for area_slug, area_name in AREAS:
        short = AREA_SHORT[area_slug]
        for specialism, label in (("cse", "CSE"), ("cce", "CCE"), ("general", "Out-of-hours")):
            teams.append((f"{short}-{specialism}", f"{area_name} {label}", specialism, area_slug))
    return teams


async def load_demo(settings: Settings) -> list[tuple[str, str, str]]:
    """Create what is missing; return the sign-ins to print."""
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            areas = {slug: await service.ensure_area(session, slug, name) for slug, name in AREAS}
            for slug, name, area_slug in STATIONS:
                await service.ensure_station(session, slug, name, areas[area_slug])
            teams = {}
            for slug, name, specialism, area_slug in demo_teams():
                team = await service.team_by_slug(session, slug)
                if team is None:
                    team = await service.create_team(
                        session, slug=slug, name=name, specialism=specialism, area_slug=area_slug
                    )
                teams[slug] = team
            for username, display_name, roles, team_slugs, station in USERS:
                if await service.user_by_username(session, username) is None:
                    await service.create_user(
                        session,
                        username=username,
                        display_name=display_name,
                        password=DEMO_PASSWORD,
                        roles=roles,
                        team_ids=[teams[s].id for s in team_slugs],
                        station_slug=station,
                    )
            for hook in DEMO_HOOKS:
                await hook(session, teams)
    finally:
        await database.dispose()
    return [(u, DEMO_PASSWORD, ",".join(r)) for u, _, r, _, _ in USERS]


# After the teams and users: escalation policies, rotas and places, then last night's incidents
# (paged to whoever was on call, their locations resolved to the places), then earlier reports
# at the places and who was seen with Jordan; a partner's concern about a park in the county;
# last week's city CCE hub meeting decision; five detentions at Euston Street this month (the
# custody report); the CCE hub's saved search; the hub coordinator's
# strategy meeting about the railway station.
DEMO_HOOKS: list = [
    seed_policies,
    seed_rotas,
    seed_places,
    last_nights_incidents,
    places_and_peers,
    a_hub_meeting,
    detentions_this_month,
    a_partners_concern,
    seed_saved_searches,
    a_strategy_meeting,
]
