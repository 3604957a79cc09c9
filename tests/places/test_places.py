"""Places, persons of concern and networks (issue 14), through the HTTP API on both databases.

Intake resolves a location to a place only when certain; places merge (reversibly) and retire;
a place's profile and a young person's network are read by case roles and coordinators only,
and every read names each child it showed on its audit event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent, AuditSubject
from api.auth.models import ROLES
from api.incidents.models import Incident, TimelineEvent
from api.people.models import PossibleMatch
from api.places.models import Place
from api.places.service import CASE_ROLES
from api.rota.schedule import LONDON
from tests.incident_payloads import report

STATION = "Leicester railway station"


@pytest.fixture
async def worker(world, make_user):
    return await make_user("worker", teams_=["city-cce", "city-cse"])


@pytest.fixture
async def manager(world, make_user):
    return await make_user("manager", teams_=["city-cce", "city-cse"])


@pytest.fixture
async def coordinator(world, make_user):
    return await make_user("coordinator", teams_=["city-cce", "city-cse", "county-cce", "county-cse"])


async def _place(client, person, name=STATION, **fields) -> dict:
    body = {"name": name, "area": "leicester-city", "type": "transport_hub", **fields}
    response = await client.post("/api/v1/places", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _report(client, police, description=STATION, **overrides) -> dict:
    overrides.setdefault("location", {"description": description, "area": "leicester-city"})
    body = report(**overrides)
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _place_of(db, incident_id: str) -> uuid.UUID | None:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).place_id


async def _audits(db, action: str) -> list[tuple[AuditEvent, set[uuid.UUID]]]:
    async with db.session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars().all()
        )
        out = []
        for event in events:
            subjects = set(
                (
                    await session.execute(
                        select(AuditSubject.young_person_id).where(AuditSubject.audit_id == event.id)
                    )
                ).scalars()
            )
            out.append((event, subjects))
        return out


async def _person_of(db, incident_id: str) -> uuid.UUID:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).young_person_id


# Resolution at intake.


async def test_a_location_resolves_to_its_place_only_when_certain(client, db, custody, worker):
    station = await _place(client, worker, aliases=["Leicester station"])
    await _place(client, worker, "Leicester Square", type="park_or_open_space")

    platform = await _report(client, custody, "Leicester railway station, platform 2")
    found_at = await _report(client, custody, "Found at Leicster railway staton")  # typos
    alias = await _report(client, custody, "Outside Leicester station taxi rank")
    vague = await _report(client, custody, "Station")  # one word: never swallows a place
    both = await _report(client, custody, "Leicester Square station")  # two places fit: neither
    other_area = await _report(
        client,
        custody,
        location={"description": "Leicester railway station, platform 2", "area": "leicestershire"},
    )
    assert await _place_of(db, platform["id"]) == uuid.UUID(station["id"])
    assert await _place_of(db, found_at["id"]) == uuid.UUID(station["id"])
    assert await _place_of(db, alias["id"]) == uuid.UUID(station["id"])
    assert await _place_of(db, vague["id"]) is None
    assert await _place_of(db, both["id"]) is None
    assert await _place_of(db, other_area["id"]) is None  # places match within their area only

    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(platform["id"]))
        assert incident.location_description == "Leicester railway station, platform 2"  # kept as written
        triaged = (
            await session.execute(
                select(TimelineEvent.detail).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.action == "incident.triaged"
                )
            )
        ).scalar_one()
        assert triaged["place"] == "matched"
        # Nothing is created from a police report's free text.
        assert len((await session.execute(select(Place))).scalars().all()) == 2


async def test_a_report_may_name_its_place_and_an_unknown_one_is_refused(client, db, custody, worker):
    park = await _place(client, worker, "Abbey Park", type="park_or_open_space")
    named = await _report(client, custody, "By the boating lake", place_id=park["id"])
    assert await _place_of(db, named["id"]) == uuid.UUID(park["id"])

    bad = report(place_id=str(uuid.uuid4()))
    response = await client.post("/api/v1/incidents", json=bad, headers=custody.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["place_id"]
    async with db.session() as session:
        assert len((await session.execute(select(Incident))).scalars().all()) == 1  # nothing half-written


async def test_suggestions_as_you_type_for_the_report_form(client, custody, worker):
    station = await _place(client, worker, aliases=["Leicester station"])
    await _place(client, worker, "Highcross car park", type="other")
    response = await client.get(
        "/api/v1/places/suggestions", params={"q": "leicester rail"}, headers=custody.headers
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["id"] == station["id"] and items[0]["area"] == "leicester-city"
    assert set(items[0]) == {"id", "name", "matched", "area", "type", "score"}
    unknown = await client.get(
        "/api/v1/places/suggestions", params={"q": "x", "area": "atlantis"}, headers=worker.headers
    )
    assert unknown.status_code == 422


async def test_a_place_keeps_no_full_postcode_and_no_duplicate_name(client, worker):
    full = await client.post(
        "/api/v1/places",
        json={
            "name": "A flat",
            "area": "leicester-city",
            "type": "private_address",
            "postcode_district": "LE1 6XX",
        },
        headers=worker.headers,
    )
    assert full.status_code == 422
    assert [e["field"] for e in full.json()["errors"]] == ["postcode_district"]
    address = await client.post(
        "/api/v1/places",
        json={"name": "Flat 3, 12 Acacia Avenue", "area": "leicester-city", "type": "private_address"},
        headers=worker.headers,
    )
    assert address.status_code == 422 and "house or flat number" in address.text
    await _place(client, worker, "Flat above Narborough Road takeaway", type="private_address")
    await _place(client, worker, postcode_district="LE2", grid_reference="SK 589 037")
    again = await client.post(
        "/api/v1/places",
        json={"name": "leicester  RAILWAY station", "area": "leicester-city", "type": "transport_hub"},
        headers=worker.headers,
    )
    assert again.status_code == 409
    assert again.json()["existing_place_id"]
    elsewhere = await client.post(
        "/api/v1/places",
        json={"name": "Oakham station", "area": "rutland", "type": "transport_hub"},
        headers=worker.headers,
    )
    assert elsewhere.status_code == 422  # not an area of the worker's teams


# Merge, unmerge, retire, re-link.


async def test_a_merge_moves_incidents_and_names_and_undoing_it_restores_them(
    client, db, custody, worker, coordinator
):
    station = await _place(client, worker)
    duplicate = await _place(client, worker, "Leicester train stn", aliases=["London Road station"])
    first = await _report(client, custody, "Leicester railway station")
    second = await _report(client, custody, "Leicester train stn")
    assert await _place_of(db, second["id"]) == uuid.UUID(duplicate["id"])

    denied = await client.post(
        f"/api/v1/places/{duplicate['id']}/merge",
        json={"into_place_id": station["id"]},
        headers=worker.headers,
    )
    assert denied.status_code == 403
    merged = await client.post(
        f"/api/v1/places/{duplicate['id']}/merge",
        json={"into_place_id": station["id"]},
        headers=coordinator.headers,
    )
    assert merged.status_code == 200, merged.text
    record = merged.json()
    assert record["incidents_moved"] == 1
    assert record["aliases_added"] == ["Leicester train stn", "London Road station"]
    assert await _place_of(db, second["id"]) == uuid.UUID(station["id"])
    assert await _place_of(db, first["id"]) == uuid.UUID(station["id"])
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=worker.headers)).json()
    assert profile["incidents"] == 2
    # The duplicate's names now resolve to the place that stayed; its id too.
    third = await _report(client, custody, "London Road station, side entrance")
    assert await _place_of(db, third["id"]) == uuid.UUID(station["id"])
    via_old_id = await _report(client, custody, "somewhere", place_id=duplicate["id"])
    assert await _place_of(db, via_old_id["id"]) == uuid.UUID(station["id"])
    again = await client.post(
        f"/api/v1/places/{duplicate['id']}/merge",
        json={"into_place_id": station["id"]},
        headers=coordinator.headers,
    )
    assert again.status_code == 409

    undone = await client.post(f"/api/v1/place-merges/{record['id']}/undo", headers=coordinator.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_at"]
    assert await _place_of(db, second["id"]) == uuid.UUID(duplicate["id"])  # moved back
    assert await _place_of(db, first["id"]) == uuid.UUID(station["id"])  # never moved
    stayed = (await client.get(f"/api/v1/places/{station['id']}", headers=worker.headers)).json()
    assert stayed["aliases"] == []
    back = (await client.get(f"/api/v1/places/{duplicate['id']}", headers=worker.headers)).json()
    assert back["merged_into_id"] is None
    twice = await client.post(f"/api/v1/place-merges/{record['id']}/undo", headers=coordinator.headers)
    assert twice.status_code == 409
    actions = [e.action for e, _ in await _audits(db, "place.merge")] + [
        e.action for e, _ in await _audits(db, "place.unmerge")
    ]
    assert actions == ["place.merge", "place.unmerge"]


async def test_a_retired_place_is_neither_suggested_nor_matched(client, db, custody, worker, manager):
    station = await _place(client, worker)
    assert (
        await client.post(f"/api/v1/places/{station['id']}/retire", headers=worker.headers)
    ).status_code == 403
    retired = await client.post(f"/api/v1/places/{station['id']}/retire", headers=manager.headers)
    assert retired.status_code == 200 and retired.json()["retired_at"]
    suggested = await client.get("/api/v1/places/suggestions", params={"q": STATION}, headers=worker.headers)
    assert suggested.json()["items"] == []
    assert (await client.get("/api/v1/places", headers=worker.headers)).json()["items"] == []
    listed = await client.get("/api/v1/places", params={"include_retired": "true"}, headers=worker.headers)
    assert [p["name"] for p in listed.json()["items"]] == [STATION]
    later = await _report(client, custody, "Leicester railway station, platform 2")
    assert await _place_of(db, later["id"]) is None
    refused = await client.post(
        "/api/v1/incidents", json=report(place_id=station["id"]), headers=custody.headers
    )
    assert refused.status_code == 422
    assert len(await _audits(db, "place.retire")) == 1


async def test_a_worker_relinks_an_incident_and_police_cannot(client, db, custody, worker, make_user):
    station = await _place(client, worker)
    incident = await _report(client, custody, "Somewhere near the trains")
    assert await _place_of(db, incident["id"]) is None
    url = f"/api/v1/incidents/{incident['id']}/place"
    linked = await client.put(url, json={"place_id": station["id"]}, headers=worker.headers)
    assert linked.status_code == 200, linked.text
    assert await _place_of(db, incident["id"]) == uuid.UUID(station["id"])
    assert (
        await client.put(url, json={"place_id": station["id"]}, headers=custody.headers)
    ).status_code == 403
    other = await make_user("police", station="loughborough")
    assert (await client.put(url, json={"place_id": None}, headers=other.headers)).status_code == 404
    outsider = await make_user("worker", teams_=["rutland-cce"])
    assert (await client.put(url, json={"place_id": None}, headers=outsider.headers)).status_code == 404
    unknown = await client.put(url, json={"place_id": str(uuid.uuid4())}, headers=worker.headers)
    assert unknown.status_code == 422
    county = await make_user("worker", teams_=["county-cce"])
    far = await _place(client, county, "Loughborough bus station", area="leicestershire")
    elsewhere = await client.put(url, json={"place_id": far["id"]}, headers=worker.headers)
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "place_id"
    ((event, _),) = await _audits(db, "incident.place_linked")
    assert event.young_person_id == await _person_of(db, incident["id"])


# The profile and the network.


def _weeks_ago(weeks: int, hour: int) -> str:
    """A Tuesday `weeks` weeks ago at `hour` London time (never in the future)."""
    today = datetime.now(LONDON).date()
    tuesday = today - timedelta(days=(today.weekday() - 1) % 7 + 7 * weeks)
    at = datetime(tuesday.year, tuesday.month, tuesday.day, hour, 15, tzinfo=LONDON)
    if at > datetime.now(UTC) - timedelta(minutes=5):
        at -= timedelta(weeks=1)
    return at.astimezone(UTC).isoformat()


async def test_a_place_profile_counts_weeks_categories_hours_indicators_and_people(
    client, db, custody, worker, coordinator, manager, make_user
):
    station = await _place(client, worker)
    jordan = {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"}
    amira = {"first_name": "Amira", "last_name": "Hussain", "date_of_birth": "2011-02-11"}
    cse = [{"code": "REL-CONTROLLING-ADULT", "provenance": "disclosed"}]
    a = await _report(client, custody, occurred_at=_weeks_ago(1, 23), young_person=jordan)
    b = await _report(client, custody, occurred_at=_weeks_ago(1, 22), young_person=jordan)
    c = await _report(client, custody, occurred_at=_weeks_ago(3, 1), young_person=amira, indicators=cse)
    jordan_id, amira_id = await _person_of(db, a["id"]), await _person_of(db, c["id"])

    response = await client.get(
        f"/api/v1/places/{station['id']}/profile", params={"weeks": 6}, headers=worker.headers
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["incidents"] == 3
    weeks = profile["weeks"]
    assert len(weeks) == 6 and sum(w["incidents"] for w in weeks) == 3
    assert [w["incidents"] for w in weeks][-4:] in ([1, 0, 2, 0], [0, 1, 0, 2])  # 3 and 1 weeks ago
    assert profile["categories"] == {"cse": 1, "cce": 2, "both": 0, "neither": 0}
    cells = {(h["weekday"], h["hour"]): h["incidents"] for h in profile["weekday_hours"]}
    assert sum(cells.values()) == 3 and {2, 3} >= {d for d, _ in cells}
    indicators = {i["code"]: i["incidents"] for i in profile["indicators"]}
    assert indicators == {"MOV-OUT-OF-AREA": 2, "ITM-UNEXPLAINED-MONEY": 2, "REL-CONTROLLING-ADULT": 1}
    people = [(p["first_name"], p["incidents"]) for p in profile["young_people"]]
    assert people == [("Jordan", 2), ("Amira", 1)]
    assert b["id"]

    # Audited naming each child shown; a coordinator of the hubs reads it too.
    ((event, subjects),) = await _audits(db, "place.profile.read")
    assert subjects == {jordan_id, amira_id} and event.resource_id == uuid.UUID(station["id"])
    assert (
        await client.get(f"/api/v1/places/{station['id']}/profile", headers=coordinator.headers)
    ).status_code == 200
    # The child's access log (what a subject access request reads) shows who read the profile.
    log = await client.get(f"/api/v1/young-people/{amira_id}/access-log", headers=manager.headers)
    assert log.status_code == 200, log.text
    assert "place.profile.read" in [e["action"] for e in log.json()["items"]]

    # A CCE-only reader sees the CCE incidents only, and only those children are audited.
    cce_only = await make_user("day_team", teams_=["city-cce"])
    narrow = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=cce_only.headers)).json()
    assert narrow["incidents"] == 2 and [p["first_name"] for p in narrow["young_people"]] == ["Jordan"]
    last, subjects = (await _audits(db, "place.profile.read"))[-1]
    assert subjects == {jordan_id}


async def test_jordans_network_shows_who_was_seen_with_him_how_often_and_where(
    client, db, custody, worker, make_user
):
    station = await _place(client, worker)
    jordan = {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"}
    first = await _report(client, custody, young_person=jordan)
    second = await _report(client, custody, "Car park behind Highcross", young_person=jordan)
    kai = await _report(client, custody, young_person={"first_name": "Kai", "last_name": "Whitlock"})
    jordan_id, kai_id = await _person_of(db, first["id"]), await _person_of(db, kai["id"])

    tee = await client.post(
        "/api/v1/persons-of-concern",
        json={
            "nickname": "Tee",
            "description": "Older boy, about 19",
            "vehicle": "black BMW, FY6…",
            "phone_last_digits": "417",
            "area": "leicester-city",
        },
        headers=worker.headers,
    )
    assert tee.status_code == 201, tee.text
    for incident in (first, second):
        linked = await client.post(
            f"/api/v1/incidents/{incident['id']}/people",
            json={"person_of_concern_id": tee.json()["id"], "role": "adult"},
            headers=worker.headers,
        )
        assert linked.status_code == 201, linked.text
    peer = await client.post(
        f"/api/v1/incidents/{first['id']}/people",
        json={"young_person_id": str(kai_id)},
        headers=worker.headers,
    )
    assert peer.status_code == 201, peer.text
    twice = await client.post(
        f"/api/v1/incidents/{first['id']}/people",
        json={"young_person_id": str(kai_id)},
        headers=worker.headers,
    )
    assert twice.status_code == 409
    both = await client.post(
        f"/api/v1/incidents/{first['id']}/people",
        json={"young_person_id": str(kai_id), "person_of_concern_id": tee.json()["id"]},
        headers=worker.headers,
    )
    assert both.status_code == 422

    response = await client.get(f"/api/v1/young-people/{jordan_id}/network", headers=worker.headers)
    assert response.status_code == 200, response.text
    network = response.json()
    assert network["incidents"] == 2
    (concern,) = network["persons_of_concern"]
    assert concern["person"]["nickname"] == "Tee" and concern["incidents"] == 2
    assert concern["places"] == [{"id": station["id"], "name": STATION, "incidents": 1}]
    (seen,) = network["peers"]
    assert (seen["first_name"], seen["incidents"]) == ("Kai", 1)
    ((event, subjects),) = await _audits(db, "young_person.network.read")
    assert event.young_person_id == jordan_id and subjects == {kai_id}

    # Kai's network shows Jordan (Kai was present at Jordan's incident), and Tee once.
    kais = (await client.get(f"/api/v1/young-people/{kai_id}/network", headers=worker.headers)).json()
    assert [p["first_name"] for p in kais["peers"]] == ["Jordan"]
    assert [c["incidents"] for c in kais["persons_of_concern"]] == [1]

    # The profile shows the peer and the person of concern seen there.
    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=worker.headers)).json()
    assert [p["first_name"] for p in profile["peers"]] == ["Kai"]
    assert [c["person"]["nickname"] for c in profile["persons_of_concern"]] == ["Tee"]

    # Present-at list, search by body, and unlinking.
    listed = (await client.get(f"/api/v1/incidents/{first['id']}/people", headers=worker.headers)).json()
    assert len(listed["items"]) == 2
    found = await client.post(
        "/api/v1/persons-of-concern/search", json={"text": "tee"}, headers=worker.headers
    )
    assert [p["nickname"] for p in found.json()["items"]] == ["Tee"]
    removed = await client.delete(
        f"/api/v1/incidents/{first['id']}/people/{peer.json()['id']}", headers=worker.headers
    )
    assert removed.status_code == 204
    after = (await client.get(f"/api/v1/young-people/{jordan_id}/network", headers=worker.headers)).json()
    assert after["peers"] == []


async def test_police_admins_and_every_other_role_reach_none_of_it(client, db, custody, worker, make_user):
    station = await _place(client, worker)
    incident = await _report(client, custody)
    jordan_id = await _person_of(db, incident["id"])
    tee = (
        await client.post("/api/v1/persons-of-concern", json={"nickname": "Tee"}, headers=worker.headers)
    ).json()
    other_station = await make_user("police", station="loughborough")
    outsider = await make_user("worker", teams_=["rutland-cce"])
    # Every role that is not a case role (admin, and any role added later, such as partners),
    # even as a member of the incident's teams.
    others = [
        await make_user(role, teams_=["city-cce", "city-cse"])
        for role in sorted(set(ROLES) - set(CASE_ROLES) - {"police"})
    ]
    assert others
    reads = [
        ("GET", "/api/v1/places", None),
        ("GET", f"/api/v1/places/{station['id']}", None),
        ("GET", f"/api/v1/places/{station['id']}/profile", None),
        ("GET", f"/api/v1/young-people/{jordan_id}/network", None),
        ("POST", "/api/v1/places", {"name": "X Y", "area": "leicester-city", "type": "other"}),
        ("POST", "/api/v1/persons-of-concern", {"nickname": "Z"}),
        ("POST", "/api/v1/persons-of-concern/search", {"text": "Tee"}),
        ("POST", f"/api/v1/places/{station['id']}/merge", {"into_place_id": station["id"]}),
        ("POST", f"/api/v1/places/{station['id']}/retire", None),
    ]
    for person in (custody, other_station, *others):
        for method, url, body in reads:
            response = await client.request(method, url, json=body, headers=person.headers)
            assert response.status_code == 403, (method, url, response.status_code)
    people = f"/api/v1/incidents/{incident['id']}/people"
    assert (await client.get(people, headers=custody.headers)).status_code == 403  # their own incident
    assert (await client.get(people, headers=other_station.headers)).status_code == 404
    for person in others:
        assert (await client.get(people, headers=person.headers)).status_code == 403
    assert (
        await client.post(people, json={"person_of_concern_id": tee["id"]}, headers=custody.headers)
    ).status_code == 403
    # A case role outside the teams and areas: as if nothing existed.
    assert (
        await client.get(f"/api/v1/places/{station['id']}/profile", headers=outsider.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/young-people/{jordan_id}/network", headers=outsider.headers)
    ).status_code == 404
    assert (await client.get(people, headers=outsider.headers)).status_code == 404
    async with db.session() as session:
        audited = (
            (await session.execute(select(AuditEvent.action).where(AuditEvent.action.like("%read%"))))
            .scalars()
            .all()
        )
    assert "place.profile.read" not in audited and "young_person.network.read" not in audited


async def test_a_merge_whose_audit_row_is_refused_leaves_nothing_half_done(
    client, db, custody, worker, manager
):
    station = await _place(client, worker)
    duplicate = await _place(client, worker, "Leicester train stn")
    moved = await _report(client, custody, "Leicester train stn")
    dialect = db.engine.sync_engine.dialect
    real = dialect.do_execute

    def refuse_audit(cursor, statement, parameters, context=None):
        if statement.startswith("INSERT INTO audit_events"):
            raise dialect.loaded_dbapi.OperationalError("injected: the disk is full")
        return real(cursor, statement, parameters, context)

    dialect.do_execute = refuse_audit
    try:
        response = await client.post(
            f"/api/v1/places/{duplicate['id']}/merge",
            json={"into_place_id": station["id"]},
            headers=manager.headers,
        )
    finally:
        dialect.do_execute = real
    assert response.status_code == 503
    assert await _place_of(db, moved["id"]) == uuid.UUID(duplicate["id"])
    async with db.session() as session:
        assert (await session.get(Place, uuid.UUID(duplicate["id"]))).merged_into_id is None
        assert (await session.get(Place, uuid.UUID(station["id"]))).aliases == []
    # The cached place list was not left believing the merge happened: the old name still resolves.
    again = await _report(client, custody, "Leicester train stn, bay 4")
    assert await _place_of(db, again["id"]) == uuid.UUID(duplicate["id"])


async def test_a_peer_given_by_name_is_matched_as_intake_matches(client, db, custody, worker):
    jordan = await _report(
        client,
        custody,
        young_person={"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"},
    )
    kai = await _report(
        client,
        custody,
        young_person={"first_name": "Kai", "last_name": "Whitlock", "date_of_birth": "2009-08-19"},
    )
    kai_id = await _person_of(db, kai["id"])
    people = f"/api/v1/incidents/{jordan['id']}/people"
    known = await client.post(
        people,
        json={"young_person": {"first_name": "kai", "last_name": "WHITLOCK", "date_of_birth": "2009-08-19"}},
        headers=worker.headers,
    )
    assert known.status_code == 201, known.text
    assert known.json()["young_person"]["id"] == str(kai_id) and known.json()["matched_by"] == "name_and_dob"
    # Same name, another birth date: a new record and a possible match to confirm, never a merge.
    namesake = await client.post(
        people,
        json={"young_person": {"first_name": "Kai", "last_name": "Whitlock", "date_of_birth": "2010-01-01"}},
        headers=worker.headers,
    )
    assert namesake.status_code == 201, namesake.text
    new_id = uuid.UUID(namesake.json()["young_person"]["id"])
    assert new_id != kai_id and namesake.json()["matched_by"] == "new"
    async with db.session() as session:
        possible = (
            await session.execute(select(PossibleMatch).where(PossibleMatch.young_person_id == new_id))
        ).scalar_one()
    assert possible.candidate_id == kai_id
    # The new record is seen through the incident it was present at: its network shows Jordan
    # (the incident's subject) and the other Kai (present at the same incident).
    network = await client.get(f"/api/v1/young-people/{new_id}/network", headers=worker.headers)
    assert network.status_code == 200, network.text
    assert [p["id"] for p in network.json()["peers"]] == [
        str(await _person_of(db, jordan["id"])),
        str(kai_id),
    ]
    own = await client.post(
        people,
        json={"young_person": {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"}},
        headers=worker.headers,
    )
    assert own.status_code == 422
