"""Morning: a handover nobody picked up by 10:30 reaches the team's managers on their phones."""

from __future__ import annotations

from datetime import timedelta

from api.handover.raising import raise_time
from tests.handover_helpers import london, report_at
from tests.paging_helpers import bounded, make_crew, paging_settings


@bounded(60)
async def test_unpicked_handover_pages_the_managers_without_a_name(
    client, db, world, make_user, settings, push, worker
):
    paging_settings(settings, push)
    settings.push_timeout_seconds = 10.0  # a loaded CI machine must not turn this into a retry
    crew = await make_crew(client, db, world, make_user, push)
    created = await report_at(client, crew.police, london(2026, 11, 24, 23, 0))
    item_due = london(2026, 11, 25, 9, 0)
    # The night's page and its escalations run first, so only the morning alert is left to see.
    await worker.drain(now=london(2026, 11, 25, 8, 0))
    push.reset()

    morning = raise_time(item_due) + timedelta(minutes=1)
    counts = await worker.audit(now=morning)
    assert counts["handover_items_raised"] == 1
    await worker.drain(now=morning)

    [alert] = await push.wait_for_async(1, timeout=10)
    assert alert.subscription_id == crew.phones["manager"][0].id
    assert alert.payload["type"] == "alert"
    assert alert.payload["alert"] == "handover_not_picked_up"
    assert alert.payload["reference"] == created["reference"]
    assert "Jordan" not in str(alert.payload) and "Reyes" not in str(alert.payload)

    # A second pass raises nothing new: one alert per item.
    again = await worker.audit(now=morning + timedelta(minutes=5))
    assert again["handover_items_raised"] == 0
    await worker.drain(now=morning + timedelta(minutes=5))
    assert len(push.received) == 1
