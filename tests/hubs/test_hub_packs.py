"""Hub meetings (issue 15): the weekly pack of a hub's team (JSON, CSV, PDF), audited naming
every child shown; decisions recorded in the meeting, each an owner's clock that the next
week's pack shows outstanding, then done once the clock is met."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from api.audit.models import AuditEvent, AuditSubject
from api.auth.models import User
from api.demo import DEMO_PASSWORD, load_demo
from api.handover.demo import last_night
from api.hubs.weeks import week_of
from api.people.models import YoungPerson
from api.rota.schedule import LONDON

PACKS = "/api/v1/hubs/{hub}/packs/{week}"


async def _sign_in(client, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _demo_week() -> str:
    """The week of last night's reports (the current week, except Monday before 03:30)."""
    morning = last_night(datetime.now(UTC)) + timedelta(days=1)
    return str(week_of(datetime.combine(morning, time(1, 40), tzinfo=LONDON)))


async def _audits(db, action: str) -> list[tuple[AuditEvent, set]]:
    async with db.session() as session:
        events = list(
            (await session.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars()
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


async def _person(db, first: str) -> YoungPerson:
    async with db.session() as session:
        return (
            (await session.execute(select(YoungPerson).where(YoungPerson.first_name == first)))
            .scalars()
            .one()
        )


async def test_the_demo_pack_lists_jordan_as_repeat_with_his_places_and_peer(client, settings, db):
    await load_demo(settings)
    await load_demo(settings)  # idempotent: no second decision, no second report
    coordinator = await _sign_in(client, "coordinator.hubs")
    week = _demo_week()
    response = await client.get(PACKS.format(hub="city-cce", week=week), headers=coordinator)
    assert response.status_code == 200, response.text
    pack = response.json()
    assert pack["hub"] == {
        "slug": "city-cce",
        "name": "Leicester City CCE",
        "area": "leicester-city",
        "specialism": "cce",
    }
    assert pack["week"] == week
    people = {p["first_name"]: p for p in pack["young_people"]}
    jordan = people["Jordan"]
    assert jordan["status"] == "repeat"
    assert [i["place"]["name"] for i in jordan["incidents"]] == ["Leicester railway station"]
    assert jordan["places"][0] == {
        "id": jordan["places"][0]["id"],
        "name": "Leicester railway station",
        "incidents": 3,
    }
    assert [p["first_name"] for p in jordan["peers"]] == ["Kai"]
    assert {c["person"]["nickname"] for c in jordan["persons_of_concern"]} == {"Tee", None}
    assert jordan["missing_episodes_30d"] == 3 and jordan["missing_episodes_90d"] == 3
    # New this week: what his two earlier missing episodes never recorded.
    assert "ITM-MULTIPLE-PHONES" in {i["code"] for i in jordan["new_indicators"]}
    assert "MOV-OUT-OF-AREA" not in {i["code"] for i in jordan["new_indicators"]}
    assert "rhi_72h" in {c["kind"] for c in jordan["open_clocks"]}
    assert "Kai" in people and people["Kai"]["status"] == "repeat"
    assert people["Kai"]["nrm"] and people["Kai"]["nrm"][-1]["decision"] is None  # not yet decided
    assert "Amira" not in people  # a CSE child: the CSE hub's, not this one's

    station = next(p for p in pack["places"] if p["name"] == "Leicester railway station")
    assert station["incidents"] == 1 and sum(station["previous_weeks"]) == 2
    assert station["change"] == 1 - 2 / 4

    # Last week's meeting decided a context assessment for Leon: to follow up this week.
    [follow_up] = pack["follow_ups"]
    assert follow_up["young_person_name"] == "Leon Barker" and follow_up["kind"] == "context_assessment"
    assert follow_up["status"] == "outstanding" and follow_up["owner"]["display_name"] == "Day team CCE hub"

    [(event, subjects)] = await _audits(db, "hub.pack.read")
    assert event.detail["week"] == week and event.detail["format"] == "json"
    kai = await _person(db, "Kai")
    leon = await _person(db, "Leon")
    assert {jordan["id"], str(kai.id), str(leon.id)} <= {str(s) for s in subjects}
    assert len(subjects) == len({p["id"] for p in pack["young_people"]} | {str(leon.id)})

    exported = await client.get(PACKS.format(hub="city-cce", week=week) + ".csv", headers=coordinator)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert f"hub-pack-city-cce-{week}.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    jordan_row = next(r for r in rows if r["young_person"] == "Jordan Reyes")
    assert jordan_row["status"] == "repeat" and "Kai Whitlock" in jordan_row["peers"]
    assert "Leicester railway station x3" in jordan_row["places"]
    assert any(r["section"] == "place" and r["place"] == "Leicester railway station" for r in rows)
    assert any(r["section"] == "follow_up" and r["young_person"] == "Leon Barker" for r in rows)

    printed = await client.get(PACKS.format(hub="city-cce", week=week) + ".pdf", headers=coordinator)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.content)).pages)
    assert "Jordan Reyes - Repeat" in text and "Kai Whitlock" in text and "Leicester railway station" in text
    downloads = await _audits(db, "hub.pack.download")
    assert sorted(e.detail["format"] for e, _ in downloads) == ["csv", "pdf"]
    assert all(jordan["id"] in {str(s) for s in subjects} for _, subjects in downloads)


