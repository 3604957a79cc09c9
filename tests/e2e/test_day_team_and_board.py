"""The morning and the duty manager: the day team picks up an item of its handover queue and
opens the printable report (the server's HTML, under the app's CSP, with its stylesheet); the
manager's board shows an unacknowledged incident and drops it live once a worker takes it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import (
    DESKTOP,
    LIVE_WAIT_MS,
    Api,
    bounded,
    new_context,
    report_incident,
    sign_in,
    unique_name,
)

pytestmark = pytest.mark.browser


@bounded(90)
async def test_day_team_picks_up_and_prints_and_the_board_updates_live(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    manager_context = await new_context(chromium, **DESKTOP)
    day_context = await new_context(chromium, **DESKTOP)
    try:
        # The board lists the incident nobody has acknowledged yet...
        board = await manager_context.new_page()
        await sign_in(board, live_server, "manager.duty")
        unacknowledged = board.get_by_test_id("board-unacknowledged")
        await expect(unacknowledged).to_contain_text(incident["reference"])
        await expect(board.get_by_test_id("board-gaps")).to_be_visible()

        # ...until the worker on call takes it, and the live stream says so.
        worker = Api(live_server, "worker.cce")
        await worker.post(f"/incidents/{incident['id']}/acknowledge", {"action": "phoning"})
        await expect(board.get_by_text(incident["reference"])).to_have_count(0, timeout=LIVE_WAIT_MS)

        # An incident nobody has answered yet is not the day team's to pick up: it shows apart,
        # "still being paged", with whom it pages, and joins the queue once someone takes it.
        still = await report_incident(live_server, *unique_name())
        day = await day_context.new_page()
        await sign_in(day, live_server, "day.cce")
        await expect(day.get_by_role("heading", level=1)).to_have_text("Handover")
        being_paged = day.get_by_test_id("handover-being-paged")
        paged_card = being_paged.get_by_test_id("handover-paged-item").filter(has_text=still["reference"])
        await expect(paged_card.get_by_test_id("handover-paging")).to_contain_text("paging")
        await expect(paged_card.get_by_test_id("pickup")).to_have_count(0)
        ready = day.get_by_test_id("handover-item")
        await expect(ready.filter(has_text=incident["reference"])).to_be_visible()
        await expect(ready.filter(has_text=still["reference"])).to_have_count(0)
        await worker.post(f"/incidents/{still['id']}/acknowledge", {"action": "attending", "eta_minutes": 20})
        await expect(ready.filter(has_text=still["reference"])).to_be_visible(timeout=LIVE_WAIT_MS)
        await expect(being_paged.get_by_text(still["reference"])).to_have_count(0)

        # The day team picks up last night's first item.
        item = day.get_by_test_id("handover-item").first
        await expect(item).to_be_visible()
        reference = re.search(r"LAN-\d{4}-\d{6}", await item.get_by_role("heading", level=2).inner_text())[0]
        await item.get_by_test_id("pickup").click()
        await expect(day.get_by_test_id("announcement")).to_contain_text(f"{reference} picked up by you")
        await day.get_by_role("button", name="Picked up").click()
        picked = day.get_by_test_id("handover-item").filter(has_text=reference)
        await expect(picked.get_by_test_id("picked-up")).to_contain_text("Picked up by Day team CCE hub")
        queue = await Api(live_server, "day.cce").get("/handover?state=picked_up")
        [stored] = [i for i in queue["items"] if i["incident"]["reference"] == reference]
        assert stored["owner"]["display_name"] == "Day team CCE hub"

        # The printable report: the server's page, shown in the app with its print stylesheet.
        await day.get_by_test_id("handover-reports-city-cce").get_by_test_id("handover-report").click()
        frame = day.frame_locator("[data-testid=handover-report-frame]")
        await expect(frame.get_by_role("heading", level=1)).to_have_text("Handover report")
        await expect(frame.locator("main")).to_contain_text(reference)
        styled = await day.locator("[data-testid=handover-report-frame]").evaluate(
            "f => { const s = f.contentDocument.styleSheets; "
            "return s.length === 1 && s[0].cssRules.length > 0 }"
        )
        assert styled, "the report's stylesheet did not load under the CSP"
        await expect(day.get_by_test_id("handover-print")).to_be_enabled()
    finally:
        await day_context.close()
        await manager_context.close()
