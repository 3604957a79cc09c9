"""The partnership reports in the PWA (issue 15), at 390×844 in Chromium: the duty manager opens
Reports from the navigation, reads the custody report of Euston St (five detentions reported by
custody staff with the appropriate adult's arrival), sees its charts with their numbers as
tables, downloads a CSV that holds the same count, then picks the response report of a team."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.helpers import PHONE, WAIT_MS, bounded, new_context, report_incident, sign_in, unique_name

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
LONDON = ZoneInfo("Europe/London")


@bounded(180)
async def test_a_manager_reads_both_reports_with_charts_and_csv(live_server, chromium):
    from playwright.async_api import expect

    now = datetime.now(UTC)
    detained = now - timedelta(minutes=35)
    for _ in range(5):
        first, last = unique_name()
        await report_incident(
            live_server,
            first,
            last,
            occurred_at=(now - timedelta(minutes=40)).isoformat(),
            custody={
                "status": "in_custody",
                "detained_at": detained.isoformat(),
                "appropriate_adult_arrived_at": (detained + timedelta(minutes=15)).isoformat(),
            },
        )
    month = detained.astimezone(LONDON).strftime("%Y-%m")

    context = await new_context(chromium, **PHONE_390, accept_downloads=True)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "manager.duty")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Partnership reports")
        assert page.url.removeprefix(live_server.url) == "/partnership-reports"
        await expect(page.get_by_test_id("response-times")).to_be_visible(timeout=WAIT_MS)
        # Nothing makes the phone's page wider than its screen (a mobile browser would zoom out).
        assert await page.evaluate("window.innerWidth") == 390
        assert await page.title() == "Lantern · Partnership reports"

        custody = page.get_by_test_id("custody-report")
        await page.get_by_test_id("custody-station").select_option("euston-street")
        await page.get_by_test_id("custody-month").fill(month)
        figures = page.get_by_test_id("custody-figures")
        detained_row = figures.get_by_role("row", name=re.compile("^Children detained"))
        await expect(detained_row).to_have_text(re.compile(r"Children detained\s*\d+$"), timeout=WAIT_MS)
        count = int((await detained_row.locator("td").inner_text()).strip())
        assert count >= 5
        await expect(figures.get_by_role("row", name=re.compile("^Appropriate adult arrived"))).to_have_text(
            re.compile(r"\d+$")
        )
        # The charts: SVG bars, each with its 12 months as a table.
        await expect(custody.locator("svg.chart")).to_have_count(5)
        await custody.get_by_test_id("trend-custody-detained-chart").scroll_into_view_if_needed()
        trend = custody.get_by_test_id("trend-custody-detained")
        await trend.locator("xpath=ancestor::details[1]/summary").click()
        await expect(trend.locator("tbody tr")).to_have_count(12)
        await expect(trend.locator("tbody tr").last).to_have_text(re.compile(rf"{month}\s*{count}$"))
        # The median wait for the appropriate adult is shown (five cases or more: these five and
        # the demo's detentions this month, 50 to 210 minutes, so not a fixed figure).
        await expect(
            page.get_by_test_id("custody-times").get_by_role("row", name=re.compile("^Minutes until"))
        ).to_have_text(re.compile(r"arrived\s*\d+\s*[\d.]+\s*\d+$"))
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        async with page.expect_download() as download:
            await page.get_by_test_id("custody-csv-breakdown").click()
        saved = await download.value
        assert saved.suggested_filename == f"lantern-custody-euston-street-{month}-breakdown.csv"
        rows = {r["figure"]: r for r in csv.DictReader(io.StringIO((await saved.path()).read_text()))}
        assert rows["detained"]["Total"] == str(count)

        # The response report of a team.
        response = page.get_by_test_id("response-report")
        await page.get_by_test_id("response-team").select_option("city-cce")
        await expect(
            page.get_by_test_id("response-figures").get_by_role("row", name=re.compile("^Incidents paged"))
        ).to_be_visible(timeout=WAIT_MS)
        await expect(response.locator("svg.chart")).to_have_count(6)
        await expect(page.get_by_test_id("rota-gaps")).to_contain_text("stretches")
        async with page.expect_download() as trend_download:
            await page.get_by_test_id("response-csv-trend").click()
        saved = await trend_download.value
        assert re.fullmatch(r"lantern-response-city-cce-\d{4}-\d{2}-trend\.csv", saved.suggested_filename)
        lines = list(csv.DictReader(io.StringIO((await saved.path()).read_text())))
        assert len(lines) == 12 and {"paged", "ack_minutes", "rota_gap_hours"} <= set(lines[0])
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await context.close()
