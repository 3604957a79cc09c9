"""Each role's first screens on a phone (390×844 and 320×640), with the day team's queue (items
still being paged shown apart), the search screen and its results, and a partner's home: the
navigation stays on one row, every control is at least 24×24 CSS px (WCAG 2.2 2.5.8; links
inside a sentence are exempt), the theme follows the phone's light or dark preference unless
chosen in Settings, and a field focused by an empty Send is not hidden under the sticky header
(WCAG 2.2 2.4.11)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

SIZES = [{"width": 390, "height": 844}, {"width": 320, "height": 640}]

# Controls smaller than 24×24 CSS px, other than links inside running text.
SMALL_TARGETS = """
() => {
  const found = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], summary';
  for (const el of document.querySelectorAll(controls)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    const inline = el.tagName === 'A' && el.closest('p, li.prose, td, dd') && style.display === 'inline';
    if (inline) continue;
    if (r.width < 24 || r.height < 24) {
      const name = (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30);
      found.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return found;
}
"""

NAV_ROWS = """
() => {
  const links = [...document.querySelectorAll('nav[aria-label=Main] a')];
  return new Set(links.map((a) => Math.round(a.getBoundingClientRect().top))).size;
}
"""

# What the header holds, row by row, for the message when it is too tall.
HEADER_ROWS = """() => [...document.querySelectorAll('header.top > *, header.top .bar > *')].map((e) => {
  const r = e.getBoundingClientRect();
  return `${e.className || e.tagName}:${Math.round(r.top)}+${Math.round(r.height)}`;
}).join(' ')"""
HEADER_SHARE = "() => document.querySelector('header.top').getBoundingClientRect().height / innerHeight"


async def check_screen(page, where: str, problems: list[str]) -> None:
    await page.locator("p.loading").first.wait_for(state="detached")
    rows = await page.evaluate(NAV_ROWS)
    if rows != 1:
        problems.append(f"{where}: navigation on {rows} rows")
    share = await page.evaluate(HEADER_SHARE)
    if share > 0.15:
        rows = await page.evaluate(HEADER_ROWS)
        problems.append(f"{where}: header takes {share:.0%} of the screen ({rows})")
    problems.extend(f"{where}: {small}" for small in await page.evaluate(SMALL_TARGETS))


@bounded(240)
async def test_each_roles_first_screens_fit_a_phone(live_server, chromium):
    first, last = unique_name()
    incident = await report_incident(live_server, first, last)
    problems: list[str] = []
    journeys = {
        "custody.euston": ["/report", "/reports"],
        "worker.cce": ["/on-call", "/incidents", f"/incidents/{incident['id']}"],
        "day.cce": ["/handover", "/search"],
        "manager.duty": ["/board", "/handover"],
        "coordinator.hubs": ["/search"],
        "partner.home": ["/concerns"],
        "admin": ["/admin", "/settings"],
    }
    # One phone (context) and one sign-in per role; each screen loaded once, at the first size,
    # then checked at every size: the layout follows the viewport (CSS, and a ResizeObserver for
    # the header's height), as on a phone turned or a window narrowed.
    for username, paths in journeys.items():
        context = await new_context(chromium, viewport=SIZES[0], is_mobile=True, has_touch=True)
        try:
            page = await context.new_page()
            await sign_in(page, live_server, username)
            for path in paths:
                await page.set_viewport_size(SIZES[0])
                await page.goto(live_server.url + path)
                await page.get_by_role("heading", level=1).first.wait_for()
                for size in SIZES:
                    await page.set_viewport_size(size)
                    await check_screen(page, f"{username} {path} at {size['width']}px", problems)
                if path == "/search":
                    # The results list too: run the filters as they stand (the last 28 days).
                    await page.get_by_test_id("search-submit").click()
                    await page.get_by_test_id("search-results").wait_for()
                    for size in reversed(SIZES):
                        await page.set_viewport_size(size)
                        await check_screen(page, f"{username} search results at {size['width']}px", problems)
        finally:
            await context.close()
    assert problems == [], "\n".join(problems)


@bounded(120)
async def test_the_theme_follows_the_phone_unless_chosen(live_server, chromium):
    for scheme, expected in (("light", "light"), ("dark", "dark")):
        context = await new_context(chromium, viewport=SIZES[0], color_scheme=scheme)
        try:
            page = await context.new_page()
            await sign_in(page, live_server, "worker.cce")
            assert await page.evaluate("document.documentElement.dataset.theme") == expected
            # Chosen in Settings, the theme stays whatever the phone prefers.
            await page.get_by_role("link", name="Settings").click()
            other = "dark" if expected == "light" else "light"
            await page.get_by_test_id(f"theme-{other}").click()
            assert await page.evaluate("document.documentElement.dataset.theme") == other
            await page.emulate_media(color_scheme=expected)
            await page.reload()
            await page.get_by_role("heading", level=1).first.wait_for()
            assert await page.evaluate("document.documentElement.dataset.theme") == other
            # "Match this phone" follows it again, live.
            await page.get_by_test_id("theme-system").click()
            assert await page.evaluate("document.documentElement.dataset.theme") == expected
            await page.emulate_media(color_scheme=other)
            await page.wait_for_function(f"() => document.documentElement.dataset.theme === '{other}'")
        finally:
            await context.close()


@bounded(120)
async def test_an_empty_send_focuses_a_field_in_view(live_server, chromium):
    # One phone signed in once; the form loaded afresh at each size.
    context = await new_context(chromium, viewport=SIZES[0], is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "custody.euston", path="/report")
        for size in SIZES:
            if size != SIZES[0]:
                await page.set_viewport_size(size)
                await page.goto(live_server.url + "/report")
            await page.get_by_role("heading", level=1, name=re.compile("Report")).wait_for()
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await page.get_by_test_id("report-submit").click()
            focused = await page.evaluate(
                """() => {
                  const el = document.activeElement;
                  const r = el.getBoundingClientRect();
                  const header = document.querySelector('header.top').getBoundingClientRect();
                  return { tag: el.tagName, top: r.top, bottom: r.bottom, headerBottom: header.bottom,
                           height: window.innerHeight };
                }"""
            )
            assert focused["tag"] in {"INPUT", "SELECT", "TEXTAREA", "FIELDSET", "DIV", "H2", "P"}, focused
            assert focused["top"] >= focused["headerBottom"], f"hidden under the header: {focused}"
            assert focused["bottom"] <= focused["height"], f"below the screen: {focused}"
    finally:
        await context.close()