async def test_only_the_hubs_coordinators_and_managers_read_its_pack(client, settings, db, make_user):
    await load_demo(settings)
    week = _demo_week()
    url = PACKS.format(hub="city-cce", week=week)
    for username in ("worker.cce", "day.cce", "custody.euston", "admin", "partner.home"):
        headers = await _sign_in(client, username)
        assert (await client.get(url, headers=headers)).status_code == 403, username
        assert (await client.get(url + ".csv", headers=headers)).status_code == 403, username
    manager = await _sign_in(client, "manager.duty")
    assert (await client.get(url, headers=manager)).status_code == 200
    # A coordinator of the county's hubs only: the city's hub is not theirs (404, as unknown).
    county = await make_user("coordinator", teams_=["county-cce"])
    for hub in ("city-cce", "no-such-hub"):
        response = await client.get(PACKS.format(hub=hub, week=week), headers=county.headers)
        assert response.status_code == 404, hub
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        await client.get(PACKS.format(hub="county-cce", week=week), headers=county.headers)
    ).status_code == 200
    # The out-of-hours team is not a hub.
    general = await make_user("coordinator", teams_=["city-general"])
    assert (
        await client.get(PACKS.format(hub="city-general", week=week), headers=general.headers)
    ).status_code == 404
    coordinator = await _sign_in(client, "coordinator.hubs")
    for bad in ("2026-W60", "2026-49", "W49"):
        response = await client.get(PACKS.format(hub="city-cce", week=bad), headers=coordinator)
        assert response.status_code == 422, bad
    future = str(week_of(datetime.now(UTC)).shifted(2))
    response = await client.get(PACKS.format(hub="city-cce", week=future), headers=coordinator)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "week"
    reads = await _audits(db, "hub.pack.read")
    assert len(reads) == 2  # the manager's and the county coordinator's, nothing for the refusals


