"""The day team's screen for the demo's county-lines arrest (issue 13): "Consider an NRM
referral" with its reasons, the note that children need no consent, the s45 flag after the
charge, and the decision recorded from the card; then the incident's referral to the front
door, its receipt recorded and its PDF downloaded."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import DESKTOP, Api, bounded, new_context, sign_in

pytestmark = pytest.mark.browser


@bounded(90)
async def test_the_day_team_sees_the_nrm_prompt_and_records_the_decision(live_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **DESKTOP)
    try:
        day = await context.new_page()
        await sign_in(day, live_server, "day.cce")
        # The arrest's card (the demo's 03:00 charge of another child raises one too).
        action = day.get_by_test_id("nrm-action").filter(has_text="Drugs or cash with travel out of area")
        await expect(action).to_have_count(1)
        await expect(action.get_by_role("heading", level=3)).to_have_text("Consider an NRM referral")
        await expect(action).to_contain_text("Drugs or cash with travel out of area (county lines)")
        await expect(action).to_contain_text("Children need no consent for an NRM referral")
        await expect(action.get_by_test_id("s45-flag")).to_contain_text(
            "Possible Modern Slavery Act s45 defence: tell the youth justice service and the "
            "defence solicitor"
        )
        # Sending without the reason is stopped on the phone (and would be 422 on the server).
        await action.get_by_label("Not referred").check()
        await action.get_by_role("button", name="Record the NRM decision").click()
        await expect(action.get_by_role("alert")).to_contain_text("Add why not.")
        await action.get_by_label("Why not").fill("Referred last week by the youth offending service")
        await action.get_by_role("button", name="Record the NRM decision").click()
        await expect(action.get_by_test_id("nrm-decision")).to_contain_text(
            "Not referred: Referred last week by the youth offending service (recorded by Day team CCE hub"
        )
        queue = await Api(live_server, "day.cce").get("/handover")
        [kai] = [i for i in queue["items"] if i["nrm"] and "county-lines-travel" in i["nrm"]["rules"]]
        assert kai["nrm"]["decision"] == "not_referred"

        # The incident's referral to children's services: where it went, its clock, receipt.
        card = day.get_by_test_id("handover-item").filter(has=action)
        await card.get_by_role("link", name=kai["incident"]["reference"]).click()
        referral = day.get_by_test_id("referral")
        await expect(referral).to_contain_text("children's services front door (MASH)")
        await expect(day.get_by_test_id("referral-status")).to_contain_text("Not yet received; decision due")
        await day.get_by_label("Who at the receiving team took it").fill("MASH duty desk")
        await day.get_by_role("button", name="Record receipt").click()
        await expect(day.get_by_test_id("referral-status")).to_contain_text("Received by MASH duty desk")
        async with day.expect_download() as pdf:
            await day.get_by_role("button", name="Download PDF").click()
        assert (await pdf.value).suggested_filename == f"lantern-referral-{kai['incident']['reference']}.pdf"
    finally:
        await context.close()
