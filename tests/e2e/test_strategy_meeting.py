"""Strategy meetings about a place in the PWA (issue 15), at 390×844 in Chromium: the hub
coordinator opens the railway station's profile (the demo's meeting shows its open actions and
the next review), records a meeting with two actions, and sees them among the open actions;
marking one done takes it off the list; nothing is wider than the phone; axe finds nothing."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import axe_source
from tests.e2e.helpers import PHONE, bounded, new_context, sign_in
from tests.e2e.test_accessibility import Audit

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@bounded(120)
async def test_a_coordinator_records_a_meeting_about_the_station_and_sees_its_actions(live_server, chromium):
    from playwright.async_api import expect

    tag = uuid.uuid4().hex[:6]
    patrols = f"Evening patrols on platform 2 ({tag})"
    venue = f"Brief the ticket office staff ({tag})"
    audit = Audit()
    context = await new_context(chromium, **PHONE_390)
    await context.add_init_script(script=axe_source())
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "coordinator.hubs")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Places").click()
        await page.get_by_role("link", name="Leicester railway station").click()
        await expect(page.get_by_test_id("place-name")).to_have_text("Leicester railway station")
        actions = page.get_by_test_id("open-actions")
        # The demo's meeting: its actions and the review date.
        await expect(actions).to_contain_text("High-visibility patrols")
        await expect(page.get_by_test_id("next-review")).to_contain_text("Next review")
        before = await page.get_by_test_id("open-action").count()

        await page.get_by_test_id("record-meeting").click()
        form = page.get_by_test_id("meeting-form")
        await form.get_by_label("Name 1").fill("PS Amira Hale")
        await form.get_by_label("Agency 1").fill("British Transport Police")
        await form.get_by_label("Concerns").fill("Older males waiting by the taxi rank after school")
        await form.get_by_label("Action 1").select_option("patrols")
        await form.get_by_label("What, 1").fill(patrols)
        await form.get_by_label("Owner (person or agency), 1").fill("British Transport Police")
        await form.get_by_test_id("add-action").click()
        await form.get_by_label("Action 2").select_option("work_with_venue")
        await form.get_by_label("What, 2").fill(venue)
        await form.get_by_label("Owner (person or agency), 2").fill("Station operator")
        await form.get_by_label("Due, 2").fill("2099-01-31")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await audit.check(page, "strategy meeting form", "Place profile")
        await form.get_by_test_id("save-meeting").click()

        await expect(form).to_have_count(0)
        await expect(page.get_by_test_id("open-action")).to_have_count(before + 2)
        await expect(actions.get_by_role("listitem").filter(has_text=patrols)).to_contain_text("Patrols")
        venue_item = actions.get_by_role("listitem").filter(has_text=venue)
        await expect(venue_item).to_contain_text("Work with the venue")
        await expect(venue_item).to_contain_text("Station operator")
        await expect(venue_item).to_contain_text("31 Jan 2099")
        await expect(page.get_by_test_id("next-review")).to_contain_text(re.compile(r"Next review: .+open"))
        # No name in the address bar or the title.
        assert "Amira" not in page.url and await page.title() == "Lantern · Place profile"

        await venue_item.get_by_role("button", name="Mark done: Work with the venue").click()
        await expect(actions.get_by_role("listitem").filter(has_text=venue)).to_have_count(0)
        await expect(page.get_by_test_id("open-action")).to_have_count(before + 1)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await audit.check(page, "place profile with strategy", "Place profile")
    finally:
        await context.close()
    assert not audit.violations, audit.report()
