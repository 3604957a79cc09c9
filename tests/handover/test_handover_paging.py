"""The day team's queue tells apart an incident still being paged (nobody on call has taken it,
it has not gone uncovered) from one the night's response has finished with: each item carries
its team's page while it escalates (`being_paged`: level and whom it pages), and None once
someone acknowledges it or every level went unanswered (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.handover_helpers import queue, report_at
from tests.paging_helpers import bounded, set_policy

pytestmark = pytest.mark.fake_push


def _by_incident(items: list[dict]) -> dict[str, dict]:
    return {i["incident"]["id"]: i for i in items}


@bounded(90)
async def test_an_item_says_it_is_still_being_paged_until_the_night_answers(client, crew, worker, make_user):
    day = await make_user("day_team", teams_=["city-cce"])
    await set_policy(client, crew, [("primary", 60), ("secondary", 60)])
    start = datetime.now(UTC)
    occurred = start - timedelta(minutes=30)
    taken = await report_at(client, crew.police, occurred, first_name="Taken")
    declined = await report_at(client, crew.police, occurred, first_name="Declined")
    unanswered = await report_at(client, crew.police, occurred, first_name="Unanswered")

    items = _by_incident(await queue(client, day, team="city-cce"))
    for created in (taken, declined, unanswered):
        paged = items[created["id"]]["being_paged"]
        where = (paged["level"], paged["levels"], paged["target"], paged["state"])
        assert where == (0, 2, "primary", "active")
        assert paged["team"]["slug"] == "city-cce"
        assert [p["id"] for p in paged["paging"]] == [str(crew.primary.id)]
        assert items[created["id"]]["state"] == "awaiting_pickup"

    # The primary takes one: the night's response has an owner, the item is the day team's.
    answer = await client.post(
        f"/api/v1/incidents/{taken['id']}/acknowledge",
        json={"action": "attending", "eta_minutes": 20},
        headers=crew.primary.headers,
    )
    assert answer.status_code == 200, answer.text
    # "Cannot attend – escalate" is no answer: the page goes on, to the secondary.
    answer = await client.post(
        f"/api/v1/incidents/{declined['id']}/acknowledge",
        json={"action": "cannot_attend"},
        headers=crew.primary.headers,
    )
    assert answer.status_code == 200, answer.text

    items = _by_incident(await queue(client, day, team="city-cce", state="awaiting_pickup"))
    assert items[taken["id"]]["being_paged"] is None
    escalated = items[declined["id"]]["being_paged"]
    assert (escalated["level"], escalated["target"]) == (1, "secondary")
    assert [p["id"] for p in escalated["paging"]] == [str(crew.secondary.id)]
    assert items[unanswered["id"]]["being_paged"]["level"] == 0

    # Nobody answers any level: uncovered, managers alerted; no longer "being paged".
    await worker.drain(now=start + timedelta(seconds=61))
    await worker.drain(now=start + timedelta(seconds=130))
    await worker.drain(now=start + timedelta(seconds=200))
    items = _by_incident(await queue(client, day, team="city-cce"))
    assert items[unanswered["id"]]["being_paged"] is None
    assert items[unanswered["id"]]["incident"]["uncovered"] is True
    assert items[declined["id"]]["being_paged"] is None

    # One item's read says the same as the queue.
    item_id = items[taken["id"]]["id"]
    one = await client.get(f"/api/v1/handover/{item_id}", headers=day.headers)
    assert one.status_code == 200, one.text
    assert one.json()["being_paged"] is None


@bounded(60)
async def test_each_teams_item_follows_its_own_teams_page(client, crew, make_user, world, db):
    """An incident routed to CSE and CCE: the CCE page answered, the CSE one still paging."""
    manager = await make_user("manager", teams_=["city-cce", "city-cse"])
    both = [{"code": "REL-CONTROLLING-ADULT"}, {"code": "ITM-DRUGS-CASH"}]
    created = await report_at(client, crew.police, datetime.now(UTC) - timedelta(minutes=30), indicators=both)
    answer = await client.post(
        f"/api/v1/incidents/{created['id']}/acknowledge",
        json={"action": "phoning"},
        headers=crew.primary.headers,
    )
    assert answer.status_code == 200, answer.text
    items = [i for i in await queue(client, manager) if i["incident"]["id"] == created["id"]]
    by_team = {i["team"]["slug"]: i["being_paged"] for i in items}
    assert by_team["city-cce"] is None
    assert by_team["city-cse"] is not None and by_team["city-cse"]["team"]["slug"] == "city-cse"
