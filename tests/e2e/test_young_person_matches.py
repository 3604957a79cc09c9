"""Who the child is, in the PWA (issue 12): a worker opens the young person's page from the
incident, sees the possible match and confirms it (both records' incidents are listed); the duty
manager undoes the merge. A real server and Chromium at 390×844."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import PHONE, WAIT_MS, Api, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@bounded(120)
async def test_a_worker_confirms_a_possible_match_and_the_manager_undoes_it(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    older = await report_incident(live_server, first, last)
    newer = await report_incident(
        live_server, first, last, young_person={"first_name": first, "last_name": last}
    )  # no date of birth: a new record, and a possible match with the older one
    worker_api = Api(live_server, "worker.cce")
    person = (await worker_api.get(f"/incidents/{newer['id']}"))["young_person"]
    assert len(person["possible_matches"]) == 1

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker.cce")
        await page.goto(f"{live_server.url}/incidents/{newer['id']}")
        await page.get_by_test_id("possible-matches-link").click()
        await expect(page.get_by_test_id("person-name")).to_have_text(f"{first} {last}")
        match = page.get_by_test_id("possible-match")
        await expect(match).to_contain_text("born 04/05/2010")
        await expect(page.get_by_test_id("person-incidents").locator("li")).to_have_count(1)
        await match.get_by_role("button", name="Same child: merge").click()
        await expect(page.get_by_test_id("person-incidents").locator("li")).to_have_count(2, timeout=WAIT_MS)
        await expect(page.get_by_test_id("possible-match")).to_have_count(0)
        await expect(page.get_by_test_id("merges")).to_contain_text("Merged by Sam Okafor")
        await expect(page.get_by_role("button", name="Undo merge")).to_have_count(0)  # managers only
    finally:
        await context.close()

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "manager.duty")
        await page.goto(f"{live_server.url}/young-people/{person['id']}")
        await page.get_by_role("button", name="Undo merge").click()
        await expect(page.get_by_test_id("merges")).to_contain_text("undone by Duty manager")
        await expect(page.get_by_test_id("person-incidents").locator("li")).to_have_count(1)
        await expect(page.get_by_test_id("possible-match")).to_have_count(1)
    finally:
        await context.close()
    assert older["id"] != newer["id"]
