"""(4) axe-core finds no violations on any screen: sign-in, the worker's home, inbox and
incident detail (on a phone, dark and light), the report form, my station's reports and a
report's status, the handover queue and the printable report, the board, the outbox, settings
and sign-out; places, a place's profile and a child's network.

axe is injected with `add_init_script`, which the page's CSP (`script-src 'self'`, no inline
script) does not apply to: the pages are tested under their real policy.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import axe_source
from tests.e2e.helpers import DESKTOP, PHONE, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

AXE_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
  }));
}
"""


class Audit:
    def __init__(self) -> None:
        self.screens: list[str] = []
        self.violations: dict[str, list[dict]] = {}

    async def check(self, page, screen: str, heading: str | re.Pattern) -> None:
        from playwright.async_api import expect

        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        # Nothing still loading: axe sees the screen as a person would.
        await expect(page.locator("p.loading")).to_have_count(0)
        found = await page.evaluate(AXE_RUN)
        self.screens.append(screen)
        if found:
            self.violations[screen] = found

    def report(self) -> str:
        lines = []
        for screen, found in self.violations.items():
            for v in found:
                lines.append(f"{screen}: {v['id']} ({v['impact']}) {v['help']}")
                lines += [f"    {n}" for n in v["nodes"]]
        return "\n".join(lines)


async def _context(chromium, **options):
    context = await new_context(chromium, **options)
    await context.add_init_script(script=axe_source())
    return context


@bounded(150)
async def test_no_screen_has_accessibility_violations(live_server, chromium):
    from playwright.async_api import expect

    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    audit = Audit()

    # The on-call worker, on a phone set to dark (the theme follows it), then light in Settings.
    context = await _context(chromium, **PHONE, color_scheme="dark")
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "worker.cce")
        assert await page.evaluate("document.documentElement.dataset.theme") == "dark"
        await audit.check(page, "worker home", re.compile(r"^Hello, "))
        await page.get_by_role("link", name="Incidents").click()
        await audit.check(page, "inbox", "Incidents")
        await page.get_by_role("link", name=re.compile(incident["reference"])).click()
        await expect(page.get_by_test_id("offer-form").get_by_label("Kind of support")).to_be_enabled()
        await audit.check(page, "incident detail", f"Incident {incident['reference']}")
        await page.get_by_role("link", name="0 unsent").click()
        await audit.check(page, "outbox", "Outbox")
        await page.get_by_role("link", name="Settings").click()
        await audit.check(page, "settings", "Settings")
        await page.get_by_test_id("theme-light").click()
        await audit.check(page, "settings (light)", "Settings")
        await page.get_by_role("link", name="Incidents").click()
        await page.get_by_role("link", name=re.compile(incident["reference"])).click()
        await expect(page.get_by_test_id("offer-form").get_by_label("Kind of support")).to_be_enabled()
        await audit.check(page, "incident detail (light)", f"Incident {incident['reference']}")
        await page.get_by_test_id("sign-out").click()
        await audit.check(page, "sign-out", "Sign out")
    finally:
        await context.close()

    # Custody staff, at a desktop.
    context = await _context(chromium, **DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "custody.euston")
        await audit.check(page, "my reports", "My station's reports")
        await page.get_by_test_id("new-report").click()
        await expect(page.get_by_label("Found or arrested outside home area")).to_be_visible()
        await audit.check(page, "report form", "Report an incident")
        await page.get_by_label("Found or arrested outside home area").check()
        await audit.check(page, "report form (an indicator ticked)", "Report an incident")
        await page.get_by_role("link", name="My station").click()
        await page.locator(f'a[href="/reports/{incident["id"]}"]').click()
        await audit.check(page, "report status", f"Report {incident['reference']}")
    finally:
        await context.close()

    # The hubs' coordinator: places, a place's profile and a child's network (issue 14).
    context = await _context(chromium, **DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "coordinator.hubs")
        await audit.check(page, "places", "Places")
        await page.get_by_role("link", name="Leicester railway station").click()
        await expect(page.get_by_test_id("place-name")).to_be_visible()
        await audit.check(page, "place profile", "Place profile")
        await page.get_by_role("link", name=re.compile("^Network of Jordan")).click()
        await expect(page.get_by_test_id("network-table")).to_contain_text("Tee")
        await audit.check(page, "network", "Network")
    finally:
        await context.close()

    # The day team in the morning.
    context = await _context(chromium, **DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "day.cce")
        await expect(page.get_by_test_id("handover-item").first).to_be_visible()
        await audit.check(page, "handover queue", "Handover")
        await page.get_by_test_id("handover-reports-city-cce").get_by_test_id("handover-report").click()
        frame = page.frame_locator("[data-testid=handover-report-frame]")
        await expect(frame.get_by_role("heading", level=1)).to_have_text("Handover report")
        await audit.check(page, "printable report", "Handover report")
        # Search: the filters, then the results and the saved searches.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
        await expect(page.get_by_test_id("saved-search").first).to_be_visible()
        await audit.check(page, "search", "Search")
        await page.get_by_test_id("search-submit").click()
        await expect(page.get_by_test_id("search-results")).to_be_visible()
        await audit.check(page, "search results", "Search")
    finally:
        await context.close()

    # The duty manager.
    context = await _context(chromium, **DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "manager.duty")
        await expect(page.get_by_test_id("board-unacknowledged")).to_contain_text(incident["reference"])
        await audit.check(page, "board", "Board")
        await page.get_by_role("link", name="Rotas and escalation").click()
        await expect(page.get_by_test_id("policy")).to_be_visible()
        await audit.check(page, "rota and escalation", "Rotas and escalation")
    finally:
        await context.close()

    # The administrator.
    context = await _context(chromium, **DESKTOP)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "admin")
        await expect(page.get_by_test_id("admin-users")).to_contain_text("worker.cce")
        await audit.check(page, "administration", "Administration")
    finally:
        await context.close()

    # Signed out, on a phone, then a partner's home: the concern form and what they reported.
    context = await _context(chromium, **PHONE)
    try:
        page = await context.new_page()
        await page.goto(live_server.url + "/")
        await audit.check(page, "sign-in", "Sign in")
        await sign_in(page, live_server, "partner.home")
        await expect(page.get_by_test_id("my-concern").first).to_be_visible()
        await audit.check(page, "partner home", "Report a concern")
    finally:
        await context.close()

    assert not audit.violations, f"axe violations on {sorted(audit.violations)}:\n{audit.report()}"
    assert len(audit.screens) >= 19
