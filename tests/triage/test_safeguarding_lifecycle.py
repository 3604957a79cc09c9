"""The corrected clocks through HTTP on both databases: what intake starts, who is paged before
the handover, and how each clock may (and may not) be closed; the appropriate adult."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.jobs.models import Job
from tests import paging_helpers
from tests.handover_helpers import item_of, london, report_at
from tests.incident_payloads import report
from tests.paging_helpers import bounded, make_crew, paging_settings
from tests.support_helpers import assert_problem, attended_incident, offer_body, offer_url

BEFORE_HANDOVER = "clock_due_before_handover"


@pytest.fixture
async def day(world, make_user):
    return await make_user("day_team", teams_=["city-cce", "city-cse", "city-general"])


def _clock(item: dict, kind: str) -> dict:
    matches = [c for c in item["clocks"] if c["kind"] == kind]
    assert matches, f"no {kind} clock in {[c['kind'] for c in item['clocks']]}"
    return matches[-1]


def _kinds(item: dict) -> set[str]:
    return {c["kind"] for c in item["clocks"]}


async def _before_handover_jobs(db) -> list[Job]:
    async with db.session() as session:
        jobs = (await session.execute(select(Job).where(Job.kind == "page.managers"))).scalars()
        return [j for j in jobs if j.payload.get("reason") == BEFORE_HANDOVER]


def _reported_at(monkeypatch, at: datetime) -> None:
    """Intake runs as if police reported at `at` (the bank-holiday nights of the issue)."""
    monkeypatch.setattr("api.flows.intake.utcnow", lambda: at.astimezone(UTC))


# --- No clock falls due before someone can act ------------------------------------------------


@bounded(90)
async def test_police_protection_before_the_august_bank_holiday_pages_the_manager_at_once(
    client, db, world, make_user, settings, push, worker, monkeypatch
):
    paging_settings(settings, push)
    crew = await make_crew(client, db, world, make_user, push, team_slug="city-general")
    began = london(2026, 8, 28, 22, 30)  # the Friday before the late summer bank holiday
    reported = began + timedelta(minutes=20)
    _reported_at(monkeypatch, reported)
    created = await report_at(
        client,
        crew.police,
        began,
        kind="stop_conversation",
        indicators=[],
        custody_status=None,
        custody={"status": "police_protection", "police_protection_started_at": began.isoformat()},
    )
    assert created["priority"] == "P1"
    assert "P1: in police protection (Children Act 1989 s46)" in created["triage"]["reasons"]

    jobs = await _before_handover_jobs(db)
    paged = sorted((j.payload["clock_kind"], j.payload["due_at"]) for j in jobs)
    assert paged == sorted(
        [
            ("s46_strategy_discussion", (began + timedelta(hours=24)).astimezone(UTC).isoformat()),
            ("police_protection_72h", (began + timedelta(hours=72)).astimezone(UTC).isoformat()),
            ("s47_outcome", (began + timedelta(hours=72)).astimezone(UTC).isoformat()),
        ]
    )
    assert all(j.payload["urgency"] == "high" for j in jobs)
    # Monday 22:30 expiry, before Tuesday's handover: the missed statutory duty.
    assert (began + timedelta(hours=72)).astimezone(UTC) < london(2026, 9, 1, 9, 0).astimezone(UTC)

    await worker.drain(now=reported)
    alerts = [
        r
        for r in paging_helpers.received_by(push, crew.phones["manager"])
        if r.payload.get("alert") == BEFORE_HANDOVER
    ]
    assert sorted(a.payload["clock_kind"] for a in alerts) == sorted(
        ["s46_strategy_discussion", "police_protection_72h", "s47_outcome"]
    )
    for alert in alerts:
        assert alert.headers["Urgency"] == "high"
        assert alert.payload["reference"] == created["reference"] and alert.payload["due_at"]
        assert "Jordan" not in str(alert.payload) and "Reyes" not in str(alert.payload)


async def test_an_ordinary_weeknight_pages_no_manager(client, police, day, db, monkeypatch):
    found = london(2026, 6, 2, 20, 0)  # Tuesday: the RHI is due Friday, after Wednesday 09:00
    _reported_at(monkeypatch, found + timedelta(minutes=30))
    created = await report_at(client, police, found)
    assert "rhi_72h" in _kinds(await item_of(client, day, created["id"]))
    assert await _before_handover_jobs(db) == []


async def test_maundy_thursday_missing_return_pages_for_the_easter_sunday_rhi(
    client, police, day, db, monkeypatch
):
    found = london(2026, 4, 2, 20, 0)
    _reported_at(monkeypatch, found + timedelta(minutes=30))
    created = await report_at(client, police, found)
    [job] = await _before_handover_jobs(db)
    assert job.payload["clock_kind"] == "rhi_72h"
    assert job.payload["due_at"] == london(2026, 4, 5, 20, 0).astimezone(UTC).isoformat()
    assert job.payload["incident_id"] == created["id"]


# --- What intake starts -----------------------------------------------------------------------


async def test_a_child_found_and_held_in_custody_has_no_rhi_until_released(client, police, day):
    found = datetime.now(UTC) - timedelta(hours=3)
    held = await report_at(
        client,
        police,
        found,
        custody_status=None,
        custody={"status": "in_custody", "detained_at": found.isoformat()},
    )
    assert "rhi_72h" not in _kinds(await item_of(client, day, held["id"]))

    released = found + timedelta(hours=2)
    later = await report_at(
        client,
        police,
        found,
        first_name="Later",
        custody_status=None,
        custody={"status": "released", "released_at": released.isoformat()},
    )
    rhi = _clock(await item_of(client, day, later["id"]), "rhi_72h")
    assert datetime.fromisoformat(rhi["starts_at"]) == released

    home = released + timedelta(minutes=50)
    at_home = await report_at(
        client,
        police,
        found,
        first_name="Home",
        custody_status=None,
        custody={"status": "released", "released_at": released.isoformat()},
        returned_home_at=home.isoformat(),
    )
    rhi = _clock(await item_of(client, day, at_home["id"]), "rhi_72h")
    assert datetime.fromisoformat(rhi["starts_at"]) == home


async def test_an_arrest_while_missing_starts_the_rhi_and_counts_as_an_episode(client, police, day):
    await report_at(client, police, london(2026, 11, 20, 23, 0))
    await report_at(client, police, london(2026, 11, 22, 23, 0))
    plain_arrest = await report_at(client, police, london(2026, 11, 23, 1, 0), kind="arrest")
    assert not _kinds(await item_of(client, day, plain_arrest["id"])) & {"rhi_72h", "repeat_missing_review"}
    missing_arrest = await report_at(
        client, police, london(2026, 11, 24, 1, 0), kind="arrest", was_missing=True
    )
    kinds = _kinds(await item_of(client, day, missing_arrest["id"]))
    assert {"rhi_72h", "repeat_missing_review"} <= kinds


async def test_a_disclosed_sexual_assault_starts_the_health_offers(client, police, day):
    assault = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    created = await report_at(
        client,
        police,
        datetime.now(UTC) - timedelta(hours=1),
        kind="stop_conversation",
        indicators=[{"code": "HRM-SEXUAL-ASSAULT", "provenance": "disclosed"}],
        assault_at=assault.isoformat(),
    )
    assert created["priority"] == "P1"
    item = await item_of(client, day, created["id"], team="city-cse")
    for kind, hours in (("pepse", 72), ("emergency_contraception", 72), ("sarc_referral", 24 * 7)):
        clock = _clock(item, kind)
        assert datetime.fromisoformat(clock["starts_at"]) == assault, kind
        assert datetime.fromisoformat(clock["due_at"]) == assault + timedelta(hours=hours), kind

    future = await client.post(
        "/api/v1/incidents",
        json=report(assault_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()),
        headers=police.headers,
    )
    assert "assault_at" in {e["field"] for e in assert_problem(future, 422)["errors"]}


async def test_concealed_drugs_are_p1_with_the_hospital_prompt(client, police):
    created = await report_at(
        client,
        police,
        datetime.now(UTC) - timedelta(hours=1),
        kind="arrest",
        indicators=[{"code": "ITM-DRUGS-CONCEALED", "provenance": "observed"}],
    )
    assert created["priority"] == "P1"
    assert created["triage"]["prompts"] == ["Medical emergency: hospital (drugs concealed internally)"]


async def test_adults_only_as_care_leavers_and_never_with_child_only_clocks(client, police, day):
    nineteen = (datetime.now(UTC) - timedelta(days=365 * 19 + 10)).date().isoformat()
    person = {"first_name": "Casey", "last_name": "Lane", "date_of_birth": nineteen}
    refused = await client.post("/api/v1/incidents", json=report(young_person=person), headers=police.headers)
    fields = {e["field"] for e in assert_problem(refused, 422)["errors"]}
    assert {"young_person.date_of_birth", "young_person.legal_status"} <= fields

    began = datetime.now(UTC) - timedelta(hours=1)
    leaver = await report_at(
        client,
        police,
        began,
        young_person={**person, "legal_status": "care_leaver"},
        custody_status=None,
        custody={"status": "police_protection", "police_protection_started_at": began.isoformat()},
    )
    kinds = _kinds(await item_of(client, day, leaver["id"]))
    assert "handover" in kinds
    assert not kinds & {"rhi_72h", "police_protection_72h", "s46_strategy_discussion", "s47_outcome"}

    # No date of birth, looks 19: the age is not known, so treated as a child.
    unknown = await report_at(
        client,
        police,
        began,
        young_person={"first_name": "Unknown", "last_name": "Age", "apparent_age": 19},
    )
    assert "Age not known: treated as a child (Modern Slavery Act 2015 s51)" in unknown["triage"]["reasons"]
    assert "rhi_72h" in _kinds(await item_of(client, day, unknown["id"]))


# --- Closing clocks ---------------------------------------------------------------------------


async def test_the_s38_6_action_closes_only_with_a_lawful_outcome(client, police, day, make_user, world):
    manager = await make_user("manager", teams_=["city-cce"])
    created = await report_at(
        client,
        police,
        datetime.now(UTC) - timedelta(hours=1),
        kind="arrest",
        custody_status=None,
        custody={
            "status": "charged_refused_bail",
            "charged_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        },
        indicators=[{"code": "ITM-DRUGS-CASH", "provenance": "observed"}],
    )
    assert created["priority"] == "P1"
    clock = _clock(await item_of(client, day, created["id"]), "bail_refused_transfer")
    url = f"/api/v1/clocks/{clock['id']}/met"

    no_bed = await client.post(
        url,
        json={"outcome": "certified_impracticable", "ground": "no_accommodation_available"},
        headers=manager.headers,
    )
    problem = assert_problem(no_bed, 422)
    assert problem["errors"] == [
        {
            "field": "ground",
            "message": "lack of accommodation never makes a transfer impracticable "
            "(PACE Code C note 16D; Concordat on Children in Custody 2017)",
        }
    ]
    assert "outcome" in {
        e["field"] for e in assert_problem(await client.post(url, headers=manager.headers), 422)["errors"]
    }
    assert not _clock(await item_of(client, day, created["id"]), "bail_refused_transfer")["met"]

    weather = await client.post(
        url, json={"outcome": "certified_impracticable", "ground": "extreme_weather"}, headers=manager.headers
    )
    assert weather.status_code == 200, weather.text
    assert weather.json()["met"] and weather.json()["outcome"] == "certified_impracticable"
    assert weather.json()["detail"]["ground"] == "extreme_weather"


async def test_the_return_home_interview_lifecycle(client, police, day):
    created = await report_at(client, police, datetime.now(UTC) - timedelta(hours=2))
    clock = _clock(await item_of(client, day, created["id"]), "rhi_72h")
    base = f"/api/v1/clocks/{clock['id']}"

    # A return home conversation never meets it.
    conversation = await client.post(
        f"{base}/met", json={"outcome": "return_home_conversation"}, headers=day.headers
    )
    assert assert_problem(conversation, 422)["errors"][0]["message"] == (
        "a return home conversation does not meet the return home interview"
    )
    offered = await client.post(
        f"{base}/return-home-interview", json={"step": "offered", "by": "RHI service"}, headers=day.headers
    )
    assert offered.status_code == 200, offered.text
    assert offered.json()["met"] is False
    accepted = await client.post(
        f"{base}/return-home-interview", json={"step": "accepted"}, headers=day.headers
    )
    assert accepted.json()["met"] is False
    incomplete = await client.post(
        f"{base}/return-home-interview", json={"step": "completed", "by": "RHI service"}, headers=day.headers
    )
    assert [e["field"] for e in assert_problem(incomplete, 422)["errors"]] == ["independent"]
    done = await client.post(
        f"{base}/return-home-interview",
        json={"step": "completed", "by": "RHI service", "independent": True},
        headers=day.headers,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["met"] and body["outcome"] == "completed"
    assert [s["step"] for s in body["detail"]["steps"]] == ["offered", "accepted", "completed"]
    assert body["detail"]["steps"][-1]["independent"] is True
    again = await client.post(f"{base}/return-home-interview", json={"step": "declined"}, headers=day.headers)
    assert_problem(again, 409)

    declined_incident = await report_at(
        client, police, datetime.now(UTC) - timedelta(hours=2), first_name="Dee"
    )
    other = _clock(await item_of(client, day, declined_incident["id"]), "rhi_72h")
    declined = await client.post(
        f"/api/v1/clocks/{other['id']}/return-home-interview", json={"step": "declined"}, headers=day.headers
    )
    assert declined.json()["met"] and declined.json()["outcome"] == "declined"


async def test_a_support_offer_of_a_return_home_conversation_leaves_the_rhi_open(
    client, police, day, make_user
):
    worker_person = await make_user("worker", teams_=["city-cce"])
    created = await report_at(client, police, datetime.now(UTC) - timedelta(hours=1))
    ack = await client.post(
        f"/api/v1/incidents/{created['id']}/acknowledge",
        json={"action": "attending", "eta_minutes": 20},
        headers=worker_person.headers,
    )
    assert ack.status_code == 200, ack.text
    offer = await client.put(
        offer_url(created["id"], uuid.uuid4()),
        json=offer_body(kind="return_home_conversation", outcome="accepted"),
        headers=worker_person.headers,
    )
    assert offer.status_code == 201, offer.text
    assert _clock(await item_of(client, day, created["id"]), "rhi_72h")["met"] is False


async def test_the_s47_outcome_and_other_clocks(client, police, day):
    began = datetime.now(UTC) - timedelta(hours=1)
    created = await report_at(
        client,
        police,
        began,
        kind="stop_conversation",
        custody_status=None,
        custody={"status": "police_protection", "police_protection_started_at": began.isoformat()},
    )
    item = await item_of(client, day, created["id"])
    informed = _clock(item, "s46_la_informed")
    assert informed["met"] and informed["met_note"] == "Informed by the police report in Lantern"
    s47 = _clock(item, "s47_outcome")
    missing = await client.post(f"/api/v1/clocks/{s47['id']}/met", headers=day.headers)
    assert "outcome" in {e["field"] for e in assert_problem(missing, 422)["errors"]}
    ok = await client.post(
        f"/api/v1/clocks/{s47['id']}/met",
        json={"outcome": "initial_child_protection_conference"},
        headers=day.headers,
    )
    assert ok.status_code == 200 and ok.json()["outcome"] == "initial_child_protection_conference"
    strategy = _clock(item, "s46_strategy_discussion")
    wrong = await client.post(
        f"/api/v1/clocks/{strategy['id']}/met", json={"outcome": "transferred"}, headers=day.headers
    )
    assert_problem(wrong, 422)
    assert (await client.post(f"/api/v1/clocks/{strategy['id']}/met", headers=day.headers)).status_code == 200
    not_rhi = await client.post(
        f"/api/v1/clocks/{strategy['id']}/return-home-interview",
        json={"step": "offered"},
        headers=day.headers,
    )
    assert_problem(not_rhi, 422)


# --- Appropriate adult ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "outcome", "status"),
    [
        ("appropriate_adult", "declined", 422),
        ("appropriate_adult", "accepted", 422),
        ("appropriate_adult", "requested", 201),
        ("appropriate_adult", "attended", 201),
        ("appropriate_adult", "not_available", 201),
        ("safe_transport", "attended", 422),
        ("safe_transport", "declined", 201),
    ],
)
async def test_an_appropriate_adult_is_never_declined(client, world, make_user, db, kind, outcome, status):
    incident, worker_person, _ = await attended_incident(db, world, make_user)
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()),
        json=offer_body(kind=kind, outcome=outcome),
        headers=worker_person.headers,
    )
    assert response.status_code == status, response.text
    if status == 422:
        errors = assert_problem(response, 422)["errors"]
        assert "outcome" in {e["field"] for e in errors}
        if kind == "appropriate_adult" and outcome == "declined":
            assert any("cannot decline an appropriate adult" in e["message"] for e in errors)


async def test_the_offer_kinds_say_which_outcomes_they_take(client, world, make_user):
    worker_person = await make_user("worker", teams_=("city-cce",))
    kinds = {
        k["code"]: k
        for k in (await client.get("/api/v1/support-offer-kinds", headers=worker_person.headers)).json()
    }
    assert kinds["appropriate_adult"]["outcomes"] == ["requested", "attended", "not_available"]
    assert kinds["safe_transport"]["outcomes"] == ["accepted", "declined", "not_possible"]
