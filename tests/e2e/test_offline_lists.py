"""The incident list and the On call page, seen online, still show offline (issue 16): from this
device's sealed copy, with the time it was saved, and with no name readable at rest."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    READ_CACHES,
    READ_INDEXEDDB,
    bounded,
    new_context,
    report_incident,
    service_worker_controls,
    sign_in,
    unique_name,
)

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@bounded(180)
async def test_the_last_list_and_on_call_answer_show_offline(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker.cce", path="/on-call")
        await expect(page.get_by_test_id("oncall-now")).to_be_visible()
        await page.get_by_role("link", name="Incidents", exact=True).click()
        listed = page.get_by_test_id("incident-list")
        await expect(listed).to_contain_text(incident["reference"])
        await expect(listed).to_contain_text(f"{first} {last}")
        await expect(page.get_by_test_id("saved-copy")).to_have_count(0)

        # The shell and every screen's chunk precached, else a reload with the server away fails.
        await service_worker_controls(page)
        live_server.stop()
        await page.reload()
        # The list as last seen, from its sealed copy, saying so and when.
        await expect(listed).to_contain_text(incident["reference"])
        await expect(listed).to_contain_text(f"{first} {last}")
        saved = page.get_by_test_id("saved-copy")
        await expect(saved).to_contain_text("Offline: the list as saved on this device at")
        await expect(saved).to_contain_text("It may be out of date.")
        await expect(page.get_by_test_id("load-error")).to_have_count(0)

        await page.get_by_role("link", name="On call", exact=True).click()
        await expect(page.get_by_test_id("oncall-now")).to_be_visible()
        await expect(page.get_by_text("Offline: your shifts as saved on this device at")).to_be_visible()
        await expect(page.get_by_test_id("load-error")).to_have_count(0)
        await page.get_by_role("link", name="Incidents", exact=True).click()
        await expect(listed).to_contain_text(incident["reference"])

        # Sealed at rest: neither the name nor the reference is readable in IndexedDB or the caches.
        stored = await page.evaluate(READ_INDEXEDDB)
        caches = await page.evaluate(READ_CACHES)
        for value in (first, last, incident["reference"]):
            assert value.lower() not in stored["text"].lower(), f"{value!r} in IndexedDB"
            assert value.lower() not in caches["text"].lower(), f"{value!r} in Cache Storage"
        assert "list:incidents" in stored["text"] and "list:on-call" in stored["text"]
        assert not [u for u in caches["urls"] if "/api/" in u]

        # Back online: the live list replaces the copy, by itself.
        live_server.serve()
        await expect(page.get_by_test_id("saved-copy")).to_have_count(0, timeout=12_000)
        await expect(listed).to_contain_text(incident["reference"])
    finally:
        await context.close()
