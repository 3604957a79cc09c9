"""(1) Custody staff report an incident and see its status change, live, when a worker
acknowledges it on a phone in a second browser context."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.e2e.helpers import DESKTOP, LIVE_WAIT_MS, PHONE, Api, bounded, new_context, sign_in, unique_name

pytestmark = pytest.mark.browser


@bounded(90)
async def test_custody_staff_see_the_workers_acknowledgement_live(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    police_context = await new_context(chromium, **DESKTOP)
    worker_context = await new_context(chromium, **PHONE)
    try:
        # Custody staff at Euston St report an arrest through the form.
        police = await police_context.new_page()
        await sign_in(police, live_server, "custody.euston")
        await expect(police.get_by_role("heading", level=1)).to_have_text("My station's reports")
        await police.get_by_test_id("new-report").click()
        form = police.get_by_test_id("report-form")
        await form.get_by_label("Arrest", exact=True).check()
        await expect(form.get_by_label("Police station")).to_have_value("Euston St custody")
        await form.get_by_label("First name").fill(first)
        await form.get_by_label("Last name").fill(last)
        await form.get_by_label("Where (place or description)").fill("Leicester bus station, bay 4")
        await form.get_by_label("Found or arrested outside home area").check()
        await form.get_by_label("How known: Found or arrested outside home area").select_option("observed")
        await form.get_by_label("Custody status").select_option("in_custody")
        await police.get_by_test_id("report-submit").click()

        # Saved on the device, sent, and listed with its live status.
        await expect(police.get_by_role("heading", level=1)).to_have_text("My station's reports")
        await expect(police.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        ours = await _the_report_being_paged(live_server)
        report = police.get_by_test_id("station-reports").locator(f'a[href="/reports/{ours["id"]}"]')
        await expect(report).to_contain_text(ours["reference"])
        await expect(report.get_by_test_id("report-status")).to_have_text("Paging the on-call worker")
        await report.click()
        status = police.get_by_test_id("report-status")
        await expect(status).to_have_text("Paging the on-call worker")
        # Where it went and why, as the report's 201 said (issue 16), and each page names its team.
        routing = police.get_by_test_id("report-routing")
        await expect(routing).to_contain_text("Sent to Leicester City CCE")
        await expect(routing.locator("li").first).to_be_visible()
        await expect(police.get_by_test_id("timeline")).to_contain_text("Paging started — Leicester City CCE")
        await police.evaluate("window.__noReload = true")

        # The primary on call for Leicester City CCE acknowledges on a phone.
        worker = await worker_context.new_page()
        await sign_in(worker, live_server, "worker.cce")
        await worker.get_by_role("link", name="Incidents").click()
        await worker.get_by_role("link", name=re.compile(ours["reference"])).click()
        await expect(worker.get_by_role("heading", level=1)).to_have_text(f"Incident {ours['reference']}")
        await expect(worker.get_by_test_id("young-person")).to_contain_text(f"{first} {last}")
        await worker.get_by_label("ETA if attending").select_option("25")
        await worker.get_by_test_id("ack-attending").click()
        await expect(worker.get_by_test_id("ack-status")).to_contain_text("Attending, ETA 25 min")

        # Custody staff see it without reloading: the live stream carried the change.
        attending = re.compile(r"^A worker is attending, ETA 25 min; acknowledged at \d\d:\d\d$")
        await expect(status).to_have_text(attending, timeout=LIVE_WAIT_MS)
        await expect(police.locator("ol.steps li.done")).to_have_count(3)
        assert await police.evaluate("window.__noReload === true")
        # And police never see the young person's name on their status view.
        assert first not in await police.locator("main").inner_text()
    finally:
        await worker_context.close()
        await police_context.close()


async def _the_report_being_paged(live_server) -> dict:
    """The station's one report still being paged. "0 unsent" can show a moment before the
    server's answer is in the station's list, so ask until it is (bounded)."""
    deadline = time.monotonic() + LIVE_WAIT_MS / 1000
    while True:
        items = (await Api(live_server, "custody.euston").get("/incidents"))["items"]
        waiting = [i for i in items if i["state"] in ("paging", "reported")]
        if waiting or time.monotonic() > deadline:
            assert len(waiting) == 1, [i["state"] for i in items]
            return waiting[0]
        await asyncio.sleep(0.2)
