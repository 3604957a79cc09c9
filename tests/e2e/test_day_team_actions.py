"""The day team's morning in the app (issue 16): pick an item up, mark its return home interview
met with an outcome, see who it could go to, close it with what was decided, and take last
night's report as CSV and PDF for the team chosen (at 390×844)."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import WAIT_MS, Api, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@bounded(180)
async def test_a_day_worker_meets_a_clock_and_closes_an_item(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(
        live_server, first, last, kind="missing_return", custody_status="not_detained"
    )
    reference = incident["reference"]
    # The night's worker took it: no longer "still being paged", it is the day team's to pick up.
    await Api(live_server, "worker.cce").post(
        f"/incidents/{incident['id']}/acknowledge", {"action": "phoning"}
    )
    context = await new_context(chromium, **PHONE_390, accept_downloads=True)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "day.cce", path="/handover")
        card = page.get_by_test_id("handover-item").filter(has_text=reference)
        await card.get_by_test_id("pickup").click()
        await page.get_by_role("button", name="Picked up").click()
        card = page.get_by_test_id("handover-item").filter(has_text=reference)
        await expect(card.get_by_test_id("picked-up")).to_be_visible()

        # The return home interview: met only with an outcome.
        await card.get_by_test_id("action-clocks").click()
        form = card.get_by_test_id("clock-met-form").filter(has_text="eturn home")
        await form.get_by_label("Outcome").select_option("declined")
        await form.get_by_role("button", name="Mark met").click()
        await expect(card.get_by_test_id("clock-met-form").filter(has_text="eturn home")).to_have_count(
            0, timeout=WAIT_MS
        )

        # Reassign offers the team's day workers and managers, not the owner.
        await card.get_by_test_id("action-reassign").click()
        reassign = card.get_by_test_id("reassign-form")
        await expect(reassign.get_by_label("Reassign to")).to_be_enabled()  # the colleagues loaded
        options = await reassign.locator("option").all_inner_texts()
        assert "Choose a colleague…" in options and len(options) >= 2, options

        # Close needs what was decided.
        await card.get_by_test_id("action-close").click()
        close = card.get_by_test_id("close-form")
        await expect(close.get_by_role("button")).to_be_disabled()
        await close.get_by_label("What was decided (required)").fill(
            "Return home interview declined; TAF review."
        )
        await close.get_by_role("button", name=f"Close {reference}").click()
        await expect(page.get_by_test_id("handover-item").filter(has_text=reference)).to_have_count(
            0, timeout=WAIT_MS
        )

        # Last night's report for the team as files, named by team and night (no names).
        async with page.expect_download() as csv_download:
            await page.get_by_test_id("handover-csv").first.click()
        saved = await csv_download.value
        assert saved.suggested_filename.startswith("lantern-handover-city-cce-")
        assert first not in saved.suggested_filename
        async with page.expect_download() as pdf_download:
            await page.get_by_test_id("handover-pdf").first.click()
        pdf = await pdf_download.value
        assert (await pdf.path()).read_bytes().startswith(b"%PDF")
    finally:
        await context.close()

    detail = await Api(live_server, "day.cce").get(f"/incidents/{incident['id']}")
    assert detail["state"] == "closed", detail["state"]
