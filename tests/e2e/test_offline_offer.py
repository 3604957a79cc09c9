"""(2) Offline: a worker records a support offer with no signal, reloads (the shell still loads),
closes and relaunches the same browser profile, goes online, and the server holds exactly one
offer.

"No signal" is real here: the browser context is offline (DevTools emulation) *and* the server is
stopped, so nothing (page, service worker or Background Sync) can reach it and the shell can only
come from the service worker's precache. Back online, the same server restarts on the same port
with the same database.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.helpers import (
    LIVE_WAIT_MS,
    PHONE,
    WAIT_MS,
    Api,
    bounded,
    report_incident,
    service_worker_controls,
    sign_in,
    unique_name,
)

pytestmark = pytest.mark.browser

NOTES = "Lift home to her nan's; nan met us at the door"


async def _phone(persistent_chromium, **options):
    context = await persistent_chromium(**PHONE, **options)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    page = context.pages[0] if context.pages else await context.new_page()
    return context, page


@bounded(120)
async def test_an_offer_saved_offline_survives_reload_and_restart_and_is_stored_once(
    live_server, persistent_chromium
):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    worker_api = Api(live_server, "worker.cce")
    offers_path = f"/incidents/{incident['id']}/support-offers"
    incident_url = f"{live_server.url}/incidents/{incident['id']}"

    # With a signal: sign in, let the service worker install, open the incident once.
    context, page = await _phone(persistent_chromium)
    try:
        await sign_in(page, live_server, "worker.cce")
        await service_worker_controls(page)
        await page.goto(incident_url)
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Incident {incident['reference']}")
        offer_form = page.get_by_test_id("offer-form")
        await expect(offer_form.get_by_label("Kind of support")).to_be_enabled()

        # No signal at the station: the offer is saved, encrypted, on the phone.
        await context.set_offline(True)
        await asyncio.to_thread(live_server.stop)
        await offer_form.get_by_label("Kind of support").select_option("safe_transport")
        await offer_form.get_by_label("Accepted").check()
        await offer_form.get_by_label("Notes (optional)").fill(NOTES)
        await page.get_by_test_id("offer-save").click()
        pending = page.get_by_test_id("offer-pending")
        await expect(pending).to_contain_text("Saved on this device")
        await expect(page.get_by_test_id("outbox-count")).to_have_text("1 unsent")

        # Reload with no signal: the precached shell loads, the offer is still waiting.
        await page.reload()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Incident {incident['reference']}")
        await expect(page.get_by_test_id("connection")).to_have_text("Offline")
        await expect(page.get_by_test_id("outbox-count")).to_have_text("1 unsent")
        await expect(page.get_by_test_id("offer-pending")).to_contain_text(NOTES)
    finally:
        await context.close()

    # The phone is switched off and on again, still without a signal.
    context, page = await _phone(persistent_chromium, offline=True)
    try:
        await page.goto(incident_url)
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Incident {incident['reference']}")
        await expect(page.get_by_test_id("outbox-count")).to_have_text("1 unsent")
        await expect(page.get_by_test_id("offer-pending")).to_contain_text("Saved on this device")

        # Back online: it is sent by itself, once.
        await asyncio.to_thread(live_server.serve)
        await context.set_offline(False)
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        offers = await worker_api.get(offers_path)
        assert len(offers) == 1, offers
        [offer] = offers
        assert (offer["kind"], offer["outcome"], offer["notes"]) == ("safe_transport", "accepted", NOTES)
        assert offer["captured_offline"] is True
        assert offer["version"] == 1

        # Opening the app again sends nothing twice.
        await page.reload()
        await expect(page.get_by_test_id("offer-list")).to_contain_text(NOTES)
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent")
        assert len(await worker_api.get(offers_path)) == 1
    finally:
        await context.close()
