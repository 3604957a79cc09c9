"""Every date and time in a request has a window; outside it, 422 naming the field and nothing
stored (issue 10, finding 3).

Before, year 1 and year 9999 reached date arithmetic and answered 500 (OverflowError), and an
`occurred_at` of 1970 was stored and paged. Each route that takes a date or a time is driven
with extreme values here, on both databases. The windows are in api/timewindows.py and the
README's "Input limits".
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.incidents.models import Incident
from api.jobs.models import Job
from api.paging.models import Page
from api.people.models import YoungPerson
from api.rota.models import OverrideShift, Rotation
from api.support.models import SupportOffer
from api.timewindows import WINDOWS
from tests.conftest import one_database
from tests.incident_payloads import report
from tests.support_helpers import attended_incident, offer_body, offer_url

EXTREME_INSTANTS = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",  # its UTC form would be in year 0
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00",  # its UTC form would be in year 10000
    "1970-01-01T00:00:00Z",
    "2100-01-01T00:00:00+00:00",
]
EXTREME_WALL_TIMES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1970-01-01T00:00:00"]
EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1970-01-01", "2100-01-01"]


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert field in {e["field"] for e in body["errors"]}, body
    assert field in body["detail"]


def _ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# -- intake --------------------------------------------------------------------------------------
# An intake instant outside its window is refused by the request's schema before any handler runs,
# so those tests run on one database (`one_database`); what is accepted and stored, on both.


@pytest.mark.parametrize("value", EXTREME_INSTANTS)
@one_database
async def test_intake_refuses_an_occurred_at_outside_its_window(client, db, police, value):
    response = await client.post("/api/v1/incidents", json=report(occurred_at=value), headers=police.headers)
    assert_refused(response, "occurred_at")
    for model in (Incident, YoungPerson, Page, Job):
        assert await _count(db, model) == 0, model


@pytest.mark.parametrize("field", ["detained_at", "police_protection_started_at"])
@pytest.mark.parametrize("value", EXTREME_INSTANTS)
@one_database
async def test_intake_refuses_custody_times_outside_their_window(client, db, police, field, value):
    body = report(custody={"status": "in_custody", field: value})
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert_refused(response, f"custody.{field}")
    assert await _count(db, Incident) == 0


@pytest.mark.parametrize("value", EXTREME_DAYS)
@one_database
async def test_intake_refuses_a_date_of_birth_outside_its_window(client, db, police, value):
    body = report(young_person={"first_name": "Kai", "last_name": "Young", "date_of_birth": value})
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert_refused(response, "young_person.date_of_birth")
    assert await _count(db, Incident) == 0


@one_database
async def test_an_incident_of_1970_pages_nobody(client, db, police):
    response = await client.post(
        "/api/v1/incidents", json=report(occurred_at="1970-01-01T00:00:00+00:00"), headers=police.headers
    )
    assert_refused(response, "occurred_at")
    assert await _count(db, Page) == 0 and await _count(db, Job) == 0


async def test_intake_accepts_times_inside_the_windows(client, db, police):
    body = report(
        occurred_at=_ago(days=300),
        custody={"status": "in_custody", "detained_at": _ago(days=300, minutes=30)},
    )
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    response = await client.post("/api/v1/incidents", json=report(occurred_at=soon), headers=police.headers)
    assert response.status_code == 201, response.text


# -- support offers --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*EXTREME_INSTANTS, "ago:15d", "ahead:3d"])
async def test_support_offer_outside_its_window_is_refused(client, db, world, make_user, value):
    incident, worker, _ = await attended_incident(db, world, make_user)
    if value.startswith("ago:"):
        value = _ago(days=15)
    elif value.startswith("ahead:"):
        value = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    response = await client.put(
        offer_url(incident.id, uuid.uuid4()), json=offer_body(offered_at=value), headers=worker.headers
    )
    assert_refused(response, "offered_at")
    assert await _count(db, SupportOffer) == 0


async def test_support_offer_inside_its_window_is_stored(client, db, world, make_user):
    incident, worker, _ = await attended_incident(db, world, make_user)
    for offered_at in (_ago(days=13), (datetime.now(UTC) + timedelta(days=1)).isoformat()):
        response = await client.put(
            offer_url(incident.id, uuid.uuid4()),
            json=offer_body(offered_at=offered_at),
            headers=worker.headers,
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
async def test_sync_rejects_an_offer_outside_its_window_and_stores_nothing(
    client, db, world, make_user, value
):
    incident, worker, _ = await attended_incident(db, world, make_user)
    item = {
        "type": "support_offer",
        "incident_id": str(incident.id),
        "offer_id": str(uuid.uuid4()),
        "body": offer_body(offered_at=value),
    }
    response = await client.post("/api/v1/sync", json={"items": [item]}, headers=worker.headers)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["status"], result["status_code"]) == ("rejected", 422)
    assert "body.offered_at" in {e["field"] for e in result["errors"]}
    assert await _count(db, SupportOffer) == 0


# -- handover reports ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["report", "report.csv", "report.pdf"])
@pytest.mark.parametrize("night", [*EXTREME_DAYS, "tomorrow+1"])
async def test_report_night_outside_the_retention_window_is_refused(
    client, db, world, make_user, route, night
):
    day = await make_user("day_team", teams_=["city-cce"])
    if night == "tomorrow+1":
        night = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    response = await client.get(
        f"/api/v1/handover/{route}", params={"team": "city-cce", "night": night}, headers=day.headers
    )
    assert_refused(response, "night")
    assert await _count(db, AuditEvent) == 0  # no download was recorded


async def test_report_of_last_night_is_still_served(client, world, make_user):
    day = await make_user("day_team", teams_=["city-cce"])
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    response = await client.get(
        "/api/v1/handover/report.csv", params={"team": "city-cce", "night": yesterday}, headers=day.headers
    )
    assert response.status_code == 200, response.text


# -- rota --------------------------------------------------------------------------------------------


@pytest.fixture
async def rota_people(world, make_user):
    manager = await make_user("manager", teams_=["city-cce"])
    worker = await make_user("worker", teams_=["city-cce"])
    return world.teams["city-cce"], manager, worker


@pytest.mark.parametrize("value", EXTREME_INSTANTS[:4] + ["2040-01-01T00:00:00Z"])
async def test_on_call_at_outside_its_window_is_refused(client, rota_people, value):
    team, _, worker = rota_people
    response = await client.get(
        f"/api/v1/teams/{team.id}/on-call", params={"at": value}, headers=worker.headers
    )
    assert_refused(response, "at")


@pytest.mark.parametrize("param", ["from", "to"])
@pytest.mark.parametrize("value", EXTREME_INSTANTS[:4])
async def test_shift_list_bounds_outside_their_window_are_refused(client, rota_people, param, value):
    team, _, worker = rota_people
    response = await client.get(
        f"/api/v1/teams/{team.id}/shifts", params={param: value}, headers=worker.headers
    )
    assert_refused(response, param)


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("value", EXTREME_INSTANTS[:4])
async def test_override_shift_outside_its_window_is_refused(client, db, rota_people, field, value):
    team, manager, worker = rota_people
    now = datetime.now(UTC)
    body = {
        "user_id": str(worker.id),
        "level": "primary",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=8)).isoformat(),
        field: value,
    }
    response = await client.post(f"/api/v1/teams/{team.id}/shifts", json=body, headers=manager.headers)
    assert_refused(response, field)
    assert await _count(db, OverrideShift) == 0


@pytest.mark.parametrize("field", ["start_local", "ends_local"])
@pytest.mark.parametrize("value", EXTREME_WALL_TIMES)
async def test_rotation_wall_times_outside_their_window_are_refused(client, db, rota_people, field, value):
    team, manager, worker = rota_people
    body = {
        "name": "Nights",
        "level": "primary",
        "members": [str(worker.id)],
        "start_local": "2026-03-20T17:00:00",
        "length_hours": 24,
        field: value,
    }
    response = await client.post(f"/api/v1/teams/{team.id}/rotations", json=body, headers=manager.headers)
    assert_refused(response, field)
    assert await _count(db, Rotation) == 0


# -- incident lists and searches ---------------------------------------------------------------------


@pytest.mark.parametrize("param", ["from", "to"])
@pytest.mark.parametrize("value", EXTREME_INSTANTS[:4])
async def test_incident_list_and_search_bounds_outside_their_window_are_refused(
    client, world, make_user, param, value
):
    manager = await make_user("manager", teams_=["city-cce"])
    listed = await client.get("/api/v1/incidents", params={param: value}, headers=manager.headers)
    assert_refused(listed, param)
    searched = await client.post("/api/v1/incidents/search", json={param: value}, headers=manager.headers)
    assert_refused(searched, param)


# -- the table in the README says what the code does --------------------------------------------------


def test_readme_documents_every_window():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "## Input limits" in readme
    section = readme.split("## Input limits", 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    for name, window in WINDOWS:
        assert name in section, name
        assert window.describe in section, window.describe