async def test_a_decision_is_the_owners_clock_and_outstanding_next_week_until_met(client, settings, db):
    await load_demo(settings)
    coordinator = await _sign_in(client, "coordinator.hubs")
    day = await _sign_in(client, "day.cce")
    jordan = await _person(db, "Jordan")
    async with db.session() as session:
        day_user = (await session.execute(select(User).where(User.username == "day.cce"))).scalar_one()
    now = datetime.now(UTC)
    this_week = week_of(now)
    last_week = this_week.shifted(-1)
    due = (now + timedelta(days=10)).astimezone(LONDON).date()
    decided = await client.post(
        "/api/v1/hubs/city-cce/decisions",
        headers=coordinator,
        json={
            "young_person_id": str(jordan.id),
            "kind": "programme_6_weeks",
            "owner_id": str(day_user.id),
            "due_on": due.isoformat(),
            "week": str(last_week),
            "note": "Six weeks with the CCE worker; review at the hub.",
        },
    )
    assert decided.status_code == 201, decided.text
    decision = decided.json()
    assert decision["status"] == "outstanding" and decision["week"] == str(last_week)
    assert decision["owner"]["id"] == str(day_user.id) and decision["kind_label"] == "6-week programme"

    # The owner's clock: in their own clocks and the team's, due at 17:00 London on the day.
    mine = (await client.get("/api/v1/me/clocks", headers=day)).json()["clocks"]
    [clock] = [c for c in mine if c["id"] == decision["clock_id"]]
    assert clock["kind"] == "hub_decision" and clock["label"] == "Hub decision: 6-week programme"
    assert clock["owner"]["id"] == str(day_user.id) and clock["status"] == "open"
    assert datetime.fromisoformat(clock["due_at"]).astimezone(LONDON).replace(
        tzinfo=None
    ) == datetime.combine(due, time(17, 0))
    # A coordinator owns no handover clock here (clocks are met by day teams and managers); their
    # clocks are the strategy reviews of their areas' places.
    theirs = await client.get("/api/v1/me/clocks", headers=coordinator)
    assert theirs.status_code == 200 and decision["clock_id"] not in {
        c["id"] for c in theirs.json()["clocks"]
    }

    # Next week's pack (this week's): outstanding, for Jordan and among the follow-ups.
    url = PACKS.format(hub="city-cce", week=str(this_week))
    pack = (await client.get(url, headers=coordinator)).json()
    assert decision["id"] in {d["id"] for d in pack["follow_ups"] if d["status"] == "outstanding"}
    entry = next((p for p in pack["young_people"] if p["id"] == str(jordan.id)), None)
    if entry is not None:  # Jordan came through this week (always, except Monday before 03:30)
        assert [d["id"] for d in entry["actions"]] == [decision["id"]]

    met = await client.post(
        f"/api/v1/clocks/{decision['clock_id']}/met", headers=day, json={"note": "Started"}
    )
    assert met.status_code == 200, met.text
    pack = (await client.get(url, headers=coordinator)).json()
    [done] = [d for d in pack["follow_ups"] if d["id"] == decision["id"]]
    assert done["status"] == "done" and done["done_at"] is not None
    assert decision["clock_id"] not in {
        c["id"] for c in (await client.get("/api/v1/me/clocks", headers=day)).json()["clocks"]
    }

    # A decision of this week's meeting shows in this week's pack as decided.
    now_decided = await client.post(
        "/api/v1/hubs/city-cce/decisions",
        headers=coordinator,
        json={
            "young_person_id": str(jordan.id),
            "kind": "disruption_action",
            "owner_id": str(day_user.id),
            "due_on": due.isoformat(),
        },
    )
    assert now_decided.status_code == 201, now_decided.text
    assert now_decided.json()["week"] == str(this_week)
    pack = (await client.get(url, headers=coordinator)).json()
    if entry is not None:
        entry = next(p for p in pack["young_people"] if p["id"] == str(jordan.id))
        assert [d["kind"] for d in entry["decisions"]] == ["disruption_action"]
    recorded = await _audits(db, "hub.decision.recorded")
    assert {str(e.resource_id) for e, _ in recorded} >= {decision["id"], now_decided.json()["id"]}
    assert all(e.young_person_id == jordan.id for e, _ in recorded if str(e.resource_id) == decision["id"])


