"""(5) What the PWA keeps on a device holds no plaintext name: IndexedDB read raw from the page
(every database, store, index, key and value, binary included), the service worker's caches,
localStorage, the page title and the address.

Custody staff save a report about a named child with no signal (the outbox holds it, encrypted),
then send it; a worker opens the incident (a sealed copy is kept for offline use) and writes a
handover note naming the child with no signal. The name is on their screens, and nowhere at rest.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.helpers import (
    DESKTOP,
    LIVE_WAIT_MS,
    PHONE,
    READ_CACHES,
    READ_INDEXEDDB,
    READ_WEB_STORAGE,
    Api,
    bounded,
    new_context,
    service_worker_controls,
    sign_in,
    unique_name,
)

pytestmark = pytest.mark.browser

DATE_OF_BIRTH = "2010-05-04"


async def assert_nothing_personal_at_rest(page, *personal: str) -> dict:
    """Read everything the origin keeps on the device and look for each personal value."""
    stored = await page.evaluate(READ_INDEXEDDB)
    caches = await page.evaluate(READ_CACHES)
    web_storage = await page.evaluate(READ_WEB_STORAGE)
    title, url = await page.title(), page.url
    for value in personal:
        for where, text in (
            ("IndexedDB", stored["text"]),
            ("IndexedDB names", " ".join(stored["databases"] + stored["stores"] + stored["indexes"])),
            ("Cache Storage", caches["text"]),
            ("Web Storage", web_storage),
            ("title", title),
            ("URL", url),
        ):
            assert value.lower() not in text.lower(), f"{value!r} found in {where}"
    # The caches hold the app shell only, never an API answer.
    assert caches["urls"] and not [u for u in caches["urls"] if "/api/" in u]
    return stored


@bounded(120)
async def test_no_name_is_kept_in_plaintext_on_the_device(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    police_context = await new_context(chromium, **DESKTOP)
    worker_context = await new_context(chromium, **PHONE)
    try:
        # Custody staff write the report with no signal: it waits, encrypted, in the outbox.
        police = await police_context.new_page()
        await sign_in(police, live_server, "custody.euston")
        await service_worker_controls(police)
        await police.get_by_test_id("new-report").click()
        form = police.get_by_test_id("report-form")
        await expect(form.get_by_label("Found or arrested outside home area")).to_be_visible()
        await police_context.set_offline(True)
        await form.get_by_label("Missing return", exact=True).check()
        await form.get_by_label("First name").fill(first)
        await form.get_by_label("Last name").fill(last)
        await form.get_by_label("Date of birth (optional)").fill(DATE_OF_BIRTH)
        await form.get_by_label("Where (place or description)").fill(f"{last} Court, stairwell")
        await form.get_by_label("Circumstances (optional)").fill(f"{first} said an older man drove him there")
        await form.get_by_label("Found or arrested outside home area").check()
        await police.get_by_test_id("report-submit").click()
        await expect(police.get_by_test_id("local-reports")).to_contain_text("Saved on this device")
        await expect(police.get_by_test_id("outbox-count")).to_have_text("1 unsent")

        stored = await assert_nothing_personal_at_rest(police, first, last, DATE_OF_BIRTH, "older man")
        assert "records" in stored["stores"] and "[CryptoKey AES-GCM extractable=false]" in stored["text"]

        # Back online: sent, and its content dropped from the device.
        await police_context.set_offline(False)
        await expect(police.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        await assert_nothing_personal_at_rest(police, first, last, DATE_OF_BIRTH, "older man")
        [incident] = [
            i
            for i in (await Api(live_server, "custody.euston").get("/incidents"))["items"]
            if i["kind"] == "missing_return" and i["state"] in ("reported", "paging")
        ]

        # The worker opens it (a sealed copy is kept for offline use) and, with no signal,
        # writes a handover note that names the child.
        worker = await worker_context.new_page()
        await sign_in(worker, live_server, "worker.cce")
        await service_worker_controls(worker)
        await worker.goto(f"{live_server.url}/incidents/{incident['id']}")
        await expect(worker.get_by_test_id("young-person")).to_contain_text(f"{first} {last}")
        await worker_context.set_offline(True)
        await worker.get_by_label("What was done and why").fill(f"{first} is staying with his aunt tonight")
        await worker.get_by_test_id("handover-note-save").click()
        await expect(worker.get_by_test_id("handover-note-state")).to_have_text("Saved on this device")
        await expect(worker.get_by_test_id("outbox-count")).to_have_text("1 unsent")
        await assert_nothing_personal_at_rest(worker, first, last, DATE_OF_BIRTH, "aunt tonight")

        # Reloaded with no signal, the incident still shows from its sealed copy.
        await worker.reload()
        await expect(worker.get_by_test_id("young-person")).to_contain_text(f"{first} {last}")
        await worker_context.set_offline(False)
        await expect(worker.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=LIVE_WAIT_MS)
        await assert_nothing_personal_at_rest(worker, first, last, DATE_OF_BIRTH, "aunt tonight")
        notes = await Api(live_server, "worker.cce").get(f"/incidents/{incident['id']}/handover-notes")
        assert [n["text"] for n in notes] == [f"{first} is staying with his aunt tonight"]
    finally:
        await asyncio.gather(worker_context.close(), police_context.close())
