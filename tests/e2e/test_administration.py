"""The administrator on a phone (390×844) sets up a new area and police station, retires the
station and deactivates a user, from the app; the API agrees."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.helpers import Api, bounded, new_context, sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@bounded(90)
async def test_an_admin_sets_up_an_area_and_a_station_and_retires_them(live_server, chromium):
    from playwright.async_api import expect

    tag = uuid.uuid4().hex[:5]
    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "admin")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Administration")

        area = page.get_by_test_id("new-area")
        await area.get_by_label("Short name (slug)").fill(f"north-{tag}")
        await area.get_by_label("Name", exact=True).fill(f"North {tag}")
        await area.get_by_role("button", name="Create area").click()
        await expect(page.get_by_test_id("admin-areas")).to_contain_text(f"North {tag}")

        station = page.get_by_test_id("new-station")
        await station.get_by_label("Short name (slug)").fill(f"north-{tag}-custody")
        await station.get_by_label("Name", exact=True).fill(f"North {tag} custody")
        await station.get_by_label("Area (slug)").fill(f"north-{tag}")
        await station.get_by_role("button", name="Create station").click()
        stations = page.get_by_test_id("admin-stations")
        await expect(stations).to_contain_text(f"North {tag} custody")

        await page.get_by_role("button", name=f"Retire north-{tag}-custody").click()
        await expect(stations.get_by_text(f"North {tag} custody · north-{tag} · retired")).to_be_visible()
        await page.get_by_role("button", name="Deactivate worker2.cse").click()
        await expect(page.get_by_role("button", name="Reactivate worker2.cse")).to_be_visible()

        api = Api(live_server, "admin")
        [stored] = [s for s in await api.get("/stations") if s["slug"] == f"north-{tag}-custody"]
        assert stored["active"] is False
        [user] = [u for u in await api.get("/users") if u["username"] == "worker2.cse"]
        assert user["active"] is False
    finally:
        await context.close()