async def test_bad_decisions_are_422_naming_the_fields(client, settings, db):
    await load_demo(settings)
    coordinator = await _sign_in(client, "coordinator.hubs")
    jordan = await _person(db, "Jordan")
    amira = await _person(db, "Amira")
    async with db.session() as session:
        users = {u.username: u.id for u in (await session.execute(select(User))).scalars()}
    today = datetime.now(UTC).astimezone(LONDON).date()

    async def post(body, hub="city-cce", headers=coordinator):
        return await client.post(f"/api/v1/hubs/{hub}/decisions", headers=headers, json=body)

    good = {
        "young_person_id": str(jordan.id),
        "kind": "strategy_discussion",
        "owner_id": str(users["day.cce"]),
        "due_on": (today + timedelta(days=7)).isoformat(),
    }
    cases = [
        ({**good, "kind": "lock_him_up"}, "kind"),
        ({**good, "owner_id": str(users["worker.cce"])}, "owner_id"),  # a worker cannot meet clocks
        ({**good, "owner_id": str(users["day.cse"])}, "owner_id"),  # not of this hub's team
        ({**good, "young_person_id": str(amira.id)}, "young_person_id"),  # never came through it
        ({**good, "due_on": (today - timedelta(days=30)).isoformat()}, "due_on"),
        ({**good, "due_on": (today + timedelta(days=800)).isoformat()}, "due_on"),
        ({**good, "week": "2026-W99"}, "week"),
        ({**good, "surprise": 1}, "surprise"),
        ({k: v for k, v in good.items() if k != "owner_id"}, "owner_id"),
    ]
    for body, field in cases:
        response = await post(body)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}, (
            field,
            response.json(),
        )
    day = await _sign_in(client, "day.cce")
    assert (await post(good, headers=day)).status_code == 403
    elsewhere = await post(good, hub="county-cce")  # his incidents went to the city's hub
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "young_person_id"
    assert (await post(good, hub="city-general")).status_code == 404
    assert (await post(good)).status_code == 201


async def test_a_decision_withdrawn_with_a_reason_leaves_the_owners_clocks_and_shows_withdrawn(
    client, settings, db
):
    await load_demo(settings)
    coordinator = await _sign_in(client, "coordinator.hubs")
    day = await _sign_in(client, "day.cce")
    jordan = await _person(db, "Jordan")
    async with db.session() as session:
        day_user = (await session.execute(select(User).where(User.username == "day.cce"))).scalar_one()
    now = datetime.now(UTC)
    this_week = week_of(now)
    due = (now + timedelta(days=10)).astimezone(LONDON).date()
    decided = await client.post(
        "/api/v1/hubs/city-cce/decisions",
        headers=coordinator,
        json={
            "young_person_id": str(jordan.id),
            "kind": "strategy_discussion",
            "owner_id": str(day_user.id),
            "due_on": due.isoformat(),
            "week": str(this_week.shifted(-1)),
        },
    )
    assert decided.status_code == 201, decided.text
    decision = decided.json()
    url = f"/api/v1/hubs/city-cce/decisions/{decision['id']}/withdraw"

    # Only the hub's coordinators and managers, with a reason.
    assert (await client.post(url, json={"reason": "x"}, headers=day)).status_code == 403
    missing = await client.post(url, json={}, headers=coordinator)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    other = await client.post(
        f"/api/v1/hubs/city-cce/decisions/{uuid.uuid4()}/withdraw", json={"reason": "x"}, headers=coordinator
    )
    assert other.status_code == 404

    reason = "Jordan moved to a placement out of the area; the new area's hub takes it on."
    withdrawn = await client.post(url, json={"reason": reason}, headers=coordinator)
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert body["status"] == "withdrawn" and body["done_at"] is None and not body["overdue"]
    assert body["withdrawn_reason"] == reason and body["withdrawn_by"]["display_name"]
    again = await client.post(url, json={"reason": reason}, headers=coordinator)
    assert again.status_code == 409

    # Off the owner's clocks; this week's pack shows it withdrawn among the follow-ups.
    mine = (await client.get("/api/v1/me/clocks", headers=day)).json()["clocks"]
    assert decision["clock_id"] not in {c["id"] for c in mine}
    pack = (await client.get(PACKS.format(hub="city-cce", week=str(this_week)), headers=coordinator)).json()
    [follow_up] = [d for d in pack["follow_ups"] if d["id"] == decision["id"]]
    assert follow_up["status"] == "withdrawn" and follow_up["withdrawn_reason"] == reason
    # Never met: the clock is closed as withdrawn, and meeting it afterwards changes nothing.
    met = await client.post(f"/api/v1/clocks/{decision['clock_id']}/met", headers=day, json={})
    assert met.status_code == 200 and met.json()["outcome"] == "withdrawn"
    pack = (await client.get(PACKS.format(hub="city-cce", week=str(this_week)), headers=coordinator)).json()
    assert next(d for d in pack["follow_ups"] if d["id"] == decision["id"])["status"] == "withdrawn"
    [(event, _)] = await _audits(db, "hub.decision.withdrawn")
    assert reason not in str(event.detail) and event.young_person_id == jordan.id
