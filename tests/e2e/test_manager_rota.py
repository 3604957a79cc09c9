"""The duty manager on a phone (390×844): from the board to the rota screen, creates a rotation,
edits it, gives it an end, ends it, deletes an override, and names a person in the team's
escalation policy; each step checked against the real API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.helpers import Api, bounded, new_context, sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@bounded(120)
async def test_a_manager_runs_the_rota_and_the_escalation_from_a_phone(live_server, chromium):
    from playwright.async_api import expect

    api = Api(live_server, "manager.duty")
    teams = {t["slug"]: t for t in await api.get("/teams")}
    team = teams["city-cce"]
    members = {m["display_name"]: m["id"] for m in await api.get(f"/teams/{team['id']}/members")}
    now = datetime.now(UTC)
    override = await api.post(
        f"/teams/{team['id']}/shifts",
        {
            "user_id": members["Priya Shah (CCE worker)"],
            "level": "primary",
            "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=6)).isoformat(),
        },
        expect=201,
    )
    name = f"Weekend {uuid.uuid4().hex[:5]}"

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await sign_in(page, live_server, "manager.duty")
        await page.get_by_role("link", name="Rotas and escalation").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Rotas and escalation")
        await page.get_by_test_id("rota-team").select_option(label=team["name"])

        # A new rotation.
        await page.get_by_role("button", name="New rotation").click()
        form = page.get_by_test_id("rotation-new")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Sam Okafor (CCE worker)").check()
        await form.get_by_test_id("rotation-start").fill((now - timedelta(days=1)).strftime("%Y-%m-%dT17:00"))
        await form.get_by_role("button", name="Create rotation").click()
        mine = page.get_by_test_id("rotation").filter(has_text=name)
        await expect(mine).to_contain_text("Sam Okafor (CCE worker)")
        box = await mine.get_by_role("button", name="Edit").bounding_box()
        assert box is not None and box["height"] >= 24 and box["x"] + box["width"] <= 390

        # Edited: a second member and an end date.
        await mine.get_by_role("button", name="Edit").click()
        edit = mine.get_by_test_id("rotation-edit")
        await edit.get_by_label("Priya Shah (CCE worker)").check()
        await edit.get_by_test_id("rotation-ends").fill((now + timedelta(days=20)).strftime("%Y-%m-%dT09:00"))
        await edit.get_by_role("button", name="Save rotation").click()
        await expect(page.get_by_test_id("announcement")).to_contain_text(f"Rotation {name} saved")
        await expect(mine).to_contain_text("Sam Okafor (CCE worker), Priya Shah (CCE worker)")
        await expect(mine).to_contain_text("ends")
        [stored] = [r for r in await api.get(f"/teams/{team['id']}/rotations") if r["name"] == name]
        assert stored["version"] == 2 and stored["ends_local"].startswith(
            (now + timedelta(days=20)).strftime("%Y-%m-%dT09:00")
        )

        # Ended now.
        await mine.get_by_role("button", name="End now").click()
        await expect(page.get_by_test_id("announcement")).to_contain_text(f"Rotation {name} ended")
        await expect(mine).to_contain_text("ended")
        [ended] = [r for r in await api.get(f"/teams/{team['id']}/rotations") if r["name"] == name]
        assert datetime.fromisoformat(ended["ends_at"]) <= datetime.now(UTC)

        # The override is deleted.
        row = page.get_by_test_id("override").filter(has_text="Priya Shah (CCE worker)")
        await expect(row).to_have_count(1)
        await row.get_by_role("button", name="Delete override").click()
        await expect(page.get_by_test_id("announcement")).to_contain_text(
            "Override of Priya Shah (CCE worker) deleted"
        )
        await expect(row).to_have_count(0)
        assert override["id"] not in {s["id"] for s in await api.get(f"/teams/{team['id']}/shifts")}

        # A named person as a new last level of the escalation policy.
        policy = page.get_by_test_id("policy")
        await policy.get_by_role("button", name="Add a level").click()
        last = policy.get_by_test_id("policy-level").last
        await last.get_by_test_id("level-target").select_option(label="A named person")
        await last.get_by_test_id("level-person").select_option(label="Priya Shah (CCE worker)")
        await policy.get_by_role("button", name="Save policy").click()
        await expect(page.get_by_test_id("announcement")).to_contain_text("Escalation policy saved")
        saved = await api.get(f"/teams/{team['id']}/escalation-policy")
        assert saved["levels"][-1]["target"] == "person"
        assert saved["levels"][-1]["user_id"] == members["Priya Shah (CCE worker)"]
        assert saved["levels"][-1]["display_name"] == "Priya Shah (CCE worker)"
    finally:
        await context.close()


@bounded(90)
async def test_a_worker_records_their_mobile_number_and_sees_it_masked(live_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker2.cce", path="/settings")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
        await expect(page.get_by_test_id("mobile-current")).to_have_text("No number recorded.")
        await page.get_by_label("UK mobile number").fill("01632 960123")
        await page.get_by_role("button", name="Save number").click()
        await expect(page.get_by_text("must be a UK mobile number")).to_be_visible()

        await page.get_by_label("UK mobile number").fill("07700 900123")
        await page.get_by_role("button", name="Save number").click()
        await expect(page.get_by_test_id("mobile-current")).to_have_text("Recorded: 07••• •••123")
        assert "900123" not in await page.content()
        # This demo service has no GOV.UK Notify key: no test SMS can be sent, and it says so.
        await expect(page.get_by_role("button", name="Send a test SMS")).to_be_disabled()
        await expect(page.get_by_text("SMS is not set up on this service yet")).to_be_visible()
        contact = await Api(live_server, "worker2.cce").get("/me/phone")
        assert contact["mobile_number"] == "07••• •••123"
    finally:
        await context.close()


@bounded(90)
async def test_the_rota_and_admin_screens_fit_a_320_px_phone(live_server, chromium):
    from playwright.async_api import expect

    narrow = {**PHONE_390, "viewport": {"width": 320, "height": 640}}
    for username, path, ready in (("manager.duty", "/rota", "policy"), ("admin", "/admin", "admin-users")):
        context = await new_context(chromium, **narrow)
        try:
            page = await context.new_page()
            await sign_in(page, live_server, username, path=path)
            await expect(page.get_by_test_id(ready)).to_be_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
        finally:
            await context.close()
