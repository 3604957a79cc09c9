"""Catalogue v3 over HTTP on both databases (issue 13): the catalogue served by version, intake
and updates accepting v2 codes during the transition and saying which version they applied,
older incidents read with their original labels, and the refusal once the period is over."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, update

from api.incidents.models import Incident, IncidentIndicator
from api.triage.catalogue import load_catalogue
from tests.handover_helpers import item_of
from tests.incident_payloads import report

OLD_PARTNER_LABEL = 'Older or controlling "partner" or associate'


@pytest.fixture
async def worker(world, make_user):
    return await make_user("worker", teams_=["city-cse", "city-cce"])


@pytest.fixture
async def day(world, make_user):
    return await make_user("day_team", teams_=["city-cse", "city-cce"])


async def _rows(db, incident_id: str) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(IncidentIndicator.code, IncidentIndicator.catalogue_version).where(
                IncidentIndicator.incident_id == uuid.UUID(incident_id)
            )
        )
        return {code: version for code, version in rows}


async def test_the_catalogue_is_served_current_by_default_and_older_versions_on_request(client, custody):
    current = await client.get("/api/v1/indicators", headers=custody.headers)
    assert current.status_code == 200
    codes = {i["code"] for i in current.json()}
    assert "MOV-CUCKOOING" in codes and "REL-OLDER-PARTNER" not in codes
    v1 = (await client.get("/api/v1/indicators", params={"version": 1}, headers=custody.headers)).json()
    assert len(v1) == 26
    assert {i["code"]: i["label"] for i in v1}["REL-OLDER-PARTNER"] == OLD_PARTNER_LABEL
    missing = await client.get("/api/v1/indicators", params={"version": 9}, headers=custody.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    versions = (await client.get("/api/v1/indicators/versions", headers=custody.headers)).json()
    assert [(v["version"], v["current"]) for v in versions] == [(3, True), (2, False), (1, False)]
    assert versions[0]["accepted_until"] is None
    assert versions[1]["accepted_until"] == load_catalogue().accepted_until[2].isoformat()
    retired = {d["code"]: d for d in versions[0]["deprecated"]}
    assert retired["REL-OLDER-PARTNER"]["replaced_by"] == "REL-CONTROLLING-ADULT"
    assert retired["REL-OLDER-PARTNER"]["label"] == OLD_PARTNER_LABEL
    assert retired["BEH-SECRETIVE"]["replaced_by"] is None


async def test_intake_accepts_v2_codes_in_the_transition_and_says_what_it_applied(client, db, custody):
    body = report(
        indicators=[
            {"code": "REL-OLDER-PARTNER", "provenance": "disclosed"},
            {"code": "BEH-SECRETIVE", "provenance": "concern"},
            {"code": "MOV-CUCKOOING", "provenance": "observed"},
        ]
    )
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    applied = created["catalogue"]
    assert applied["version"] == 3
    assert [(t["sent"], t["recorded"]) for t in applied["translated"]] == [
        ("REL-OLDER-PARTNER", "REL-CONTROLLING-ADULT")
    ]
    assert [(k["code"], k["catalogue_version"]) for k in applied["kept"]] == [("BEH-SECRETIVE", 2)]
    assert await _rows(db, created["id"]) == {
        "REL-CONTROLLING-ADULT": 3,
        "BEH-SECRETIVE": 2,
        "MOV-CUCKOOING": 3,
    }
    # Triage read the kept code in its own version: quoted by its label, not as unknown.
    reasons = created["triage"]["reasons"]
    assert any("(BEH-SECRETIVE, concern)" in r for r in reasons)
    assert not any("not in the catalogue" in r for r in reasons)

    # A current-only report says v3 and translates nothing.
    plain = await client.post("/api/v1/incidents", json=report(), headers=custody.headers)
    assert plain.json()["catalogue"] == {"version": 3, "translated": [], "kept": []}


async def test_after_the_transition_old_codes_are_refused_and_nothing_is_written(
    client, db, custody, monkeypatch
):
    monkeypatch.setitem(load_catalogue().accepted_until, 2, date(2020, 1, 1))
    monkeypatch.setitem(load_catalogue().accepted_until, 1, date(2020, 1, 1))
    body = report(indicators=[{"code": "MOV-OUT-OF-AREA"}, {"code": "REL-OLDER-PARTNER"}])
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["indicators.1.code"]
    assert "use REL-CONTROLLING-ADULT" in problem["errors"][0]["message"]
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Incident))).scalar_one() == 0


async def test_a_v1_incident_keeps_its_labels_in_the_detail_and_the_handover(
    client, db, custody, worker, day
):
    created = (
        await client.post(
            "/api/v1/incidents",
            json=report(indicators=[{"code": "REL-CONTROLLING-ADULT", "provenance": "disclosed"}]),
            headers=custody.headers,
        )
    ).json()
    # As if recorded before v3: the row holds v1's code and version.
    async with db.session() as session:
        await session.execute(
            update(IncidentIndicator)
            .where(IncidentIndicator.incident_id == uuid.UUID(created["id"]))
            .values(code="REL-OLDER-PARTNER", catalogue_version=1)
        )
        await session.commit()
    detail = (await client.get(f"/api/v1/incidents/{created['id']}", headers=worker.headers)).json()
    [indicator] = detail["indicators"]
    assert (indicator["code"], indicator["label"], indicator["catalogue_version"]) == (
        "REL-OLDER-PARTNER",
        OLD_PARTNER_LABEL,
        1,
    )
    # Searching by the current code finds the incident recorded with the code it replaced.
    found = await client.get(
        "/api/v1/incidents", params={"indicator": "REL-CONTROLLING-ADULT"}, headers=worker.headers
    )
    assert [i["id"] for i in found.json()["items"]] == [created["id"]]
    item = await item_of(client, day, created["id"], team="city-cse")
    handover = (await client.get(f"/api/v1/handover/{item['id']}", headers=day.headers)).json()
    assert OLD_PARTNER_LABEL in str(handover)

    # A worker's disclosure with a v2 code re-triages; the old row is still read in v1.
    version = (await client.get(f"/api/v1/incidents/{created['id']}/status", headers=custody.headers)).json()[
        "version"
    ]
    patched = await client.patch(
        f"/api/v1/incidents/{created['id']}",
        json={"indicators": [{"code": "HRM-DISCLOSED-ASSAULT"}]},
        headers={**worker.headers, "If-Match": f'"{version}"'},
    )
    assert patched.status_code == 200, patched.text
    answer = patched.json()
    assert answer["catalogue"]["translated"][0]["recorded"] == "HRM-ASSAULT-DISCLOSED"
    assert answer["priority"] == "P1"
    assert any("REL-OLDER-PARTNER" in r for r in answer["triage"]["reasons"])
    assert await _rows(db, created["id"]) == {"REL-OLDER-PARTNER": 1, "HRM-ASSAULT-DISCLOSED": 3}


async def test_an_assault_by_people_supplying_drugs_is_paged_to_cce_not_cse(client, custody):
    body = report(
        kind="arrest",
        indicators=[
            {"code": "HRM-ASSAULT-DISCLOSED", "provenance": "disclosed"},
            {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
        ],
    )
    created = (await client.post("/api/v1/incidents", json=body, headers=custody.headers)).json()
    assert [t["slug"] for t in created["teams"]] == ["city-cce"]
    assert created["priority"] == "P1"
    assert (
        "Routed by its context: HRM-ASSAULT-DISCLOSED goes with the CCE indicators"
        in (created["triage"]["reasons"])
    )
