"""Police report incidents; Lantern triages, routes and records them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.incidents.models import Incident, IncidentIndicator, TimelineEvent
from api.people.models import PossibleMatch, YoungPerson
from tests.incident_payloads import report


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize(
    ("kind", "indicators", "expected_teams", "expected_priority"),
    [
        ("missing_return", [{"code": "MOV-OUT-OF-AREA"}], ["city-cce"], "P2"),
        (
            "arrest",
            [{"code": "REL-CONTROLLING-ADULT", "provenance": "intelligence"}, {"code": "ITM-DRUGS-CASH"}],
            ["city-cse", "city-cce"],
            "P2",
        ),
        ("stop_conversation", [{"code": "BEH-WITHDRAWN", "provenance": "concern"}], ["city-general"], "P3"),
    ],
)
async def test_each_kind_is_triaged_with_reasons(
    client, custody, kind, indicators, expected_teams, expected_priority
):
    body = report(
        kind=kind,
        indicators=indicators,
        young_person={"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2009-01-01"},
    )
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["reference"].startswith(f"LAN-{datetime.now(UTC).year}-")
    assert [t["slug"] for t in created["teams"]] == expected_teams
    assert created["priority"] == expected_priority
    assert created["triage"]["reasons"], "triage must say why"
    assert any("Leicester City" in r for r in created["triage"]["reasons"])


async def test_under_13_is_p1_and_the_reason_says_so(client, custody):
    dob = (datetime.now(UTC) - timedelta(days=365 * 11)).date().isoformat()
    body = report(young_person={"first_name": "Kai", "last_name": "Young", "date_of_birth": dob})
    created = (await client.post("/api/v1/incidents", json=body, headers=custody.headers)).json()
    assert created["priority"] == "P1"
    assert any("under 13" in r for r in created["triage"]["reasons"])


async def test_area_falls_back_to_responsible_authority_then_station(client, custody, world, make_user):
    body = report(
        location={"description": "Somewhere on the A6"},
        young_person={"first_name": "Ava", "last_name": "Stone", "responsible_area": "rutland"},
    )
    created = (await client.post("/api/v1/incidents", json=body, headers=custody.headers)).json()
    assert [t["slug"] for t in created["teams"]] == ["rutland-cce"]
    body = report(
        location={"description": "Somewhere on the A6"},
        young_person={"first_name": "Ava", "last_name": "Stone2"},
    )
    created = (await client.post("/api/v1/incidents", json=body, headers=custody.headers)).json()
    assert [t["slug"] for t in created["teams"]] == ["city-cce"]  # Euston St is in the city


async def test_no_team_in_the_area_is_flagged_for_managers_never_dropped(client, custody, db, world):
    async with db.session() as session:
        for slug in ("rutland-cse", "rutland-cce", "rutland-general"):
            team = await session.get(type(world.teams[slug]), world.teams[slug].id)
            team.active = False
    body = report(location={"description": "Oakham market", "area": "rutland"})
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 201
    assert response.json()["teams"] == []
    assert response.json()["needs_manager_review"] is True
    async with db.session() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
        assert incident.needs_manager_review
        actions = [e.action for e in (await session.execute(select(TimelineEvent))).scalars()]
    assert "incident.flagged_for_managers" in actions


async def test_everything_is_stored_with_provenance_and_timeline(client, custody, db):
    body = report(
        indicators=[
            {"code": "HRM-FEAR-REPRISAL", "provenance": "disclosed"},
            {"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"},
        ],
        custody={
            "status": "in_custody",
            "appropriate_adult_present": True,
            "detained_at": datetime.now(UTC).isoformat(),
        },
        people_present=[{"role": "peer", "description": "older male, 'Tiny'"}],
    )
    body.pop("custody_status")
    created = (await client.post("/api/v1/incidents", json=body, headers=custody.headers)).json()
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(created["id"]))
        assert incident.custody["appropriate_adult_present"] is True
        assert incident.detained_at is not None
        assert incident.people_present[0]["role"] == "peer"
        rows = (await session.execute(select(IncidentIndicator))).scalars().all()
        assert {(r.code, r.provenance) for r in rows} == {
            ("HRM-FEAR-REPRISAL", "disclosed"),
            ("ITM-MULTIPLE-PHONES", "observed"),
        }
        actions = [e.action for e in (await session.execute(select(TimelineEvent))).scalars()]
    assert "incident.reported" in actions and "incident.triaged" in actions
    assert created["priority"] == "P1"  # disclosed harm


async def test_young_person_matching(client, custody, db):
    yp = {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"}
    await client.post("/api/v1/incidents", json=report(young_person=yp), headers=custody.headers)
    await client.post(
        "/api/v1/incidents",
        json=report(young_person={**yp, "first_name": " jordan "}),
        headers=custody.headers,
    )
    assert await _count(db, YoungPerson) == 1  # normalised name + date of birth
    await client.post(
        "/api/v1/incidents",
        json=report(young_person={**yp, "date_of_birth": "2011-05-02"}),
        headers=custody.headers,
    )
    assert await _count(db, YoungPerson) == 2  # never merged on a partial match...
    assert await _count(db, PossibleMatch) == 1  # ...but recorded for a person to confirm
    ref = {"first_name": "J", "last_name": "R", "la_reference": "LCC-778"}
    await client.post("/api/v1/incidents", json=report(young_person=ref), headers=custody.headers)
    await client.post(
        "/api/v1/incidents", json=report(young_person={**ref, "first_name": "Jay"}), headers=custody.headers
    )
    assert await _count(db, YoungPerson) == 3  # the LA reference matched exactly


async def test_idempotent_replay_returns_the_first_answer(client, custody, db):
    headers = {**custody.headers, "Idempotency-Key": "phone-record-1"}
    body = report()
    first = await client.post("/api/v1/incidents", json=body, headers=headers)
    again = await client.post("/api/v1/incidents", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert await _count(db, Incident) == 1
    other = await client.post("/api/v1/incidents", json=report(kind="arrest"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await _count(db, Incident) == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"indicators": [{"code": "NOPE-1"}]}, {"indicators.0.code"}),
        ({"kind": "burglary"}, {"kind"}),
        ({"occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, {"occurred_at"}),
        ({"occurred_at": "2026-11-30T01:40:00"}, {"occurred_at"}),
        ({"young_person": {"first_name": "", "last_name": "X"}}, {"young_person.first_name"}),
        ({"circumstances": "x" * 4001}, {"circumstances"}),
        (
            {"young_person": {"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01"}},
            {"young_person.date_of_birth"},
        ),
        (
            {"young_person": {"first_name": "A", "last_name": "B", "date_of_birth": "2099-01-01"}},
            {"young_person.date_of_birth"},
        ),
        ({"police_station": "atlantis"}, {"police_station"}),
        ({"location": {"description": "x", "area": "mars"}}, {"location.area"}),
        (
            {"indicators": [{"code": "NOPE-1"}], "police_station": "atlantis"},
            {"indicators.0.code", "police_station"},
        ),
        ({"shoe_size": 9}, {"shoe_size"}),
    ],
)
async def test_bad_input_names_each_field_and_writes_nothing(client, custody, db, change, fields):
    response = await client.post("/api/v1/incidents", json=report(**change), headers=custody.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in response.json()["errors"]} == fields
    assert await _count(db, Incident) == 0
    assert await _count(db, YoungPerson) == 0


async def test_police_report_only_for_their_own_station(client, world, make_user, db):
    lboro = await make_user("police", station="loughborough")
    response = await client.post("/api/v1/incidents", json=report(), headers=lboro.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "police_station"


async def test_only_police_create_incidents(client, world, make_user):
    for role in ("worker", "day_team", "manager", "admin"):
        person = await make_user(role, teams_=["city-cce"])
        response = await client.post("/api/v1/incidents", json=report(), headers=person.headers)
        assert response.status_code == 403, role


async def test_concurrent_intakes_get_distinct_references(client, custody, test_database, db):
    n = 50 if test_database.kind == "postgres" else 15
    responses = await asyncio.gather(
        *[client.post("/api/v1/incidents", json=report(), headers=custody.headers) for _ in range(n)]
    )
    assert [r.status_code for r in responses] == [201] * n
    references = {r.json()["reference"] for r in responses}
    assert len(references) == n
    assert await _count(db, Incident) == n


async def test_concurrent_replays_of_one_key_create_one_incident(client, custody, db):
    headers = {**custody.headers, "Idempotency-Key": "same-key"}
    body = report()
    responses = await asyncio.gather(
        *[client.post("/api/v1/incidents", json=body, headers=headers) for _ in range(10)]
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _count(db, Incident) == 1


async def test_creating_is_audited(client, custody, db):
    created = (await client.post("/api/v1/incidents", json=report(), headers=custody.headers)).json()
    async with db.session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "incident.create")))
            .scalars()
            .all()
        )
    assert [str(e.resource_id) for e in events] == [created["id"]]
    assert events[0].young_person_id is not None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("محمد", "العلي"), ("عائشہ", "خان")),  # Arabic and Urdu
        (("પ્રિયા", "પટેલ"), ("પ્રયા", "પટલ")),  # Gujarati: the vowel signs tell them apart
        (("Łukasz", "Świątek"), ("Lukas", "Swiatek")),
    ],
)
async def test_names_in_every_script_never_merge_different_children(client, custody, db, one, other):
    """Two children born the same day are one record only if their names match."""
    dob = "2011-04-02"
    for first, last in (one, other):
        yp = {"first_name": first, "last_name": last, "date_of_birth": dob}
        created = await client.post(
            "/api/v1/incidents", json=report(young_person=yp), headers=custody.headers
        )
        assert created.status_code == 201, created.text
    assert await _count(db, YoungPerson) == 2
    # ...and the same name typed again (other case, no accents for Latin) is the same child.
    first, last = one
    again = {"first_name": first.upper(), "last_name": last, "date_of_birth": dob}
    if first == "Łukasz":
        again = {"first_name": "LUKASZ", "last_name": "swiatek", "date_of_birth": dob}
    created = await client.post("/api/v1/incidents", json=report(young_person=again), headers=custody.headers)
    assert created.status_code == 201
    assert await _count(db, YoungPerson) == 2
