"""Search that ends manual searching: POST /incidents/query, its CSV, saved searches.

Four incidents reported through intake (two about Jordan at Leicester railway station, one
CSE in the county, one CCE in a county park), searched by every filter and combinations,
within the caller's teams only, with an audit event naming every child shown.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent, AuditSubject
from api.auth.dependencies import Actor
from api.auth.models import Membership
from api.incidents.models import Incident, IncidentIndicator
from api.search import saved as saved_searches
from api.search import service
from api.search.models import SavedSearch
from tests.incident_payloads import report

NOW = datetime.now(UTC)
QUERY = "/api/v1/incidents/query"


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


@pytest.fixture
async def night(client, world, make_user):
    people = {
        "euston": await make_user("police", station="euston-street"),
        "lboro": await make_user("police", station="loughborough"),
        "city_cce": await make_user("worker", teams_=["city-cce"]),
        "county_cce": await make_user("worker", teams_=["county-cce"]),
        "county_cse": await make_user("day_team", teams_=["county-cse"]),
        "manager": await make_user("manager", teams_=["city-cce", "county-cce", "county-cse"]),
        "partner": await make_user("partner"),
    }
    reports = {
        "station": report(occurred_at=_ago(2)),
        "platform": report(
            kind="stop_conversation",
            occurred_at=_ago(40),
            location={"description": "Leicester railway station, platform 2", "area": "leicester-city"},
            indicators=[{"code": "ITM-DRUGS-CASH"}],
        ),
        "grooming": report(
            kind="arrest",
            police_station="loughborough",
            occurred_at=_ago(10),
            young_person={"first_name": "Casey", "last_name": "Lee", "date_of_birth": "2010-05-06"},
            location={"description": "Loughborough bus station", "area": "leicestershire"},
            indicators=[{"code": "HRM-ONLINE-GROOMING"}],
        ),
        "park": report(
            police_station="loughborough",
            occurred_at=_ago(5),
            young_person={"first_name": "Riley", "last_name": "Hart", "date_of_birth": "2009-07-08"},
            location={"description": "Queen's Park, Loughborough", "area": "leicestershire"},
            indicators=[{"code": "REL-KNOWN-EXPLOITERS"}],
        ),
    }
    made = {}
    for name, body in reports.items():
        police = people["lboro"] if body["police_station"] == "loughborough" else people["euston"]
        response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
        assert response.status_code == 201, response.text
        made[name] = response.json()
    return people, made


async def _refs(client, person, **query) -> list[str]:
    response = await client.post(QUERY, json=query, headers=person.headers)
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


def _names(made, *which) -> list[str]:
    return [made[w]["reference"] for w in which]


async def test_each_filter_finds_what_it_says(client, night):
    people, made = night
    manager = people["manager"]
    assert made["grooming"]["priority"] == "P1" and made["station"]["priority"] == "P2"
    # Newest occurred_at first.
    assert await _refs(client, manager) == _names(made, "station", "park", "grooming", "platform")
    assert await _refs(client, manager, indicators=["ITM-DRUGS-CASH"]) == _names(made, "platform")
    assert await _refs(client, manager, indicator_groups=["harm"]) == _names(made, "grooming")
    assert await _refs(client, manager, indicator_categories=["cce"]) == _names(
        made, "station", "park", "platform"
    )
    assert await _refs(client, manager, areas=["leicestershire"]) == _names(made, "park", "grooming")
    assert await _refs(client, manager, teams=["county-cse"]) == _names(made, "grooming")
    assert await _refs(client, manager, kinds=["arrest", "stop_conversation"]) == _names(
        made, "grooming", "platform"
    )
    assert await _refs(client, manager, priorities=["P1"]) == _names(made, "grooming")
    assert await _refs(client, manager, **{"from": _ago(15), "to": _ago(3)}) == _names(
        made, "park", "grooming"
    )
    assert await _refs(client, manager, last_days=7) == _names(made, "station", "park")
    assert await _refs(client, manager, location_contains="RAILWAY station") == _names(
        made, "station", "platform"
    )
    # LIKE wildcards are text, not patterns.
    assert await _refs(client, manager, location_contains="%_") == []
    detail = await client.get(f"/api/v1/incidents/{made['station']['id']}", headers=manager.headers)
    jordan = detail.json()["young_person"]["id"]
    assert await _refs(client, manager, young_person_id=jordan) == _names(made, "station", "platform")


async def test_filters_combine(client, night):
    people, made = night
    manager = people["manager"]
    assert await _refs(
        client, manager, indicator_categories=["cce"], areas=["leicestershire"], last_days=28
    ) == _names(made, "park")
    assert await _refs(
        client, manager, location_contains="railway", kinds=["missing_return"], priorities=["P2"]
    ) == _names(made, "station")
    assert await _refs(client, manager, indicator_groups=["harm"], areas=["leicester-city"]) == []


async def test_a_search_stays_within_the_callers_teams(client, night):
    people, made = night
    assert await _refs(client, people["city_cce"]) == _names(made, "station", "platform")
    # Naming another team's area or team finds nothing outside the caller's teams.
    assert await _refs(client, people["city_cce"], areas=["leicestershire"]) == []
    assert await _refs(client, people["city_cce"], teams=["county-cse"]) == []
    assert await _refs(client, people["county_cse"], location_contains="railway") == []
    assert await _refs(client, people["county_cce"]) == _names(made, "park")


async def test_police_partners_and_admins_may_not_search(client, night, make_user):
    people, _ = night
    admin = await make_user("admin")
    for person in (people["euston"], people["partner"], admin):
        for method, url, body in (
            ("POST", QUERY, {}),
            ("POST", QUERY + ".csv", {}),
            ("GET", "/api/v1/saved-searches", None),
            ("POST", "/api/v1/saved-searches", {"name": "x", "query": {}}),
            ("POST", f"/api/v1/saved-searches/{uuid.uuid4()}/run", {}),
        ):
            response = await client.request(method, url, json=body, headers=person.headers)
            assert response.status_code == 403, (person.user.roles, url)
            assert response.headers["content-type"].startswith("application/problem+json")


async def _search_events(db, action: str) -> list[tuple[AuditEvent, set[uuid.UUID]]]:
    async with db.session() as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
                )
            )
            .scalars()
            .all()
        )
        out = []
        for event in events:
            subjects = (
                await session.execute(
                    select(AuditSubject.young_person_id).where(AuditSubject.audit_id == event.id)
                )
            ).scalars()
            out.append((event, set(subjects)))
        return out


async def _child(db, incident_id: str) -> uuid.UUID:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).young_person_id


async def test_every_child_shown_is_audited_and_only_those(client, db, night):
    people, made = night
    worker = people["county_cce"]
    manager = people["manager"]
    await _refs(client, worker)
    await _refs(client, manager, areas=["leicestershire"])
    [(first, first_children), (second, second_children)] = await _search_events(db, "incident.search")
    assert first.actor_id == worker.id and first.route == "POST /api/v1/incidents/query"
    assert first.detail["incident_ids"] == [made["park"]["id"]]
    assert first_children == {await _child(db, made["park"]["id"])}
    assert second.actor_id == manager.id
    assert second_children == {await _child(db, made["park"]["id"]), await _child(db, made["grooming"]["id"])}
    # The access log of the child shown names the search; the one not shown does not.
    log = await client.get(
        f"/api/v1/young-people/{await _child(db, made['grooming']['id'])}/access-log", headers=manager.headers
    )
    assert "POST /api/v1/incidents/query" in {e["route"] for e in log.json()["items"]}
    jordan_log = await client.get(
        f"/api/v1/young-people/{await _child(db, made['station']['id'])}/access-log", headers=manager.headers
    )
    assert "POST /api/v1/incidents/query" not in {e["route"] for e in jordan_log.json()["items"]}


async def test_pages_follow_the_cursor_without_repeats(client, night):
    people, made = night
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        body = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.post(QUERY, json=body, headers=people["manager"].headers)).json()
        seen += [i["reference"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == _names(made, "station", "park", "grooming", "platform")
    bad = await client.post(QUERY, json={"cursor": "nonsense"}, headers=people["manager"].headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_results_are_typed_and_name_the_window(client, night):
    people, made = night
    response = await client.post(QUERY, json={"last_days": 3}, headers=people["city_cce"].headers)
    body = response.json()
    [hit] = body["items"]
    assert hit["reference"] == made["station"]["reference"]
    assert hit["young_person"]["first_name"] == "Jordan"
    assert hit["teams"] == ["city-cce"] and hit["area"] == "leicester-city" and hit["category"] == "cce"
    assert hit["indicators"] == ["ITM-UNEXPLAINED-MONEY", "MOV-OUT-OF-AREA"]
    start = datetime.fromisoformat(body["window"]["from"])
    assert abs((datetime.now(UTC) - timedelta(days=3) - start).total_seconds()) < 60
    assert body["window"]["to"] is None


BAD = [
    ({"indicators": ["NOPE"]}, ["indicators.0"]),
    ({"indicator_groups": ["nope"]}, ["indicator_groups.0"]),
    ({"areas": ["atlantis"], "teams": ["nope"]}, ["areas.0", "teams.0"]),
    ({"last_days": 7, "from": "2026-11-01T00:00:00Z"}, ["last_days", "from"]),
    ({"from": "2026-11-20T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, ["to"]),
    ({"last_days": 0}, ["last_days"]),
    ({"limit": 500}, ["limit"]),
    ({"kinds": ["burglary"]}, ["kinds.0"]),
    ({"from": "1066-10-14T00:00:00Z"}, ["from"]),
    ({"young_person_name": "Jordan"}, ["young_person_name"]),
    ({"location_contains": "x"}, ["location_contains"]),
]


@pytest.mark.parametrize(("body", "fields"), BAD)
async def test_bad_input_is_a_problem_naming_the_fields(client, night, body, fields):
    people, _ = night
    response = await client.post(QUERY, json=body, headers=people["manager"].headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    named = [e["field"] for e in response.json()["errors"]]
    for field in fields:
        assert any(n == field or n.endswith("." + field) for n in named), (field, named)


async def test_csv_export_is_audited_and_names_nobody_in_its_filename(client, db, night):
    people, made = night
    response = await client.post(
        QUERY + ".csv", json={"location_contains": "railway"}, headers=people["manager"].headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="lantern-search-') and disposition.endswith('.csv"')
    assert "Jordan" not in disposition and "railway" not in disposition
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == _names(made, "station", "platform")
    assert rows[0]["first_name"] == "Jordan" and rows[0]["teams"] == "city-cce"
    [(event, children)] = await _search_events(db, "incident.search.export")
    assert event.actor_id == people["manager"].id
    assert children == {await _child(db, made["station"]["id"])}
    # The export is scoped like the search.
    other = await client.post(QUERY + ".csv", json={}, headers=people["county_cce"].headers)
    assert [r["reference"] for r in csv.DictReader(io.StringIO(other.text))] == _names(made, "park")


async def test_a_formula_in_a_location_is_not_run_by_a_spreadsheet(client, night):
    people, _ = night
    body = report(location={"description": '=HYPERLINK("x")', "area": "leicester-city"})
    assert (
        await client.post("/api/v1/incidents", json=body, headers=people["euston"].headers)
    ).status_code == 201
    response = await client.post(QUERY + ".csv", json={"last_days": 1}, headers=people["city_cce"].headers)
    locations = [r["location"] for r in csv.DictReader(io.StringIO(response.text))]
    assert '\'=HYPERLINK("x")' in locations


SAVED = "/api/v1/saved-searches"


async def test_saved_search_crud_sharing_and_runs(client, db, night, make_user):
    people, made = night
    owner = people["manager"]
    stranger = await make_user("worker", teams_=["city-cse"])
    colleague = people["county_cce"]
    body = {
        "name": "CCE indicators in the county, last 28 days",
        "query": {"indicator_categories": ["cce"], "areas": ["leicestershire"], "last_days": 28},
        "team": "county-cce",
    }
    created = await client.post(SAVED, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["team"] == "county-cce" and saved["mine"] is True and saved["version"] == 1
    # Kept relative: no date was frozen into it.
    assert saved["query"] == {"indicator_categories": ["cce"], "areas": ["leicestershire"], "last_days": 28}
    url = f"{SAVED}/{saved['id']}"

    # The team it is shared with sees and runs it; someone outside does not see it.
    listed = await client.get(SAVED, headers=colleague.headers)
    assert [(s["name"], s["mine"]) for s in listed.json()["items"]] == [(body["name"], False)]
    assert (await client.get(SAVED, headers=stranger.headers)).json()["items"] == []
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    run = await client.post(f"{url}/run", json={}, headers=colleague.headers)
    assert [i["reference"] for i in run.json()["items"]] == _names(made, "park")
    [*_, (event, children)] = await _search_events(db, "incident.search")
    assert event.detail["saved_search_id"] == saved["id"] and event.actor_id == colleague.id
    assert children == {await _child(db, made["park"]["id"])}
    exported = await client.get(f"{url}/results.csv", headers=owner.headers)
    assert exported.status_code == 200 and "lantern-search-" in exported.headers["content-disposition"]
    assert [r["reference"] for r in csv.DictReader(io.StringIO(exported.text))] == _names(made, "park")

    # Only the owner changes or deletes it.
    assert (await client.patch(url, json={"name": "mine now"}, headers=colleague.headers)).status_code == 403
    assert (await client.delete(url, headers=colleague.headers)).status_code == 403
    renamed = await client.patch(
        url,
        json={"name": "County CCE, 7 days", "query": {"areas": ["leicestershire"], "last_days": 7}},
        headers=owner.headers,
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    assert renamed.json()["query"] == {"areas": ["leicestershire"], "last_days": 7}
    private = await client.patch(url, json={"private": True}, headers=owner.headers)
    assert private.json()["team"] is None
    assert (await client.get(url, headers=colleague.headers)).status_code == 404
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    async with db.session() as session:
        actions = (
            (
                await session.execute(
                    select(AuditEvent.action)
                    .where(AuditEvent.action.like("saved_search.%"))
                    .order_by(AuditEvent.seq)
                )
            )
            .scalars()
            .all()
        )
    assert actions == [
        "saved_search.create",
        "saved_search.update",
        "saved_search.update",
        "saved_search.delete",
    ]


async def test_saved_search_input_is_checked(client, night):
    people, _ = night
    owner = people["city_cce"]
    bad = await client.post(
        SAVED,
        json={"name": "x", "query": {"areas": ["atlantis"]}, "team": "county-cse"},
        headers=owner.headers,
    )
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["query.areas.0"]
    not_mine = await client.post(
        SAVED, json={"name": "x", "query": {}, "team": "county-cse"}, headers=owner.headers
    )
    assert not_mine.status_code == 422 and not_mine.json()["errors"][0]["field"] == "team"
    nameless = await client.post(SAVED, json={"query": {}}, headers=owner.headers)
    assert nameless.status_code == 422 and "name" in {e["field"] for e in nameless.json()["errors"]}


async def test_a_relative_window_is_counted_from_each_run(db, night):
    """Saved on day 0 as "last 28 days": run 10 days later, it no longer finds what was 25 days
    old when it was saved (a frozen window would)."""
    people, made = night
    manager = people["manager"]
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(made["park"]["id"]))
        incident.occurred_at = NOW - timedelta(days=25)
        session.add(
            SavedSearch(
                name="county CCE", owner_id=manager.id, query={"last_days": 28, "areas": ["leicestershire"]}
            )
        )
    async with db.session() as session:
        saved = (await session.execute(select(SavedSearch))).scalar_one()
        query = saved_searches.query_of(saved)
        assert query.last_days == 28 and query.from_ is None
        team_ids = (
            await session.execute(select(Membership.team_id).where(Membership.user_id == manager.id))
        ).scalars()
        actor = Actor(user=manager.user, roles=frozenset(manager.user.roles), team_ids=frozenset(team_ids))
        today, _, _ = await service.find(session, actor, query, now=NOW, limit=10)
        later, _, window = await service.find(session, actor, query, now=NOW + timedelta(days=10), limit=10)
    assert {str(i.id) for i in today} == {made["park"]["id"], made["grooming"]["id"]}
    assert {str(i.id) for i in later} == {made["grooming"]["id"]}
    assert window.start == NOW + timedelta(days=10) - timedelta(days=28)


async def test_a_current_code_finds_incidents_recorded_with_the_code_it_replaced(client, db, night):
    """Catalogue v3 replaced REL-OLDER-PARTNER with REL-CONTROLLING-ADULT: an incident stored
    with the old code (before v3) is found by the new one, and by the old one."""
    people, made = night
    async with db.session() as session:
        session.add(
            IncidentIndicator(
                incident_id=uuid.UUID(made["grooming"]["id"]),
                code="REL-OLDER-PARTNER",
                category="cse",
                provenance="observed",
                catalogue_version=2,
            )
        )
    manager = people["manager"]
    for code in ("REL-CONTROLLING-ADULT", "REL-OLDER-PARTNER"):
        assert await _refs(client, manager, indicators=[code]) == _names(made, "grooming"), code


async def test_the_contracts_names_serve_the_same_search_and_saved_searches(client, night):
    """api-contract.md names `POST /search` and `GET|POST /searches`; the PWA uses the longer names."""
    people, made = night
    worker = people["city_cce"]
    long = await client.post(QUERY, json={"kinds": ["missing_return"]}, headers=worker.headers)
    short = await client.post("/api/v1/search", json={"kinds": ["missing_return"]}, headers=worker.headers)
    assert short.status_code == 200 and long.status_code == 200
    assert [i["reference"] for i in short.json()["items"]] == [i["reference"] for i in long.json()["items"]]
    assert (
        await client.post("/api/v1/search", json={}, headers=people["partner"].headers)
    ).status_code == 403
    saved = await client.post(
        "/api/v1/searches",
        json={"name": "Returns", "query": {"kinds": ["missing_return"]}},
        headers=worker.headers,
    )
    assert saved.status_code == 201, saved.text
    listed = await client.get("/api/v1/searches", headers=worker.headers)
    assert saved.json()["id"] in {s["id"] for s in listed.json()["items"]}
    assert listed.json() == (await client.get("/api/v1/saved-searches", headers=worker.headers)).json()
