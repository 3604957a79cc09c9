"""Equality monitoring and the managers' disproportionality view (issue 13), over HTTP on both
databases: ethnicity and sex set by case roles (audited, scoped), never read by triage; counts
per quarter by ethnic group and sex, small numbers suppressed, managers only, audited."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import select, update

from api.audit.models import AuditEvent
from api.incidents.models import Incident
from api.monitoring.suppression import recoverable
from api.people.models import YoungPerson
from api.people.monitoring import ETHNICITIES, ETHNICITY_CODES, SEX_CODES, SEXES, Ethnicity, Sex
from api.triage.rules import TriageCase
from tests.incident_payloads import report

NAMES = ["Ava", "Ben", "Cal", "Dee", "Eli", "Fay", "Gus"]


@pytest.fixture
async def worker(world, make_user):
    return await make_user("worker", teams_=["city-cce"])


async def _report(client, custody, first_name: str, **overrides) -> dict:
    young_person = {"first_name": first_name, "last_name": "Test", "date_of_birth": "2011-04-02"}
    response = await client.post(
        "/api/v1/incidents", json=report(young_person=young_person, **overrides), headers=custody.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _person_of(db, incident_id: str) -> uuid.UUID:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).young_person_id


async def _set(db, person_id: uuid.UUID, ethnicity: str | None, sex: str | None) -> None:
    async with db.session() as session:
        await session.execute(
            update(YoungPerson).where(YoungPerson.id == person_id).values(ethnicity=ethnicity, sex=sex)
        )
        await session.commit()


def test_the_categories_are_the_ons_2021_ones_and_match_the_request_types():
    from typing import get_args

    assert get_args(Ethnicity) == ETHNICITY_CODES
    assert get_args(Sex) == SEX_CODES
    assert len([c for c in ETHNICITIES if c.group not in ("not_recorded", "declined")]) == 19
    assert {c.group for c in ETHNICITIES} == {
        "asian",
        "black",
        "mixed",
        "white",
        "other",
        "not_recorded",
        "declined",
    }
    assert [s.code for s in SEXES] == ["female", "male", "not_recorded", "declined"]


def test_triage_has_no_field_for_ethnicity_or_sex():
    names = {f.name for f in dataclasses.fields(TriageCase)}
    assert not {n for n in names if "ethnic" in n or n in ("sex", "gender")}


async def test_triage_ignores_ethnicity_and_sex(client, db, custody):
    # Two children alike in everything triage reads; one has ethnicity and sex recorded.
    first_a = await _report(client, custody, "Ava")
    first_b = await _report(client, custody, "Ben")
    await _set(db, await _person_of(db, first_a["id"]), "black_caribbean", "male")
    await _set(db, await _person_of(db, first_b["id"]), None, None)
    again_a = await _report(client, custody, "Ava")
    again_b = await _report(client, custody, "Ben")
    assert await _person_of(db, again_a["id"]) == await _person_of(db, first_a["id"])  # the same child
    for a, b in ((again_a, again_b), (again_a, first_a)):
        assert (a["priority"], a["teams"], a["triage"]) == (b["priority"], b["teams"], b["triage"])


async def test_case_roles_set_monitoring_audited_without_values(client, db, custody, worker, make_user):
    created = await _report(client, custody, "Cal")
    person_id = await _person_of(db, created["id"])
    url = f"/api/v1/young-people/{person_id}/monitoring"
    response = await client.put(
        url, json={"ethnicity": "mixed_white_asian", "sex": "female"}, headers=worker.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ethnicity"], body["ethnic_group"], body["sex"]) == ("mixed_white_asian", "mixed", "female")
    assert body["ethnicity_label"] == "White and Asian"
    seen = (await client.get(f"/api/v1/young-people/{person_id}", headers=worker.headers)).json()
    assert (seen["ethnicity"], seen["sex"]) == ("mixed_white_asian", "female")

    declined = await client.put(url, json={"ethnicity": "declined"}, headers=worker.headers)
    assert declined.json()["sex"] == "not_recorded"

    bad = await client.put(url, json={"ethnicity": "martian", "sex": "x"}, headers=worker.headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"ethnicity", "sex"}

    other = await make_user("worker", teams_=["county-cce"])
    assert (await client.put(url, json={"sex": "male"}, headers=other.headers)).status_code == 404
    assert (await client.put(url, json={"sex": "male"}, headers=custody.headers)).status_code == 403
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        assert (person.ethnicity, person.sex) == ("declined", "not_recorded")
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "young_person.monitoring.update")
                )
            )
            .scalars()
            .all()
        )
    assert [e.detail["changed"] for e in events] == [["ethnicity", "sex"], ["ethnicity", "sex"]]
    assert all(e.young_person_id == person_id for e in events)
    assert "mixed" not in str([e.detail for e in events]) and "female" not in str([e.detail for e in events])


async def test_the_view_counts_by_group_and_suppresses_small_numbers(client, db, custody, manager, make_user):
    # Five white boys, one Black girl, one Asian girl; every incident P2 with out-of-area travel.
    groups = [("white_british", "male")] * 5 + [("black_african", "female"), ("asian_indian", "female")]
    for name, (ethnicity, sex) in zip(NAMES, groups, strict=True):
        created = await _report(client, custody, name)
        await _set(db, await _person_of(db, created["id"]), ethnicity, sex)

    response = await client.get(
        "/api/v1/monitoring/disproportionality",
        params={"quarters": 2, "indicator": ["MOV-OUT-OF-AREA", "REL-CONTROLLING-ADULT"]},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    view = response.json()
    assert len(view["quarters"]) == 2
    now = view["quarters"][-1]
    rows = {(r["measure"], r["key"]): r for r in now["rows"]}
    incidents = rows[("incidents", "")]
    assert incidents["total"] == 7
    assert incidents["ethnicity"]["white"] == 5  # five is shown
    assert incidents["ethnicity"]["black"] == "<5" and incidents["ethnicity"]["asian"] == "<5"
    assert incidents["ethnicity"]["mixed"] == 0  # zero names nobody
    # Two girls: "<5"; so 7 - 5 boys would give them back: the boys are hidden too.
    assert incidents["sex"] == {"female": "<5", "male": "<5", "not_recorded": 0, "declined": 0}
    assert rows[("priority", "P2")]["total"] == 7
    assert rows[("priority", "P1")]["total"] == 0
    assert rows[("custody", "released")]["total"] == 7
    assert rows[("indicator", "MOV-OUT-OF-AREA")]["ethnicity"]["white"] == 5
    assert rows[("indicator", "REL-CONTROLLING-ADULT")]["total"] == 0
    assert [i["counts_also"] for i in view["indicators"]] == [[], ["REL-OLDER-PARTNER"]]
    assert "<5" in view["suppression"]
    # The earlier quarter is empty, and shown as zeros.
    assert view["quarters"][0]["rows"][0]["total"] == 0

    # No hidden count comes back by subtraction from any total the view shows.
    cells, truth, lines = {}, {}, []
    true_counts = {"white": 5, "black": 1, "asian": 1, "female": 2, "male": 5}
    for key in ("ethnicity", "sex"):
        line = []
        for category, value in incidents[key].items():
            cells[(key, category)] = value
            truth[(key, category)] = true_counts.get(category, 0)
            line.append((key, category))
        lines.append([*line, ("total", "")])
    cells[("total", "")] = truth[("total", "")] = 7
    assert recoverable(cells, truth, lines) == set()

    # Another team's manager sees none of these incidents.
    county = await make_user("manager", teams_=["county-cce"])
    theirs = (
        await client.get(
            "/api/v1/monitoring/disproportionality", params={"quarters": 1}, headers=county.headers
        )
    ).json()
    assert theirs["quarters"][0]["rows"][0]["total"] == 0

    async with db.session() as session:
        reads = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "monitoring.disproportionality.read")
                )
            )
            .scalars()
            .all()
        )
    assert [e.actor_id for e in reads] == [manager.id, county.id]


async def test_managers_only_and_unknown_indicators_refused(client, custody, manager, worker, make_user):
    url = "/api/v1/monitoring/disproportionality"
    day = await make_user("day_team", teams_=["city-cce"])
    admin = await make_user("admin")
    for person in (custody, worker, day, admin):
        assert (await client.get(url, headers=person.headers)).status_code == 403
    bad = await client.get(url, params={"indicator": ["NOT-A-CODE"]}, headers=manager.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "indicator.0"
    assert (await client.get(url, params={"quarters": 13}, headers=manager.headers)).status_code == 422
