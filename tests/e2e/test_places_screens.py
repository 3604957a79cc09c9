"""Places and peers in the PWA (issue 14), at 390×844: a worker opens Places from the
navigation, the railway station's profile (the station and its platform variant are one place
with 3 incidents) shows 3 incidents in its charts' tables, and Jordan's network shows Tee; axe
finds nothing on the three new screens."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.e2e.conftest import axe_source
from tests.e2e.helpers import PHONE, WAIT_MS, Api, bounded, new_context, sign_in, unique_name
from tests.e2e.test_accessibility import Audit

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@bounded(120)
async def test_a_worker_reads_the_station_profile_and_jordans_network(live_server, chromium):
    from playwright.async_api import expect

    audit = Audit()
    context = await new_context(chromium, **PHONE_390)
    await context.add_init_script(script=axe_source())
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker.cce")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Places").click()
        await audit.check(page, "places", "Places")
        await page.get_by_role("link", name="Leicester railway station").click()
        await expect(page.get_by_test_id("place-name")).to_have_text("Leicester railway station")
        assert re.fullmatch(r"/places/[0-9a-f-]{36}", page.url.removeprefix(live_server.url))
        assert await page.title() == "Lantern · Place profile"
        await expect(page.get_by_test_id("place-incidents")).to_contain_text("3 incidents")

        # The charts' numbers, as tables: 3 incidents by week and by category.
        weekly = page.get_by_test_id("weekly-table")
        await page.locator("#weekly-h ~ details > summary").click()
        await expect(weekly.get_by_role("row", name=re.compile("^Total"))).to_have_text(
            re.compile(r"Total\s*3$")
        )
        await page.locator("#categories-h ~ details > summary").click()
        await expect(
            page.get_by_test_id("categories-table").get_by_role("row", name=re.compile("^Total"))
        ).to_have_text(re.compile(r"Total\s*3$"))
        await page.locator("#heat-h ~ details > summary").click()
        cells = await page.get_by_test_id("heat-table").locator("tbody td").all_inner_texts()
        assert sum(int(c) for c in cells) == 3, cells
        await expect(page.get_by_test_id("concerns-table")).to_contain_text("Tee")
        # Nothing wider than the phone.
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await audit.check(page, "place profile", "Place profile")

        # From the young people seen there, Jordan's page, then the network.
        await page.get_by_test_id("young-table").get_by_role("link", name=re.compile("^Jordan")).click()
        await page.get_by_test_id("network-link").click()
        assert re.fullmatch(r"/young-people/[0-9a-f-]{36}/network", page.url.removeprefix(live_server.url))
        assert await page.title() == "Lantern · Network"
        table = page.get_by_test_id("network-table")
        tee = table.get_by_role("row", name=re.compile("^Tee"))
        await expect(tee).to_contain_text("2 incidents")
        await expect(tee).to_contain_text("Leicester railway station")
        await expect(table.get_by_role("row", name=re.compile("^Kai"))).to_be_visible()
        await expect(page.locator("svg.network text", has_text="Tee")).to_have_count(1)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await audit.check(page, "network", "Network")
    finally:
        await context.close()
    assert not audit.violations, audit.report()


@bounded(120)
async def test_custody_staff_choose_a_suggested_place_for_the_location(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    custody_api = Api(live_server, "custody.euston")
    before = {i["id"] for i in (await custody_api.get("/incidents"))["items"]}
    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "custody.euston", path="/report")
        form = page.get_by_test_id("report-form")
        await form.get_by_label("Stop conversation", exact=True).check()
        await form.get_by_label("First name").fill(first)
        await form.get_by_label("Last name").fill(last)
        await form.get_by_label("Where (place or description)").press_sequentially("Highcross multi")
        suggestions = page.get_by_test_id("place-suggestions")
        await suggestions.get_by_role("button", name=re.compile("^Highcross car park")).click()
        await expect(page.get_by_test_id("place-chosen")).to_contain_text("Highcross car park")
        await expect(suggestions).to_have_count(0)
        await page.get_by_test_id("report-submit").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("My station's reports")
        await expect(page.get_by_test_id("outbox-count")).to_have_text("0 unsent", timeout=WAIT_MS)
        # The page stays open until the server has the report: "0 unsent" can still be the
        # counter from before the outbox took the record, and closing the page would stop it.
        new: list[dict] = []
        for _ in range(80):  # sent from the outbox in the background: at most 20 s
            new = [i for i in (await custody_api.get("/incidents"))["items"] if i["id"] not in before]
            if new:
                break
            await asyncio.sleep(0.25)
    finally:
        await context.close()
    assert len(new) == 1, new
    incident = await Api(live_server, "manager.duty").get(f"/incidents/{new[0]['id']}")
    assert incident["location"]["description"] == "Highcross multi"  # the text typed stays
    assert incident["location"]["place"]["name"] == "Highcross car park"
