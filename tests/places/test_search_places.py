"""The search by place (its id, its name or an alias, its type; a merged duplicate counts as the
place it went into) and by person of concern, on SQLite and PostgreSQL through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.demo import DEMO_PASSWORD, load_demo
from api.incidents.models import Incident
from api.places.models import IncidentPerson, PersonOfConcern, Place
from tests.incident_payloads import report

QUERY = "/api/v1/incidents/query"
NOW = datetime.now(UTC)


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


@pytest.fixture
async def town(client, db, world, make_user):
    people = {
        "euston": await make_user("police", station="euston-street"),
        "lboro": await make_user("police", station="loughborough"),
        "manager": await make_user("manager", teams_=["city-cce", "county-cce", "county-cse"]),
        "coordinator": await make_user("coordinator", teams_=["county-cce", "county-cse"]),
        "city_cce": await make_user("worker", teams_=["city-cce"]),
    }
    async with db.session() as session:
        places = {
            "railway": Place(
                name="Leicester railway station",
                aliases=["London Road station"],
                area_id=world.areas["leicester-city"].id,
                type="transport_hub",
            ),
            "duplicate": Place(
                name="Leicester train station", area_id=world.areas["leicester-city"].id, type="transport_hub"
            ),
            "bus": Place(
                name="Loughborough bus station",
                area_id=world.areas["leicestershire"].id,
                type="transport_hub",
            ),
            "park": Place(
                name="Southfields Park", area_id=world.areas["leicestershire"].id, type="park_or_open_space"
            ),
        }
        session.add_all(places.values())
        tee = PersonOfConcern(nickname="Tee", description="Older boy, about 19")
        session.add(tee)
        await session.flush()
        ids = {name: place.id for name, place in places.items()} | {"tee": tee.id}
    reports = {
        "station": (people["euston"], report(occurred_at=_ago(2))),
        "platform": (
            people["euston"],
            report(
                occurred_at=_ago(40),
                location={"description": "Leicester railway station, platform 2", "area": "leicester-city"},
                indicators=[{"code": "ITM-DRUGS-CASH"}],
            ),
        ),
        "bus": (
            people["lboro"],
            report(
                police_station="loughborough",
                occurred_at=_ago(10),
                young_person={"first_name": "Casey", "last_name": "Lee", "date_of_birth": "2010-05-06"},
                location={"description": "Loughborough bus station", "area": "leicestershire"},
                indicators=[{"code": "HRM-ONLINE-GROOMING"}],
            ),
        ),
        "park": (
            people["lboro"],
            report(
                police_station="loughborough",
                occurred_at=_ago(5),
                young_person={"first_name": "Riley", "last_name": "Hart", "date_of_birth": "2009-07-08"},
                location={"description": "Southfields Park, by the skate park", "area": "leicestershire"},
                indicators=[{"code": "REL-KNOWN-EXPLOITERS"}],
                place_id=str(ids["park"]),
            ),
        ),
        "train": (
            people["euston"],
            report(
                occurred_at=_ago(20),
                young_person={"first_name": "Sam", "last_name": "Nowak", "date_of_birth": "2010-01-01"},
                location={"description": "At the station", "area": "leicester-city"},
                place_id=str(ids["duplicate"]),
            ),
        ),
    }
    made = {}
    for name, (police, body) in reports.items():
        response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
        assert response.status_code == 201, response.text
        made[name] = response.json()
    async with db.session() as session:
        linked = {name: (await session.get(Incident, uuid.UUID(made[name]["id"]))).place_id for name in made}
        session.add(
            IncidentPerson(incident_id=uuid.UUID(made["park"]["id"]), person_of_concern_id=ids["tee"])
        )
        session.add(
            IncidentPerson(incident_id=uuid.UUID(made["station"]["id"]), person_of_concern_id=ids["tee"])
        )
    # Intake resolved the locations to the places (the platform to the station).
    assert linked == {
        "station": ids["railway"],
        "platform": ids["railway"],
        "bus": ids["bus"],
        "park": ids["park"],
        "train": ids["duplicate"],
    }
    return people, made, ids


async def _refs(client, person, **query) -> list[str]:
    response = await client.post(QUERY, json=query, headers=person.headers)
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


def _names(made, *which) -> list[str]:
    return [made[w]["reference"] for w in which]


async def test_by_place_its_aliases_its_type_and_a_merged_duplicate(client, town):
    people, made, ids = town
    manager = people["manager"]
    assert await _refs(client, manager, places=[str(ids["railway"])]) == _names(made, "station", "platform")
    assert await _refs(client, manager, place_name="london road") == _names(made, "station", "platform")
    assert await _refs(client, manager, place_types=["transport_hub"]) == _names(
        made, "station", "bus", "train", "platform"
    )
    assert await _refs(client, manager, place_types=["park_or_open_space"]) == _names(made, "park")
    # Merging the duplicate moves its incident; searching either place finds all three.
    merged = await client.post(
        f"/api/v1/places/{ids['duplicate']}/merge",
        json={"into_place_id": str(ids["railway"])},
        headers=manager.headers,
    )
    assert merged.status_code in (200, 201), merged.text
    for query in (
        {"places": [str(ids["duplicate"])]},
        {"places": [str(ids["railway"])]},
        {"place_name": "train"},
    ):
        assert await _refs(client, manager, **query) == _names(made, "station", "train", "platform"), query
    response = await client.post(
        QUERY, json={"places": [str(ids["railway"])], "limit": 1}, headers=manager.headers
    )
    assert response.json()["items"][0]["place"] == {
        "id": str(ids["railway"]),
        "name": "Leicester railway station",
        "type": "transport_hub",
    }


async def test_by_person_of_concern_and_in_combination(client, town):
    people, made, ids = town
    manager = people["manager"]
    assert await _refs(client, manager, persons_of_concern=[str(ids["tee"])]) == _names(
        made, "station", "park"
    )
    assert await _refs(
        client, manager, indicator_categories=["cce"], place_types=["transport_hub"], last_days=28
    ) == _names(made, "station", "train")
    assert await _refs(
        client, manager, persons_of_concern=[str(ids["tee"])], areas=["leicestershire"]
    ) == _names(made, "park")
    # Scope still holds: the city CCE worker sees none of the county's.
    assert await _refs(client, people["city_cce"], persons_of_concern=[str(ids["tee"])]) == _names(
        made, "station"
    )


async def test_a_coordinator_searches_across_their_hubs_teams(client, town):
    people, made, _ = town
    assert await _refs(client, people["coordinator"]) == _names(made, "park", "bus")
    saved = await client.post(
        "/api/v1/saved-searches",
        json={
            "name": "County transport hubs",
            "query": {"place_types": ["transport_hub"]},
            "team": "county-cse",
        },
        headers=people["coordinator"].headers,
    )
    assert saved.status_code == 201, saved.text
    run = await client.post(
        f"/api/v1/saved-searches/{saved.json()['id']}/run", json={}, headers=people["manager"].headers
    )
    assert [i["reference"] for i in run.json()["items"]] == _names(
        made, "station", "bus", "train", "platform"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"places": [str(uuid.UUID(int=1))]}, "places.0"),
        ({"persons_of_concern": [str(uuid.UUID(int=2))]}, "persons_of_concern.0"),
        ({"place_types": ["castle"]}, "place_types.0"),
        ({"place_name": "x"}, "place_name"),
    ],
)
async def test_unknown_places_and_people_are_named(client, town, body, field):
    people, _, _ = town
    response = await client.post(QUERY, json=body, headers=people["manager"].headers)
    assert response.status_code == 422, response.text
    assert any(e["field"] == field or e["field"].endswith("." + field) for e in response.json()["errors"])


async def test_the_demo_saved_search_finds_last_months_cce_incidents_at_transport_hubs(client, settings, db):
    await load_demo(settings)
    await load_demo(settings)  # once only
    signed = await client.post("/api/v1/auth/token", data={"username": "day.cce", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    [saved] = (await client.get("/api/v1/saved-searches", headers=headers)).json()["items"]
    assert saved["query"] == {
        "indicator_categories": ["cce"],
        "place_types": ["transport_hub"],
        "last_days": 28,
    }
    run = await client.post(f"/api/v1/saved-searches/{saved['id']}/run", json={}, headers=headers)
    items = run.json()["items"]
    assert items, "the demo's railway station reports"
    assert {i["place"]["type"] for i in items} == {"transport_hub"}
    assert all(i["category"] in ("cce", "cse_cce") for i in items)
    async with db.session() as session:
        at_hubs = (
            (
                await session.execute(
                    select(Incident.reference)
                    .join(Place, Place.id == Incident.place_id)
                    .where(
                        Place.type == "transport_hub",
                        Incident.occurred_at >= datetime.now(UTC) - timedelta(days=28),
                    )
                )
            )
            .scalars()
            .all()
        )
    assert {i["reference"] for i in items} <= set(at_hubs)
