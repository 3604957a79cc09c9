"""A partner's home in the app (issue 16), on a phone (390×844): a residential home signs in to
"Report a concern", not Settings; reports a concern about a place, with a sign they saw; sees it
among what they reported (and the demo's earlier one), and nothing of anybody else's; the
navigation offers no case screens."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Api, bounded, new_context, sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@bounded(120)
async def test_a_partner_reports_a_concern_and_sees_only_theirs(live_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "partner.home")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Report a concern")
        assert page.url.rstrip("/") in {live_server.url, live_server.url + "/concerns"}
        nav = page.get_by_role("navigation", name="Main")
        assert await nav.get_by_role("link").all_inner_texts() == ["Concerns", "Settings", "Sign out"]
        mine = page.get_by_test_id("my-concern")
        await expect(mine.filter(has_text="Southfields Park")).to_be_visible()  # the demo's

        form = page.get_by_test_id("concern-form")
        await form.get_by_label("You are reporting for").select_option("residential_home")
        await form.get_by_label("The place").fill("Granby Street car park, top level")
        await form.get_by_label("Area", exact=True).select_option("leicester-city")
        await form.get_by_role("checkbox", name="Several phones or SIM cards").check()
        await form.get_by_label("Youngest apparent age (optional)").fill("14")
        await form.get_by_label("What you saw (optional)").fill(
            "Cars waiting with engines running after 22:00."
        )
        await form.get_by_test_id("concern-submit").click()
        await expect(form.get_by_test_id("concern-sent")).to_contain_text("Sent:")
        await expect(mine.filter(has_text="Granby Street car park")).to_contain_text("With the hub")
        await expect(mine.filter(has_text="Granby Street car park")).to_contain_text(
            "Several phones or SIM cards"
        )
        assert await page.title() == "Lantern · Report a concern"

        stored = await Api(live_server, "partner.home").get("/partner-concerns/mine")
        [new] = [c for c in stored["items"] if c["location"] == "Granby Street car park, top level"]
        assert new["area"] == "leicester-city" and new["indicators"] == ["ITM-MULTIPLE-PHONES"]
        assert new["youngest_apparent_age"] == 14 and new["hub"] is None
        # Another partner's concern never shows here; case screens are not theirs.
        await page.goto(live_server.url + "/search")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Not available")
    finally:
        await context.close()
