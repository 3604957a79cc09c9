"""A paged worker on a phone at 390×844 (issue 16): the answers are on the first screen of the
incident without a scroll; "Cannot attend – escalate" stands apart from the others and asks
before it escalates; what was done is said where the worker is looking."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Api, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

IN_VIEW = """(testid) => {
  const r = document.querySelector(`[data-testid=${testid}]`).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}"""
GAP = """() => {
  const a = document.querySelector('[data-testid=ack-phoning]').getBoundingClientRect();
  const b = document.querySelector('[data-testid=ack-cannot-attend]').getBoundingClientRect();
  return b.top - a.bottom;
}"""


@bounded(150)
async def test_escalating_is_asked_twice_and_said_in_view(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    context = await new_context(chromium, **PHONE_390)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker.cce", path=f"/incidents/{incident['id']}")
        await expect(page.get_by_test_id("ack-attending")).to_be_enabled()
        for control in ("ack-attending", "ack-phoning", "ack-cannot-attend"):
            assert await page.evaluate(IN_VIEW, control), f"{control} needs a scroll"
        assert await page.evaluate(GAP) >= 24, "Cannot attend sits too close to Phoning custody"

        # Kept: nothing is sent.
        await page.get_by_test_id("ack-cannot-attend").click()
        await page.get_by_test_id("ack-cannot-attend-keep").click()
        await expect(page.get_by_test_id("ack-confirm")).to_have_count(0)
        status = await Api(live_server, "worker.cce").get(f"/incidents/{incident['id']}")
        assert status["acknowledged_at"] is None

        await page.get_by_test_id("ack-cannot-attend").click()
        await page.get_by_test_id("ack-cannot-attend-confirm").click()
        done = page.get_by_test_id("ack-done")
        await expect(done).to_contain_text("Escalated")
        await expect(done).not_to_contain_text("Acknowledged")
        assert await page.evaluate(IN_VIEW, "ack-done")
    finally:
        await context.close()

    timeline = (await Api(live_server, "worker.cce").get(f"/incidents/{incident['id']}"))["timeline"]
    assert any(e["action"] == "page.declined" for e in timeline), [e["action"] for e in timeline]
