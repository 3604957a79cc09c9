"""When the server comes back (issue 16), a list that said "No connection" loads again by itself
within seconds, as the header turns Live, and offers "Try again" while it cannot. (A list seen
before on this device shows from its saved copy instead: tests/e2e/test_offline_lists.py.)"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import bounded, new_context, service_worker_controls, sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@bounded(180)
async def test_the_incident_list_recovers_when_the_server_returns(live_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        # Signed in on Settings: neither the list nor the On call page (which counts the waiting
        # incidents) has been seen on this device, so there is no saved copy to show.
        await sign_in(page, live_server, "worker.cce", path="/settings")
        # The shell and every screen's chunk precached, else a reload with the server away fails.
        await service_worker_controls(page)
        live_server.stop()
        # The app opened while the server is away (from the service worker's copy), as a phone
        # left in a pocket and woken in a dead spot: no live stream has ever opened.
        await page.reload()
        await page.get_by_role("link", name="Incidents", exact=True).click()
        failed = page.get_by_test_id("load-error")
        await expect(failed).to_contain_text("No connection")
        await expect(failed.get_by_test_id("retry")).to_be_visible()

        live_server.serve()
        # Back by itself: no tap, no reload (the retry runs every 5 s, and at once on Live).
        await expect(page.get_by_test_id("load-error")).to_have_count(0, timeout=12_000)
        await expect(page.get_by_test_id("incident-list").locator("li").first).to_be_visible()
    finally:
        await context.close()
