"""Hub meetings in the PWA (issue 15), at 390×844: the hub coordinator opens Hubs from the
navigation, this week's city CCE pack lists Jordan as repeat with his places and peer and last
week's decision about Leon to follow up, and records a decision for Jordan; it shows in the
pack, and as a clock under the owner's (the CCE day team's) handover queue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from api.rota.schedule import LONDON
from tests.e2e.conftest import axe_source
from tests.e2e.helpers import PHONE, Api, bounded, new_context, sign_in
from tests.e2e.test_accessibility import Audit

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@bounded(120)
async def test_a_coordinator_opens_the_pack_and_records_a_decision(live_server, chromium):
    from playwright.async_api import expect

    audit = Audit()
    context = await new_context(chromium, **PHONE_390)
    await context.add_init_script(script=axe_source())
    due = (datetime.now(UTC) + timedelta(days=14)).astimezone(LONDON).date().isoformat()
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "coordinator.hubs")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Hubs").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hub meetings")
        await page.get_by_role("link", name="Leicester City CCE").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hub pack")
        assert re.fullmatch(r"/hubs/city-cce/[0-9]{4}-W[0-9]{2}", page.url.removeprefix(live_server.url))
        assert await page.title() == "Lantern · Hub pack"
        await expect(page.get_by_test_id("follow-ups")).to_contain_text("Leon Barker")
        await expect(page.get_by_test_id("follow-ups")).to_contain_text("Context assessment")

        jordan = page.get_by_test_id("pack-person").filter(
            has=page.get_by_role("heading", name=re.compile("^Jordan Reyes"))
        )
        await expect(jordan.get_by_role("heading", level=3)).to_contain_text("Repeat")
        await expect(jordan.get_by_test_id("person-places")).to_contain_text("Leicester railway station")
        await expect(jordan.get_by_test_id("person-peers")).to_contain_text("Kai Whitlock")
        await expect(page.get_by_test_id("pack-places")).to_contain_text("Leicester railway station")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await audit.check(page, "hub pack", "Hub pack")

        form = jordan.get_by_test_id("decision-form")
        await form.get_by_label("Decision", exact=True).select_option("programme_6_weeks")
        await form.get_by_label("Owner", exact=True).select_option(label="Day team CCE hub")
        await form.get_by_label(re.compile("^Due date")).fill(due)
        await form.get_by_label("Note (optional)").fill("Six weeks with the CCE worker.")
        await form.get_by_role("button", name="Record decision").click()
        decided = jordan.get_by_test_id("person-decisions")
        await expect(decided).to_contain_text("6-week programme")
        await expect(decided).to_contain_text("Day team CCE hub")
        await expect(decided).to_contain_text("outstanding")
    finally:
        await context.close()
    assert not audit.violations, audit.report()

    clocks = (await Api(live_server, "day.cce").get("/me/clocks"))["clocks"]
    [clock] = [
        c for c in clocks if c["kind"] == "hub_decision" and c["label"] == "Hub decision: 6-week programme"
    ]
    assert clock["owner"]["display_name"] == "Day team CCE hub"

    # The owner sees it under their handover queue, with last week's decision about Leon.
    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "day.cce", path="/handover")
        mine = page.get_by_test_id("my-clocks")
        await expect(mine).to_contain_text("Hub decision: 6-week programme")
        await expect(mine).to_contain_text("Hub decision: Context assessment")
    finally:
        await context.close()
