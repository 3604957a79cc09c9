"""Partners (residential homes, schools, detached youth workers) report a concern about a place or a
peer group: it reaches the area's hub queue, pages the hub only when triage makes it P1, and the
partner sees only what they reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.demo import DEMO_PASSWORD, load_demo
from api.jobs.models import Job
from api.paging.partner_pages import CONCERN_JOB
from tests.incident_payloads import report
from tests.paging_helpers import bounded, make_crew, paging_settings

CONCERNS = "/api/v1/partner-concerns"


def park(**overrides):
    body = {
        "organisation": "residential_home",
        "about": "place",
        "area": "leicestershire",
        "location": "Southfields Park, Loughborough: the bandstand after dark",
        "indicators": [{"code": "REL-KNOWN-EXPLOITERS"}, {"code": "ITM-MULTIPLE-PHONES"}],
        "observed_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "details": "Two of our young people came back with new phones after an evening at the park.",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def people(world, make_user):
    return {
        "home": await make_user("partner"),
        "school": await make_user("partner"),
        "county_cce": await make_user("worker", teams_=["county-cce"]),
        "city_cce": await make_user("worker", teams_=["city-cce"]),
        "county_cse": await make_user("day_team", teams_=["county-cse"]),
        "police": await make_user("police", station="loughborough"),
    }


async def _jobs(db, kind: str) -> list[Job]:
    async with db.session() as session:
        return list((await session.execute(select(Job).where(Job.kind == kind))).scalars())


async def test_a_concern_about_a_park_reaches_the_county_cce_hub_without_paging(client, db, people):
    created = await client.post(CONCERNS, json=park(), headers=people["home"].headers)
    assert created.status_code == 201, created.text
    concern = created.json()
    assert concern["reference"].startswith("CON-") and concern["state"] == "open"
    assert set(concern) == {"id", "reference", "state", "reported_at"}

    queue = await client.get(CONCERNS, headers=people["county_cce"].headers)
    [item] = queue.json()["items"]
    assert item["id"] == concern["id"] and item["location"].startswith("Southfields Park")
    assert item["hub"]["teams"] == ["county-cce"] and item["hub"]["priority"] == "P2"
    assert item["hub"]["paged"] is False
    assert any("Leicestershire CCE team" in r for r in item["hub"]["reasons"])
    # P2: it waits in the queue; nobody is paged.
    assert await _jobs(db, CONCERN_JOB) == []
    # Other hubs do not see it.
    for other in ("city_cce", "county_cse"):
        assert (await client.get(CONCERNS, headers=people[other].headers)).json()["items"] == []
        assert (
            await client.get(f"{CONCERNS}/{concern['id']}", headers=people[other].headers)
        ).status_code == 404
    one = await client.get(f"{CONCERNS}/{concern['id']}", headers=people["county_cce"].headers)
    assert one.status_code == 200 and one.json()["hub"]["reporter"] == people["home"].user.username
    async with db.session() as session:
        actions = (await session.execute(select(AuditEvent.action).order_by(AuditEvent.seq))).scalars().all()
    assert actions == [
        "partner_concern.create",
        "partner_concern.list",
        "partner_concern.list",
        "partner_concern.list",
        "partner_concern.read",
    ]


async def test_a_peer_group_concern_with_cse_and_cce_reaches_both_hubs(client, people):
    body = park(
        about="peer_group",
        location=None,
        peer_group="Year 10 group who meet older men by the chip shop",
        indicators=[{"code": "REL-CONTROLLING-ADULT"}, {"code": "REL-USED-TO-REACH-PEERS"}],
        organisation="school",
    )
    created = await client.post(CONCERNS, json=body, headers=people["school"].headers)
    assert created.status_code == 201, created.text
    for hub in ("county_cce", "county_cse"):
        [item] = (await client.get(CONCERNS, headers=people[hub].headers)).json()["items"]
        assert item["hub"]["teams"] == ["county-cce", "county-cse"]
        assert item["peer_group"].startswith("Year 10")


async def test_partners_see_only_what_they_reported(client, people):
    mine = (await client.post(CONCERNS, json=park(), headers=people["home"].headers)).json()
    theirs = (
        await client.post(CONCERNS, json=park(organisation="school"), headers=people["school"].headers)
    ).json()
    listed = await client.get(f"{CONCERNS}/mine", headers=people["home"].headers)
    [own] = listed.json()["items"]
    assert own["id"] == mine["id"] and own["hub"] is None  # no triage, teams or reporter names
    assert (await client.get(f"{CONCERNS}/{mine['id']}", headers=people["home"].headers)).status_code == 200
    assert (await client.get(f"{CONCERNS}/{theirs['id']}", headers=people["home"].headers)).status_code == 404
    assert (await client.get(f"{CONCERNS}/{uuid.uuid4()}", headers=people["home"].headers)).status_code == 404
    # Nothing else of Lantern: no hub queue, no incidents, no search.
    for method, url in (
        ("GET", CONCERNS),
        ("GET", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents/query"),
        ("GET", "/api/v1/handover"),
        ("GET", "/api/v1/board"),
    ):
        response = await client.request(
            method, url, json={} if method == "POST" else None, headers=people["home"].headers
        )
        assert response.status_code == 403, url
    # A partner cannot report an incident about a child in custody.
    assert (
        await client.post("/api/v1/incidents", json=report(), headers=people["home"].headers)
    ).status_code == 403
    me = await client.get("/api/v1/me", headers=people["home"].headers)
    assert me.status_code == 200 and me.json()["roles"] == ["partner"]


async def test_a_partner_reads_the_areas_and_indicator_catalogue_their_form_offers(client, people, make_user):
    """The partner's home screen picks the area and the signs from these lists (no case data)."""
    areas = await client.get("/api/v1/areas", headers=people["home"].headers)
    assert areas.status_code == 200 and "leicestershire" in {a["slug"] for a in areas.json()}
    coordinator = await make_user("coordinator", teams_=["county-cce"])
    for who in (people["home"], coordinator):
        catalogue = await client.get("/api/v1/indicators", headers=who.headers)
        assert catalogue.status_code == 200, catalogue.text
        assert {"REL-KNOWN-EXPLOITERS", "ITM-MULTIPLE-PHONES"} <= {i["code"] for i in catalogue.json()}


