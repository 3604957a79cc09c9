"""A worker's disclosure made offline, then synced (issue 12), on a phone at 390×844.

The worker opens the incident with a signal, loses it (the browser context is offline and the
server is stopped, so nothing can reach it), adds an indicator the young person disclosed to
them, and it waits in the outbox. Back online it is sent once, as PATCH with If-Match and an
Idempotency-Key: triage runs again and the CSE team is routed. When someone else changed the
incident meanwhile, the 412 is shown on the incident page; the worker reloads and sends again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

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

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
DISCLOSED = "REL-CONTROLLING-ADULT"  # a CSE indicator: the CSE team is routed when it arrives


async def _phone(persistent_chromium):
    context = await persistent_chromium(**PHONE_390)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    page = context.pages[0] if context.pages else await context.new_page()
    return context, page


async def _open_with_signal(page, live_server, incident):
    from playwright.async_api import expect

    await sign_in(page, live_server, "worker.cce")
    await service_worker_controls(page)
    await page.goto(f"{live_server.url}/incidents/{incident['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Incident {incident['reference']}")
    form = page.get_by_test_id("disclosure-form")
    await expect(form.get_by_label("Indicator the young person disclosed to you")).to_be_enabled()
    return form


async def _disclosures(worker_api: Api, incident_id: str) -> list[dict]:
    detail = await worker_api.get(f"/incidents/{incident_id}")
    return [i for i in detail["indicators"] if i["provenance"] == "worker_disclosed"]


@bounded(120)
async def test_a_disclosure_saved_offline_is_sent_once_and_routes_the_cse_team(
    live_server, persistent_chromium
):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    worker_api = Api(live_server, "worker.cce")
    before = await worker_api.get(f"/incidents/{incident['id']}")
    assert "city-cse" not in {t["slug"] for t in before["teams"]}

    context, page = await _phone(persistent_chromium)
    try:
        form = await _open_with_signal(page, live_server, incident)
        # No signal: saved, encrypted, on the phone.
        await context.set_offline(True)
        await asyncio.to_thread(live_server.stop)
        await form.get_by_label("Indicator the young person disclosed to you").select_option(DISCLOSED)
        await page.get_by_test_id("disclosure-save").click()
        pending = page.get_by_test_id("pending-update")
        await expect(pending).to_contain_text("Saved on this device")
        await expect(pending).to_contain_text("has power or control over them")
        await expect(page.get_by_test_id("outbox-count")).to_have_text("1 unsent")

        # Back online: sent by itself, once; triage ran again and routed the CSE team.
        await asyncio.to_thread(live_server.serve)
        await context.set_offline(False)
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        after = await worker_api.get(f"/incidents/{incident['id']}")
        assert [i["code"] for i in await _disclosures(worker_api, incident["id"])] == [DISCLOSED]
        assert "city-cse" in {t["slug"] for t in after["teams"]}
        assert after["version"] == before["version"] + 1
        assert [e["action"] for e in after["timeline"]].count("indicators.disclosed") == 1
        # The page shows it as disclosed to the worker, and nothing is left to send.
        await page.reload()
        await expect(page.locator("#triage-h ~ ul.tags")).to_contain_text("disclosed to worker")
        await expect(page.get_by_test_id("pending-update")).to_have_count(0)
    finally:
        await context.close()


@bounded(120)
async def test_a_conflict_is_shown_and_the_worker_reloads_and_sends_again(live_server, persistent_chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    worker_api = Api(live_server, "worker.cce")
    custody = Api(live_server, "custody.euston")

    context, page = await _phone(persistent_chromium)
    try:
        form = await _open_with_signal(page, live_server, incident)
        seen = (await worker_api.get(f"/incidents/{incident['id']}"))["version"]
        await context.set_offline(True)
        await form.get_by_label("Indicator the young person disclosed to you").select_option(DISCLOSED)
        await page.get_by_test_id("disclosure-save").click()
        await expect(page.get_by_test_id("outbox-count")).to_have_text("1 unsent")

        # Meanwhile custody record a charge: the incident moves on past the version the phone saw.
        charged = await custody.request(
            "PATCH",
            f"/incidents/{incident['id']}",
            json={"charged_at": datetime.now(UTC).isoformat()},
            headers={"If-Match": f'"{seen}"'},
        )
        assert charged.status_code == 200, charged.text

        await context.set_offline(False)
        conflict = page.get_by_test_id("update-conflict")
        await expect(conflict).to_be_visible(timeout=LIVE_WAIT_MS)
        await expect(conflict).to_contain_text(f"you saw version {seen}; it is now version {seen + 1}")
        assert await _disclosures(worker_api, incident["id"]) == []  # nothing half-applied

        await conflict.get_by_test_id("update-reload").click()
        await expect(page.locator("#triage-h ~ ul.tags")).to_be_visible()
        await page.get_by_test_id("update-retry").click()
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        assert [i["code"] for i in await _disclosures(worker_api, incident["id"])] == [DISCLOSED]
        assert (await worker_api.get(f"/incidents/{incident['id']}"))["version"] == seen + 2
    finally:
        await context.close()


@bounded(120)
async def test_custody_record_a_charge_with_bail_refused_on_the_status_page(live_server, persistent_chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    assert incident["priority"] != "P1"
    context, page = await _phone(persistent_chromium)
    try:
        await sign_in(page, live_server, "custody.euston")
        await page.goto(f"{live_server.url}/reports/{incident['id']}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {incident['reference']}")
        form = page.get_by_test_id("custody-form")
        await form.get_by_label("What happened").select_option("charged")
        await form.get_by_label("Bail refused").check()
        await page.get_by_test_id("custody-save").click()
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        await expect(page.get_by_test_id("timeline")).to_contain_text("Custody event", timeout=LIVE_WAIT_MS)
    finally:
        await context.close()
    detail = await Api(live_server, "worker.cce").get(f"/incidents/{incident['id']}")
    assert detail["priority"] == "P1" and detail["custody_status"] == "charged_refused_bail"
    assert any(c["kind"] == "bail_refused_transfer" for c in detail["clocks"])
