"""Helpers of the browser suite: bounded tests, signing in through the UI, the real API.

Everything here talks to the real `lantern serve` of the `live_server` fixture: no mocks.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import DEMO_PASSWORD, TLS, LiveServer

# A phone held upright (the worker's night is on a phone).
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
# Every wait in the suite is bounded by these (ms for Playwright, s for asyncio).
WAIT_MS = 10_000
LIVE_WAIT_MS = 15_000


def bounded(seconds: float) -> Callable:
    """Fail a test that runs longer than `seconds`, whatever it waits on."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> Any:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run

    return decorate


async def new_context(browser, **options: Any):
    """A browser context whose every Playwright wait is bounded."""
    context = await browser.new_context(**options)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    return context


async def sign_in(page, server: LiveServer, username: str, path: str = "/") -> None:
    """Sign in through the sign-in screen, as a person would."""
    from playwright.async_api import expect

    await page.goto(server.url + path)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_test_id("sign-out")).to_be_visible(timeout=WAIT_MS)


async def service_worker_controls(page) -> None:
    """Wait until the service worker is active and controls the page (the shell is precached)."""
    # A function, not an expression: Playwright polls an expression with eval(), which the
    # PWA's CSP (no 'unsafe-eval') refuses once the first check fails (a slow install).
    await page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS, polling=100
    )
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")


class Api:
    """The real API as one demo user sees it (bearer token from POST /api/v1/auth/token)."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.server = server
        self.username = username
        self._token: str | None = None

    async def token(self) -> str:
        if self._token is None:
            async with httpx.AsyncClient(base_url=self.server.url, timeout=10, verify=TLS) as client:
                response = await client.post(
                    "/api/v1/auth/token", data={"username": self.username, "password": DEMO_PASSWORD}
                )
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token()}", **kwargs.pop("headers", {})}
        async with httpx.AsyncClient(base_url=self.server.url + "/api/v1", timeout=10, verify=TLS) as client:
            return await client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str) -> Any:
        response = await self.request("GET", path)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any, expect: int = 200) -> Any:
        response = await self.request("POST", path, json=body)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None


def unique_name() -> tuple[str, str]:
    """A first and last name nobody else in the demo has, to look for in every store."""
    tag = uuid.uuid4().hex[:6]
    return f"Zebedee{tag}", f"Quartermaine{tag}"


async def report_incident(server: LiveServer, first: str, last: str, **extra: Any) -> dict[str, Any]:
    """Custody staff at Euston St report an arrest out of area: triaged CCE, paged to the
    Leicester City CCE team, whose primary on call is worker.cce."""
    body = {
        "kind": "arrest",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        "police_station": "euston-street",
        "young_person": {"first_name": first, "last_name": last, "date_of_birth": "2010-05-04"},
        "location": {"description": "Leicester bus station, bay 4"},
        "indicators": [{"code": "MOV-OUT-OF-AREA", "provenance": "observed"}],
        "custody_status": "in_custody",
        **extra,
    }
    return await Api(server, "custody.euston").post("/incidents", body, expect=201)


# Reads every IndexedDB database of the origin with the raw API, as any script on the page could:
# names of stores and indexes, every key, and every value, with binary data read both as UTF-8
# and as Latin-1 (so text hidden in an ArrayBuffer would show). CryptoKeys are opaque objects.
READ_INDEXEDDB = """
async () => {
  const out = { databases: [], stores: [], indexes: [], text: '' };
  const bytes = (u8) => new TextDecoder('utf-8', { fatal: false }).decode(u8) + ' ' +
    Array.from(u8, (b) => String.fromCharCode(b)).join('') + ' ' +
    new TextDecoder('utf-16le', { fatal: false }).decode(u8.byteLength % 2 ? u8.slice(1) : u8);
  const flat = (v) => {
    if (v === null || v === undefined) return String(v);
    if (v instanceof ArrayBuffer) return bytes(new Uint8Array(v));
    if (ArrayBuffer.isView(v)) return bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) {
      return `[CryptoKey ${v.algorithm.name} extractable=${v.extractable}]`;
    }
    if (Array.isArray(v)) return v.map(flat).join('|');
    if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${flat(x)}`).join('|');
    return String(v);
  };
  const req = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  for (const info of await indexedDB.databases()) {
    out.databases.push(info.name);
    const db = await req(indexedDB.open(info.name));
    for (const name of Array.from(db.objectStoreNames)) {
      out.stores.push(name);
      const store = db.transaction(name).objectStore(name);
      out.indexes.push(...Array.from(store.indexNames));
      const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
      out.text += `\\n[${info.name}/${name}] ` + flat(keys) + ' ' + flat(values);
    }
    db.close();
  }
  return out;
}
"""

# What the service worker's caches hold: request URLs and response bodies.
READ_CACHES = """
async () => {
  let text = '';
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      urls.push(request.url);
      const response = await cache.match(request);
      text += request.url + ' ' + (response ? await response.clone().text() : '') + '\\n';
    }
  }
  return { urls, text };
}
"""

READ_WEB_STORAGE = """
() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })
"""


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
