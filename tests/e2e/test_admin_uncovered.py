"""Nobody answers a page: it goes uncovered, every admin is paged, and the administrator opens
the incident in the app on a phone (390×844). Before that, the incident is not theirs to see."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import Api, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def quick_server(demo_template, tmp_path):
    """The demo, with ack timeouts allowed down to one second (so a page goes uncovered quickly)."""
    server = LiveServer(tmp_path, template=demo_template)
    server.env["LANTERN_MIN_ACK_TIMEOUT_SECONDS"] = "1"
    server.start()
    try:
        yield server
    finally:
        server.close()


@bounded(120)
async def test_an_admin_paged_for_an_uncovered_incident_opens_it(quick_server, chromium):
    from playwright.async_api import expect

    manager, admin = Api(quick_server, "manager.duty"), Api(quick_server, "admin")
    teams = {t["slug"]: t for t in await manager.get("/teams")}
    # An incident paged under the demo's policy (minutes per level) stays paging for the whole
    # test: the admin may not open it, whatever the machine's load (no race with a timeout).
    still_paging = await report_incident(quick_server, *unique_name())
    assert (await admin.request("GET", f"/incidents/{still_paging['id']}")).status_code == 404
    policy = await manager.request(
        "PUT",
        f"/teams/{teams['city-cce']['id']}/escalation-policy",
        json={"levels": [{"target": "primary", "ack_timeout_seconds": 2}], "repeat": 0},
    )
    assert policy.status_code == 200, policy.text
    first, last = unique_name()
    incident = await report_incident(quick_server, first, last)

    for _ in range(150):  # the in-process worker escalates after 2 s; bounded at 30 s
        if (await manager.get(f"/incidents/{incident['id']}/status"))["state"] == "uncovered":
            break
        await asyncio.sleep(0.2)
    else:
        pytest.fail("the page never went uncovered")
    assert (await manager.get(f"/incidents/{still_paging['id']}/status"))["state"] == "paging"
    assert (await admin.request("GET", f"/incidents/{still_paging['id']}")).status_code == 404

    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, quick_server, "admin", path=f"/incidents/{incident['id']}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Incident {incident['reference']}")
        await expect(page.get_by_text(last).first).to_be_visible()
    finally:
        await context.close()