async def test_only_partners_report_concerns(client, people):
    for who in ("police", "county_cce"):
        assert (await client.post(CONCERNS, json=park(), headers=people[who].headers)).status_code == 403
    assert (await client.get(f"{CONCERNS}/mine", headers=people["police"].headers)).status_code == 403


BAD = [
    ({"location": None}, ["location"]),
    ({"about": "peer_group", "location": None}, ["peer_group"]),
    ({"area": "atlantis", "indicators": [{"code": "NOPE"}]}, ["area", "indicators.0.code"]),
    ({"young_person": {"first_name": "Jordan"}}, ["young_person"]),
    ({"custody_status": "in_custody"}, ["custody_status"]),
    ({"organisation": "police"}, ["organisation"]),
    ({"observed_at": "2026-01-01T00:00:00"}, ["observed_at"]),
    ({"youngest_apparent_age": 40}, ["youngest_apparent_age"]),
]


@pytest.mark.parametrize(("change", "fields"), BAD)
async def test_bad_concerns_are_refused_naming_the_fields_and_write_nothing(
    client, db, people, change, fields
):
    response = await client.post(CONCERNS, json=park(**change), headers=people["home"].headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    named = [e["field"] for e in response.json()["errors"]]
    for field in fields:
        assert any(n == field or n.endswith("." + field) for n in named), (field, named)
    assert (await client.get(CONCERNS, headers=people["county_cce"].headers)).json()["items"] == []


async def test_a_p1_concern_queues_a_page_to_the_hub(client, db, people):
    body = park(youngest_apparent_age=12)
    created = (await client.post(CONCERNS, json=body, headers=people["home"].headers)).json()
    [item] = (await client.get(CONCERNS, headers=people["county_cce"].headers)).json()["items"]
    assert item["hub"]["priority"] == "P1" and item["hub"]["paged"] is True
    assert "P1: looks under 13 (age not known)" in item["hub"]["reasons"]
    [job] = await _jobs(db, CONCERN_JOB)
    assert job.payload["concern_id"] == created["id"] and job.payload["priority"] == "P1"
    assert "Southfields" not in str(job.payload) and "phones" not in str(job.payload)


@bounded(60)
async def test_a_p1_partner_pages_whoever_is_on_call_for_the_hub(
    client, db, world, make_user, settings, push, worker, people
):
    paging_settings(settings, push)
    settings.push_timeout_seconds = 10.0
    crew = await make_crew(client, db, world, make_user, push, team_slug="county-cce")
    now = datetime.now(UTC)
    await worker.drain(now=now)
    push.reset()
    harm = park(indicators=[{"code": "HRM-HELD-AGAINST-WILL"}, {"code": "REL-KNOWN-EXPLOITERS"}])
    created = (await client.post(CONCERNS, json=harm, headers=people["home"].headers)).json()
    await worker.drain(now=now + timedelta(seconds=1))
    received = await push.wait_for_async(len(crew.phones["primary"]), timeout=10)
    assert {r.subscription_id for r in received} == {p.id for p in crew.phones["primary"]}
    payload = received[0].payload
    assert payload["type"] == "concern" and payload["reference"] == created["reference"]
    assert payload["team"] == "county-cce" and payload["priority"] == "P1"
    assert "Southfields" not in str(payload) and "phones" not in str(payload)

    # A P2 concern pages nobody.
    push.reset()
    await client.post(CONCERNS, json=park(), headers=people["home"].headers)
    await worker.drain(now=now + timedelta(seconds=2))
    assert push.received == []


async def test_the_demo_partners_concern_about_a_park_reaches_the_county_cce_hub(client, settings, db):
    await load_demo(settings)
    await load_demo(settings)  # once only

    async def sign_in(username: str) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    [own] = (await client.get(f"{CONCERNS}/mine", headers=await sign_in("partner.home"))).json()["items"]
    assert own["location"].startswith("Southfields Park") and own["hub"] is None
    queue = await client.get(CONCERNS, params={"team": "county-cce"}, headers=await sign_in("day.cce"))
    [item] = queue.json()["items"]
    assert item["id"] == own["id"] and item["hub"]["teams"] == ["county-cce"]
    assert item["hub"]["paged"] is False
    assert (await client.get(CONCERNS, headers=await sign_in("day.cse"))).json()["items"] == []


async def test_the_hub_closes_a_concern_once_and_the_partner_sees_it_closed(client, db, people):
    created = (await client.post(CONCERNS, json=park(), headers=people["home"].headers)).json()
    url = f"{CONCERNS}/{created['id']}/close"
    # Only the hub it reached; the partner and other hubs cannot.
    for who, status in (("home", 403), ("city_cce", 404), ("county_cse", 404)):
        response = await client.post(url, json={"note": "x"}, headers=people[who].headers)
        assert response.status_code == status, who
    assert (await client.post(url, json={}, headers=people["county_cce"].headers)).status_code == 422
    closed = await client.post(
        url,
        json={"note": "Strategy meeting booked; park added to the map."},
        headers=people["county_cce"].headers,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    assert closed.json()["hub"]["closed_by"] == people["county_cce"].user.username
    again = await client.post(url, json={"note": "again"}, headers=people["county_cce"].headers)
    assert again.status_code == 409
    assert (
        await client.get(CONCERNS, params={"state": "open"}, headers=people["county_cce"].headers)
    ).json()["items"] == []
    [own] = (await client.get(f"{CONCERNS}/mine", headers=people["home"].headers)).json()["items"]
    assert own["state"] == "closed" and own["hub"] is None
    async with db.session() as session:
        closes = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "partner_concern.close")))
            .scalars()
            .all()
        )
    assert [e.actor_id for e in closes] == [people["county_cce"].id]


async def test_the_contracts_name_for_reporting_a_concern_is_served(client, people):
    """api-contract.md names `POST /concerns`; the PWA uses `/partner-concerns`."""
    created = await client.post("/api/v1/concerns", json=park(), headers=people["home"].headers)
    assert created.status_code == 201, created.text
    listed = await client.get(f"{CONCERNS}/mine", headers=people["home"].headers)
    assert [c["id"] for c in listed.json()["items"]] == [created.json()["id"]]
    refused = await client.post("/api/v1/concerns", json=park(), headers=people["police"].headers)
    assert refused.status_code == 403
