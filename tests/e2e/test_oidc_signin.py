"""Sign-in through the organisation, end to end: the PWA in Chromium at 390x844, a real
`lantern serve`, and a real OpenID provider on loopback (tests/oidc_provider.py).

A worker taps "Sign in with your organisation", signs in and consents at the provider, and comes
back signed in to Lantern with the roles and team their group grants; the code is gone from the
address bar and nothing of the round trip stays in the browser's storage. A person in no mapped
group is told they have no access. Passwords still work on the same screen.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer
from tests.e2e.helpers import PHONE, WAIT_MS, bounded, new_context
from tests.oidc_provider import CLIENT_SECRET, running_provider

pytestmark = pytest.mark.browser

GROUP_MAP = {"lantern-cse-workers": {"roles": ["worker"], "teams": ["city-cse"]}}


@pytest.fixture
def oidc_server(demo_template, tmp_path):
    server = LiveServer(tmp_path, template=demo_template)
    with running_provider(f"{server.url}/signin/oidc") as provider:
        server.env.update(
            LANTERN_OIDC_ISSUER=provider.issuer,
            LANTERN_OIDC_CLIENT_ID="lantern",
            LANTERN_OIDC_CLIENT_SECRET=CLIENT_SECRET,
            LANTERN_OIDC_GROUP_MAP=json.dumps(GROUP_MAP),
        )
        server.start()
        try:
            yield server
        finally:
            server.close()


async def through_the_provider(page, login: str) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id("signin-oidc").click()
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("any password")
    await page.locator("button[type=submit]").click()
    await expect(page.get_by_role("button", name="Continue")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_role("button", name="Continue").click()


@bounded(120)
async def test_a_worker_signs_in_through_the_organisation(oidc_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE)
    page = await context.new_page()
    await page.goto(oidc_server.url)
    button = page.get_by_test_id("signin-oidc")
    await expect(button).to_have_text("Sign in with your organisation", timeout=WAIT_MS)
    await through_the_provider(page, "alice")
    await expect(page.get_by_test_id("sign-out")).to_be_visible(timeout=WAIT_MS)
    assert "code=" not in page.url and "state=" not in page.url
    assert await page.evaluate("sessionStorage.length") == 0
    await context.close()


@bounded(120)
async def test_no_mapped_group_is_told_no_access_and_passwords_still_work(oidc_server, chromium):
    from playwright.async_api import expect

    context = await new_context(chromium, **PHONE)
    page = await context.new_page()
    await page.goto(oidc_server.url)
    await through_the_provider(page, "nobody")
    await expect(page.get_by_role("alert")).to_contain_text("not given you access", timeout=WAIT_MS)
    assert "code=" not in page.url
    # The password form is on the same screen and still signs a local user in.
    await page.get_by_label("Username").fill("worker.cse")
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_test_id("sign-out")).to_be_visible(timeout=WAIT_MS)
    await context.close()
