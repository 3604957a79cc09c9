"""(3) A page pushed to the service worker shows a notification without personal data.

The push is the real one: the real backend pages the on-call worker through Web Push (VAPID,
aes128gcm) to the local fake push service (tests/fakes/push_service.py), which decrypts it. A
headless browser cannot reach a real push service, so the decrypted payload is then delivered to
the PWA's service worker through the DevTools protocol (`ServiceWorker.deliverPushMessage`), and
the notification it shows is read back with `registration.getNotifications()`.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    PHONE,
    WAIT_MS,
    Api,
    bounded,
    new_context,
    service_worker_controls,
    sign_in,
    unique_name,
)
from tests.fakes.push_service import FakePushService

pytestmark = pytest.mark.browser

# The notifications the service worker shows, once there are any (waiting at most `ms`).
SHOWN_NOTIFICATIONS = """
async (ms) => {
  const registration = await navigator.serviceWorker.ready;
  const deadline = Date.now() + ms;
  let shown = await registration.getNotifications();
  while (!shown.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    shown = await registration.getNotifications();
  }
  return shown.map((n) => ({
    title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction,
    data: n.data, actions: (n.actions || []).map((a) => a.action),
  }));
}
"""


@pytest.fixture
async def push_service():
    async with FakePushService() as push:
        yield push


@pytest.fixture
def push_server(demo_template, tmp_path, push_service):
    server = LiveServer(tmp_path, push_allowed_hosts=json.dumps([push_service.host]), template=demo_template)
    server.start()
    try:
        yield server
    finally:
        server.close()


async def _registration_id(cdp, scope: str) -> str:
    """Turn on the ServiceWorker domain and wait for the registration of the app's scope."""
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def seen(event: dict) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration["isDeleted"] and not found.done():
                found.set_result(registration["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    await cdp.send("ServiceWorker.enable")
    return await asyncio.wait_for(found, WAIT_MS / 1000)


@bounded(90)
async def test_a_page_pushed_to_the_phone_shows_no_personal_data(push_server, push_service, chromium):
    first, last = unique_name()
    context = await new_context(chromium, **PHONE)
    try:
        await context.grant_permissions(["notifications"], origin=push_server.url)
        page = await context.new_page()
        await sign_in(page, push_server, "worker.cce")
        await service_worker_controls(page)

        # worker.cce (primary on call for Leicester City CCE) has a phone registered for pages.
        phone = push_service.new_subscription()
        await Api(push_server, "worker.cce").post(
            "/push/subscriptions",
            {
                "endpoint": phone.endpoint,
                "keys": {"p256dh": phone.p256dh, "auth": phone.auth},
                "label": "Work phone",
            },
            expect=201,
        )

        # Custody staff report an incident about a named child: the backend pages the worker.
        incident = await Api(push_server, "custody.euston").post(
            "/incidents",
            {
                "kind": "arrest",
                "occurred_at": "2026-03-01T01:40:00+00:00",
                "police_station": "euston-street",
                "young_person": {"first_name": first, "last_name": last, "date_of_birth": "2010-05-04"},
                "location": {"description": f"Outside {last} Court"},
                "indicators": [{"code": "MOV-OUT-OF-AREA", "provenance": "observed"}],
                "circumstances": f"{first} was found with cash",
            },
            expect=201,
        )
        pushes = await push_service.wait_for_async(1, timeout=20)
        [received] = [p for p in pushes if p.subscription_id == phone.id]
        payload = received.payload
        assert payload["type"] == "page" and payload["incident_id"] == incident["id"]
        assert first not in json.dumps(payload) and last not in json.dumps(payload)

        # The push service hands it to the phone's service worker.
        cdp = await context.new_cdp_session(page)
        registration_id = await _registration_id(cdp, push_server.url + "/")
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": push_server.url, "registrationId": registration_id, "data": json.dumps(payload)},
        )
        [notification] = await page.evaluate(SHOWN_NOTIFICATIONS, WAIT_MS)

        # The lock screen says what it is and where, never who.
        assert notification["title"] == f"New CCE incident · Euston St custody · {incident['priority']}"
        assert notification["body"] == f"{incident['reference']} · arrest · city-cce"
        shown = json.dumps(notification, ensure_ascii=False)
        for personal in (first, last, "2010-05-04", "cash"):
            assert personal not in shown
        # One notification per incident, kept until answered, able to acknowledge from the payload's token.
        assert notification["tag"] == incident["id"]
        if await page.evaluate("Notification.maxActions") > 0:
            assert notification["actions"] == ["ack"]
        assert notification["requireInteraction"] is True
        assert notification["data"] == {
            "incident_id": incident["id"],
            "ack_token": payload["ack_token"],
            "reference": incident["reference"],
        }
        await cdp.detach()

        # The Acknowledge action posts that token, and nothing else, to the public door the
        # service worker uses (a notification has no session).
        async with httpx.AsyncClient(base_url=push_server.url, timeout=10) as anonymous:
            acked = await anonymous.post(
                "/api/v1/acknowledgements",
                json={"action": "phoning", "ack_token": notification["data"]["ack_token"]},
            )
        assert acked.status_code == 200, acked.text
        status = await Api(push_server, "custody.euston").get(f"/incidents/{incident['id']}/status")
        assert (status["state"], status["acknowledged_action"]) == ("acknowledged", "phoning")
    finally:
        await context.close()
