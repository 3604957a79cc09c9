"""Clocks the incident starts, and the periodic pass that raises what is slipping to managers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.handover.models import Clock
from api.handover.service import clocks_for_incident
from api.incidents.models import Incident, TimelineEvent
from api.jobs.models import Job
from tests.handover_helpers import item_of, london, report_at, run_pass, utc


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _clock(item: dict, kind: str) -> dict:
    matches = [c for c in item["clocks"] if c["kind"] == kind]
    assert matches, f"no {kind} clock in {[c['kind'] for c in item['clocks']]}"
    return matches[-1]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _jobs(db, kind: str = "page.managers") -> list[Job]:
    async with db.session() as session:
        return list(
            (await session.execute(select(Job).where(Job.kind == kind).order_by(Job.created_at))).scalars()
        )


async def _timeline(db, incident_id: str, action: str) -> list[TimelineEvent]:
    async with db.session() as session:
        return list(
            (
                await session.execute(
                    select(TimelineEvent).where(
                        TimelineEvent.incident_id == uuid.UUID(incident_id), TimelineEvent.action == action
                    )
                )
            ).scalars()
        )


# --- Each clock starts from the right incident data ----------------------------------------


async def test_a_missing_return_starts_the_return_home_interview_clock(client, police, day):
    found = london(2026, 11, 24, 1, 40)
    created = await report_at(client, police, found)
    rhi = _clock(await item_of(client, day, created["id"]), "rhi_72h")
    assert _at(rhi["starts_at"]) == found
    assert _at(rhi["due_at"]) == found + timedelta(hours=72)
    assert rhi["source"] == "DfE statutory guidance on children who run away or go missing 2014"
    assert rhi["status"] in ("open", "approaching", "overdue") and rhi["met"] is False


async def test_a_stop_conversation_starts_only_the_handover_clock(client, police, day):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40), kind="stop_conversation")
    item = await item_of(client, day, created["id"])
    # Besides the front door's decision on the referral every incident makes (issue 13).
    assert [c["kind"] for c in item["clocks"] if c["kind"] != "referral_decision"] == ["handover"]
    assert [c["kind"] for c in item["clocks"]].count("referral_decision") == 1


async def test_police_protection_ends_72_hours_after_it_began(client, police, day):
    began = london(2026, 11, 23, 22, 15)
    created = await report_at(
        client,
        police,
        london(2026, 11, 23, 23, 0),
        kind="stop_conversation",
        custody={"status": "police_protection", "police_protection_started_at": began.isoformat()},
    )
    clock = _clock(await item_of(client, day, created["id"]), "police_protection_72h")
    assert _at(clock["starts_at"]) == began
    assert _at(clock["due_at"]) == began + timedelta(hours=72)


async def test_pace_reviews_are_information_from_detained_at_never_day_team_clocks(client, police, day):
    detained = _now() - timedelta(hours=2)
    created = await report_at(
        client,
        police,
        detained - timedelta(minutes=20),
        kind="arrest",
        custody={"status": "in_custody", "detained_at": detained.isoformat()},
    )
    item = await item_of(client, day, created["id"])
    assert "pace_review" not in {c["kind"] for c in item["clocks"]}
    shown = item["current_risk"]["custody_information"]
    assert _at(shown["detained_at"]) == detained
    assert _at(shown["first_review_at"]) == detained + timedelta(hours=6)
    assert _at(shown["next_review_at"]) == detained + timedelta(hours=6)
    assert _at(shown["detention_limit_at"]) == detained + timedelta(hours=24)
    detail = await client.get(f"/api/v1/incidents/{created['id']}", headers=day.headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["custody_information"]["detention_limit_at"] == shown["detention_limit_at"]

    # "In custody" without the time of detention: nothing is guessed from the incident's time.
    unknown = await report_at(
        client, police, detained, first_name="Unknown", kind="arrest", custody_status="in_custody"
    )
    item = await item_of(client, day, unknown["id"])
    shown = item["current_risk"]["custody_information"]
    assert shown["detained_at"] is None and "ask_police" in shown and "next_review_at" not in shown


async def test_a_charged_child_refused_bail_starts_the_transfer_clock(client, police, day):
    occurred = london(2026, 11, 24, 0, 30)
    refused = await report_at(
        client,
        police,
        occurred,
        kind="arrest",
        custody={"status": "in_custody", "charged": True, "bail_refused": True},
    )
    clock = _clock(await item_of(client, day, refused["id"]), "bail_refused_transfer")
    assert _at(clock["due_at"]) == _at(clock["starts_at"])  # an immediate action, not 24 hours
    assert _at(clock["starts_at"]) >= _now() - timedelta(minutes=5)  # from when police told us

    bailed = await report_at(
        client,
        police,
        occurred,
        first_name="Bailed",
        kind="arrest",
        custody={"status": "released", "charged": True, "bail_refused": False},
    )
    kinds = {c["kind"] for c in (await item_of(client, day, bailed["id"]))["clocks"]}
    assert "bail_refused_transfer" not in kinds


async def test_the_third_missing_episode_in_30_days_flags_a_repeat_missing_review(client, police, day, db):
    await report_at(client, police, london(2026, 10, 1, 23, 0))  # outside the 30 days
    first = await report_at(client, police, london(2026, 11, 2, 23, 0))
    second = await report_at(client, police, london(2026, 11, 12, 23, 0))
    arrest = await report_at(client, police, london(2026, 11, 20, 23, 0), kind="arrest")
    third = await report_at(client, police, london(2026, 11, 24, 1, 0))
    for created in (first, second, arrest):
        kinds = {c["kind"] for c in (await item_of(client, day, created["id"]))["clocks"]}
        assert "repeat_missing_review" not in kinds, created["reference"]
    flag = _clock(await item_of(client, day, third["id"]), "repeat_missing_review")
    assert "not the statutory strategy discussion" in flag["label"]
    assert _at(flag["due_at"]) == utc(2026, 11, 24, 9)
    assert len(await _timeline(db, third["id"], "clocks.started")) == 1


async def test_clocks_for_incident_lists_them_by_due_time(client, police, db):
    created = await report_at(
        client,
        police,
        london(2026, 11, 24, 1, 0),
        kind="missing_return",
        custody={"status": "in_custody", "charged": True, "bail_refused": True},
    )
    async with db.session() as session:
        clocks = await clocks_for_incident(session, uuid.UUID(created["id"]))
    # Missing, then held and refused bail: no return home yet, so no RHI clock until there is.
    assert [c["kind"] for c in clocks if c["kind"] != "referral_decision"] == [
        "handover",
        "bail_refused_transfer",
    ]
    assert [c["due_at"] for c in clocks] == sorted(c["due_at"] for c in clocks)


# --- Raised when slipping ------------------------------------------------------------------


async def test_an_overdue_clock_is_raised_to_managers_once(client, police, day, db):
    found = london(2026, 11, 24, 1, 40)
    created = await report_at(client, police, found)
    rhi = _clock(await item_of(client, day, created["id"]), "rhi_72h")
    due = _at(rhi["due_at"])

    await run_pass(db, due - timedelta(minutes=1))
    first = await run_pass(db, due + timedelta(minutes=1))
    assert first["clocks_raised"] >= 1
    raised = [e for e in await _timeline(db, created["id"], "clock.raised") if e.detail["kind"] == "rhi_72h"]
    assert [e.detail["alert"] for e in raised] == ["approaching", "overdue"]
    jobs = [
        j
        for j in await _jobs(db)
        if j.payload.get("clock_id") == rhi["id"] and j.payload["reason"] != "clock_due_before_handover"
    ]
    assert [j.payload["reason"] for j in jobs] == ["clock_approaching", "clock_overdue"]
    assert all(j.payload["urgency"] == "normal" for j in jobs)
    assert jobs[-1].payload["team_id"] == str((await item_of(client, day, created["id"]))["team"]["id"])

    repeat = await run_pass(db, due + timedelta(minutes=5))
    assert repeat["clocks_raised"] == 0 and repeat["items_raised"] == 0
    assert len([j for j in await _jobs(db) if j.payload.get("clock_id") == rhi["id"]]) == 3
    rhi = _clock(await item_of(client, day, created["id"]), "rhi_72h")
    assert rhi["raised_overdue_at"] is not None
    assert rhi["status"] == "overdue"


async def test_an_unowned_clock_is_raised_at_80_percent_but_an_owned_one_only_when_overdue(
    client, police, day, db
):
    found = london(2026, 11, 24, 1, 40)
    unowned = await report_at(client, police, found, first_name="Unowned")
    owned = await report_at(client, police, found, first_name="Owned")
    owned_item = await item_of(client, day, owned["id"])
    await client.post(f"/api/v1/handover/{owned_item['id']}/pickup", headers=day.headers)

    at_80 = found + timedelta(hours=72 * 0.8)
    await run_pass(db, at_80 - timedelta(minutes=1))
    assert not [
        e for e in await _timeline(db, unowned["id"], "clock.raised") if e.detail["kind"] == "rhi_72h"
    ]
    await run_pass(db, at_80)
    unowned_raises = [
        e for e in await _timeline(db, unowned["id"], "clock.raised") if e.detail["kind"] == "rhi_72h"
    ]
    assert [e.detail["alert"] for e in unowned_raises] == ["approaching"]
    assert not await _timeline(db, owned["id"], "clock.raised")

    await run_pass(db, found + timedelta(hours=73))
    owned_raises = [e.detail["alert"] for e in await _timeline(db, owned["id"], "clock.raised")]
    assert owned_raises == ["overdue"]


async def test_a_met_clock_is_never_raised(client, police, day, db):
    found = london(2026, 11, 24, 1, 40)
    created = await report_at(client, police, found)
    rhi = _clock(await item_of(client, day, created["id"]), "rhi_72h")
    done = {"outcome": "completed", "by": "RHI service", "independent": True}
    met = await client.post(f"/api/v1/clocks/{rhi['id']}/met", json=done, headers=day.headers)
    assert met.status_code == 200, met.text
    await run_pass(db, found + timedelta(hours=100))
    assert not [
        e for e in await _timeline(db, created["id"], "clock.raised") if e.detail["kind"] == "rhi_72h"
    ]


async def test_an_item_not_picked_up_by_1030_is_raised_to_managers(client, police, day, db):
    waiting = await report_at(client, police, london(2026, 11, 24, 1, 40), first_name="Waiting")
    taken = await report_at(client, police, london(2026, 11, 24, 2, 10), first_name="Taken")
    taken_item = await item_of(client, day, taken["id"])
    await client.post(f"/api/v1/handover/{taken_item['id']}/pickup", headers=day.headers)

    assert (await run_pass(db, utc(2026, 11, 24, 10, 29)))["items_raised"] == 0
    assert (await run_pass(db, utc(2026, 11, 24, 10, 30)))["items_raised"] == 1
    assert (await run_pass(db, utc(2026, 11, 24, 10, 45)))["items_raised"] == 0

    item = await item_of(client, day, waiting["id"])
    assert _at(item["escalated_at"]) == utc(2026, 11, 24, 10, 30)
    assert [h["action"] for h in item["history"]] == ["escalated"]
    assert "handover.escalated" in [e["action"] for e in item["what_happened"]["timeline"]]
    pages = [j for j in await _jobs(db) if j.payload["reason"] == "handover_not_picked_up"]
    assert [(j.payload["item_id"], j.payload["urgency"]) for j in pages] == [(item["id"], "normal")]
    assert pages[0].payload["reference"] == waiting["reference"]
    # The job carries ids and the reference only, never a name.
    assert "Waiting" not in str(pages[0].payload)
    assert (await item_of(client, day, taken["id"]))["escalated_at"] is None


async def test_the_1030_raise_follows_london_time_in_summer(client, police, day, db):
    created = await report_at(client, police, london(2026, 7, 14, 1, 0))  # due 08:00 UTC (09:00 BST)
    item = await item_of(client, day, created["id"])
    assert _at(item["due_at"]) == utc(2026, 7, 14, 8)
    assert (await run_pass(db, utc(2026, 7, 14, 9, 29)))["items_raised"] == 0
    assert (await run_pass(db, utc(2026, 7, 14, 9, 30)))["items_raised"] == 1


async def test_at_the_handover_a_responded_incident_becomes_handed_over(client, police, day, db):
    created = await report_at(client, police, london(2026, 11, 24, 1, 40))
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(created["id"]))
        incident.state = "support_recorded"
    await run_pass(db, utc(2026, 11, 24, 8, 59))
    assert (await item_of(client, day, created["id"]))["incident"]["state"] == "support_recorded"
    result = await run_pass(db, utc(2026, 11, 24, 9, 0))
    assert result["handed_over"] == 1
    item = await item_of(client, day, created["id"])
    assert item["incident"]["state"] == "handed_over"
    await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    assert (await item_of(client, day, created["id"]))["incident"]["state"] == "picked_up"


# --- The team's clocks ---------------------------------------------------------------------


async def test_the_team_clock_view_is_sorted_by_due_time_and_scoped(
    client, police, day, world, make_user, db
):
    late = await report_at(client, police, london(2026, 11, 24, 1, 0), first_name="Late")
    early = await report_at(
        client,
        police,
        london(2026, 11, 23, 20, 0),
        first_name="Early",
        custody={
            "status": "police_protection",
            "police_protection_started_at": london(2026, 11, 23, 19, 0).isoformat(),
        },
    )
    team_id = world.teams["city-cce"].id
    response = await client.get(f"/api/v1/teams/{team_id}/clocks", headers=day.headers)
    assert response.status_code == 200, response.text
    clocks = response.json()["clocks"]
    assert [c["due_at"] for c in clocks] == sorted(c["due_at"] for c in clocks)
    assert {c["incident_reference"] for c in clocks} == {late["reference"], early["reference"]}
    assert clocks[0]["kind"] == "handover"

    handover = next(c for c in clocks if c["kind"] == "police_protection_72h")
    await client.post(f"/api/v1/clocks/{handover['id']}/met", headers=day.headers)
    open_only = (await client.get(f"/api/v1/teams/{team_id}/clocks", headers=day.headers)).json()["clocks"]
    assert handover["id"] not in {c["id"] for c in open_only}
    everything = (
        await client.get(
            f"/api/v1/teams/{team_id}/clocks", params={"include_met": "true"}, headers=day.headers
        )
    ).json()["clocks"]
    assert handover["id"] in {c["id"] for c in everything}

    outsider = await make_user("day_team", teams_=["city-cse"])
    assert (await client.get(f"/api/v1/teams/{team_id}/clocks", headers=outsider.headers)).status_code == 403
    assert (await client.get(f"/api/v1/teams/{team_id}/clocks", headers=police.headers)).status_code == 403
    other = await client.post(f"/api/v1/clocks/{clocks[0]['id']}/met", headers=outsider.headers)
    assert other.status_code == 404
    async with db.session() as session:
        clock = await session.get(Clock, uuid.UUID(clocks[0]["id"]))
        assert clock.met_at is None
