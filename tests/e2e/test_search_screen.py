"""Searching in the app (issue 16), on a phone (390×844): a day worker searches their teams'
incidents with the API's filters, opens a result, runs the hub's saved search and saves their
own; the filters travel in request bodies only (never a URL), and neither the address nor the
title ever holds a name. A coordinator searches too, and sees places rather than incidents."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import WAIT_MS, Api, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@bounded(150)
async def test_a_day_worker_searches_opens_a_result_and_saves_the_search(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    context = await new_context(chromium, **PHONE_390)
    api_urls: list[str] = []
    bodies: list[str] = []
    try:
        page = await context.new_page()

        def seen(request) -> None:
            if "/api/v1/incidents/query" in request.url or "/api/v1/saved-searches" in request.url:
                api_urls.append(request.url)
                bodies.append(request.post_data or "")

        page.on("request", seen)
        await sign_in(page, live_server, "day.cce")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Search")
        assert await page.title() == "Lantern · Search"

        # CCE indicators, arrests, at a location containing "bay 4", in the last 7 days.
        await page.get_by_label("When").select_option("7")
        await page.get_by_role("checkbox", name="CCE indicators").check()
        await page.get_by_role("checkbox", name="Arrest").check()
        await page.get_by_label("Location contains").fill("bay 4")
        await page.get_by_test_id("search-submit").click()
        results = page.get_by_test_id("search-results")
        hit = results.get_by_test_id("search-hit").filter(has_text=incident["reference"])
        await expect(hit).to_contain_text(first)
        await expect(page.get_by_test_id("announcement")).to_contain_text("found")
        assert page.url == live_server.url + "/search"
        assert first not in await page.title()
        [query] = [b for u, b in zip(api_urls, bodies, strict=True) if u.endswith("/incidents/query")]
        assert '"location_contains":"bay 4"' in query and '"last_days":7' in query
        assert '"indicator_categories":["cce"]' in query and '"kinds":["arrest"]' in query

        # Save these filters, shared with the team: they come back in the list, run again.
        await page.get_by_label("Name", exact=True).fill("Arrests at bay 4, last week")
        await page.get_by_label("Share with").select_option("city-cce")
        await page.get_by_test_id("save-search").click()
        await expect(page.get_by_test_id("announcement")).to_contain_text("Search saved")
        mine = page.get_by_test_id("saved-search").filter(has_text="Arrests at bay 4, last week")
        await expect(mine).to_contain_text("Yours")
        stored = await Api(live_server, "day.cce").get("/saved-searches")
        [saved] = [s for s in stored["items"] if s["name"] == "Arrests at bay 4, last week"]
        assert saved["team"] == "city-cce" and saved["query"]["location_contains"] == "bay 4"

        # The hub's standing question (the demo's saved search): run it, its filters in the form.
        await page.get_by_role("checkbox", name="CCE indicators").uncheck()
        standing = page.get_by_test_id("saved-search").filter(has_text="transport hubs")
        await standing.get_by_role("button", name="Run").click()
        await expect(results.get_by_test_id("search-window")).to_contain_text("transport hubs")
        await expect(results.get_by_test_id("search-hit").first).to_be_visible()
        await expect(page.get_by_role("checkbox", name="CCE indicators")).to_be_checked()
        assert any(u.endswith("/run") for u in api_urls)

        # A result opens the incident.
        await mine.get_by_role("button", name="Run").click()
        await results.get_by_role("link", name=incident["reference"]).click()
        await expect(page).to_have_url(live_server.url + f"/incidents/{incident['id']}", timeout=WAIT_MS)
        await expect(page.get_by_role("heading", level=1)).to_contain_text(incident["reference"])
        assert all("?" not in u for u in api_urls), api_urls
        assert all(first not in u for u in api_urls)
    finally:
        await context.close()


@bounded(90)
async def test_a_coordinator_searches_and_sees_places_not_incidents(live_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "coordinator.hubs", path="/search")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Search")
        await page.get_by_label("When").select_option("90")
        await page.get_by_label("Type of place").select_option("transport_hub")
        await page.get_by_test_id("search-submit").click()
        hit = page.get_by_test_id("search-hit").first
        await expect(hit).to_be_visible()
        # No incident link for a coordinator (the API's case roles open incidents); the place is.
        await expect(hit.get_by_role("link", name="Leicester railway station")).to_be_visible()
        assert await hit.locator("a[href^='/incidents/']").count() == 0
    finally:
        await context.close()
