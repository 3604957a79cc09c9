"""A place's profile and a network in the PWA: the worker opens Jordan's incident, follows its
place and reads the station's profile (3 incidents, the weekly chart and its table, Jordan,
Tee), in a chunk loaded only then; then Jordan's network (Tee and the car, twice each). Titles
carry no name; axe finds nothing; police are not offered them."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_source
from tests.e2e.helpers import DESKTOP, Api, bounded, new_context, sign_in
from tests.e2e.test_accessibility import AXE_RUN

pytestmark = pytest.mark.browser


@bounded(90)
async def test_the_worker_reads_the_station_profile_from_an_incident(live_server, chromium):
    from playwright.async_api import expect

    worker = Api(live_server, "worker.cce")
    incidents = await worker.get("/incidents")
    jordan = next(
        i for i in incidents["items"] if (i.get("young_person") or {}).get("first_name") == "Jordan"
    )
    context = await new_context(chromium, **DESKTOP)
    await context.add_init_script(script=axe_source())
    try:
        page = await context.new_page()
        chunks: list[str] = []
        page.on("request", lambda r: chunks.append(r.url) if "PlaceProfile" in r.url else None)
        await sign_in(page, live_server, "worker.cce", f"/incidents/{jordan['id']}")
        assert chunks == []  # not part of the shell
        await page.get_by_test_id("incident-place").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Leicester railway station")
        assert chunks, "the profile's chunk was fetched when the screen opened"
        assert await page.title() == "Lantern · Place"
        await expect(page.get_by_role("heading", name="Incidents (3)")).to_be_visible()
        await expect(page.get_by_test_id("weekly-chart").locator("rect.bar")).to_have_count(12)
        await page.get_by_test_id("weekly-chart").get_by_text("The numbers").click()
        await expect(page.get_by_test_id("weekly-chart").locator("tbody tr")).to_have_count(12)
        await expect(page.get_by_test_id("place-young-people")).to_contain_text("Jordan Reyes")
        await expect(page.get_by_test_id("place-concerns")).to_contain_text("Tee")
        await expect(page.locator("p.loading")).to_have_count(0)
        assert await page.evaluate(AXE_RUN) == []
        assert "/places/" in page.url and "Leicester" not in page.url

        # Jordan's network, from the incident: Tee and the car, each seen twice, as a picture
        # and as a table; the station among the places.
        await page.go_back()
        await page.get_by_test_id("network-link").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Network")
        assert await page.title() == "Lantern · Network"
        table = page.get_by_test_id("network-table")
        tee = table.locator("tr", has_text="Tee")
        await expect(tee.locator("td").nth(1)).to_have_text("2")
        car = table.locator("tr", has_text="Silver Vauxhall Corsa")
        await expect(car.locator("td").nth(1)).to_have_text("2")
        await expect(car).to_contain_text("Leicester railway station")
        await expect(page.get_by_test_id("network-picture").locator("rect.node")).to_have_count(2)
        await expect(page.locator("p.loading")).to_have_count(0)
        assert await page.evaluate(AXE_RUN) == []

        police_context = await new_context(chromium, **DESKTOP)
        try:
            police = await police_context.new_page()
            await sign_in(police, live_server, "custody.euston", page.url.replace(live_server.url, ""))
            await expect(police.get_by_role("heading", level=1)).to_have_text("Not available")
        finally:
            await police_context.close()
    finally:
        await context.close()
