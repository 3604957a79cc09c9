"""The SMS fallback can fire: a worker records their own UK mobile (validated, stored as
+447…, never logged, always shown masked), confirms it with a test SMS through GOV.UK Notify,
and a page to a worker with no device reaches that number. Notify is a stand-in on loopback
that verifies the client's HS256 JWT (iss = service id, fresh iat) the way Notify does."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.auth.models import User
from api.paging.models import Delivery
from tests.fakes.notify_service import FakeNotify, make_api_key
from tests.incident_payloads import report
from tests.paging_helpers import bounded, make_crew
from workers.sender import Channels

pytestmark = pytest.mark.fake_push

NUMBER = "07700 900123"
E164 = "+447700900123"
MASKED = "07••• •••123"
TEMPLATE_ID = str(uuid.uuid4())
PAGE_FIELDS = {"reference", "kind", "team", "priority", "station"}


@pytest.fixture(scope="module")
def notify_keys():
    return make_api_key()


@pytest.fixture(scope="module")
def notify_service(notify_keys):
    _, service_id, secret = notify_keys
    with FakeNotify(service_id=service_id, secret=secret) as fake:
        yield fake


@pytest.fixture
def notify(notify_service):
    notify_service.reset()
    return notify_service


@pytest.fixture
def settings(settings, notify_service, notify_keys):
    settings.notify_api_key = notify_keys[0]
    settings.notify_sms_template_id = TEMPLATE_ID
    settings.notify_base_url = notify_service.url
    return settings


def _no_number_in(text: str) -> None:
    for form in ("900123", "7700900123", "7700 900123"):
        assert form not in text


async def _stored_number(db, user_id) -> str | None:
    async with db.session() as session:
        return (await session.get(User, user_id)).phone_number


async def test_a_worker_records_a_uk_mobile_and_sees_it_masked(client, db, world, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    me = await make_user("worker", teams_=["city-cce"])
    empty = await client.get("/api/v1/me/phone", headers=me.headers)
    assert empty.json() == {
        "display_name": "Test worker",
        "mobile_number": None,
        "sms_enabled": True,
        "last_test_sms": None,
    }
    for form in (NUMBER, "+44 7700 900123", "0044 (0)7700-900123".replace("(0)", ""), "447700900123"):
        saved = await client.put("/api/v1/me/phone", json={"mobile_number": form}, headers=me.headers)
        assert saved.status_code == 200, (form, saved.text)
        assert saved.json()["mobile_number"] == MASKED
        _no_number_in(saved.text)
        assert await _stored_number(db, me.id) == E164
    read = await client.get("/api/v1/me/phone", headers=me.headers)
    assert read.json()["mobile_number"] == MASKED

    renamed = await client.patch(
        "/api/v1/me", json={"display_name": "Ria Shah", "mobile_number": "07911 123456"}, headers=me.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "Ria Shah" and renamed.json()["mobile_number"] == "07••• •••456"
    removed = await client.delete("/api/v1/me/phone", headers=me.headers)
    assert removed.json()["mobile_number"] is None and await _stored_number(db, me.id) is None

    async with db.session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.actor_id == me.id))).scalars().all()
        )
    assert [e.action for e in events].count("user.phone.update") == 5
    for event in events:
        _no_number_in(repr(event.detail))
    _no_number_in(caplog.text)
    assert "911123456" not in caplog.text


@pytest.mark.parametrize(
    "bad",
    [
        "01632 960123",
        "0770090012",
        "077009001234",
        "+33 6 12 34 56 78",
        "seven seven double oh",
        "+4477009001",
    ],
)
async def test_anything_but_a_uk_mobile_is_refused_without_repeating_it(client, db, world, make_user, bad):
    me = await make_user("worker", teams_=["city-cce"])
    answer = await client.put("/api/v1/me/phone", json={"mobile_number": bad}, headers=me.headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["mobile_number"]
    digits = "".join(c for c in bad if c.isdigit())
    assert bad not in answer.text and (not digits or digits[-6:] not in answer.text)
    assert await _stored_number(db, me.id) is None


async def test_police_and_day_teams_record_no_number(client, world, make_user):
    police = await make_user("police", station="euston-street")
    day = await make_user("day_team", teams_=["city-cce"])
    for person in (police, day):
        answer = await client.put("/api/v1/me/phone", json={"mobile_number": NUMBER}, headers=person.headers)
        assert answer.status_code == 403


@bounded(60)
async def test_a_test_sms_confirms_the_number_through_notify(
    client, db, world, make_user, notify, worker, caplog
):
    caplog.set_level(logging.DEBUG)
    me = await make_user("worker", teams_=["city-cce"])
    refused = await client.post("/api/v1/me/test-sms", headers=me.headers)
    assert refused.status_code == 409 and refused.json()["title"] == "No mobile number recorded"

    await client.put("/api/v1/me/phone", json={"mobile_number": NUMBER}, headers=me.headers)
    queued = await client.post("/api/v1/me/test-sms", headers=me.headers)
    assert queued.status_code == 202, queued.text
    await worker.drain()

    assert notify.failures == []
    [sms] = notify.received
    assert (sms.phone_number, sms.template_id) == (E164, TEMPLATE_ID)
    assert sms.personalisation["reference"] == "TEST" and set(sms.personalisation) == PAGE_FIELDS
    confirmed = (await client.get("/api/v1/me/phone", headers=me.headers)).json()
    assert confirmed["last_test_sms"]["outcome"] == "accepted"
    _no_number_in(caplog.text)


async def test_a_test_sms_is_refused_where_notify_is_not_configured(client, settings, world, make_user):
    settings.notify_api_key = None
    me = await make_user("worker", teams_=["city-cce"])
    await client.put("/api/v1/me/phone", json={"mobile_number": NUMBER}, headers=me.headers)
    refused = await client.post("/api/v1/me/test-sms", headers=me.headers)
    assert refused.status_code == 409 and refused.json()["title"] == "SMS is not configured"
    assert (await client.get("/api/v1/me/phone", headers=me.headers)).json()["sms_enabled"] is False


@bounded(60)
async def test_a_worker_with_no_device_is_paged_by_sms_with_no_personal_data(
    client, db, world, make_user, push, notify, worker, notify_keys, caplog
):
    caplog.set_level(logging.DEBUG)
    crew = await make_crew(client, db, world, make_user, push, primary_phones=0)
    saved = await client.put("/api/v1/me/phone", json={"mobile_number": NUMBER}, headers=crew.primary.headers)
    assert saved.status_code == 200, saved.text

    created = await client.post(
        "/api/v1/incidents",
        json=report(
            young_person={"first_name": "Kayden", "last_name": "Marsh", "date_of_birth": "2011-04-02"},
            circumstances="Found with two phones near the station.",
        ),
        headers=crew.police.headers,
    )
    assert created.status_code == 201, created.text
    await worker.drain()

    assert notify.failures == []
    [sms] = notify.received
    assert (sms.phone_number, sms.template_id) == (E164, TEMPLATE_ID)
    assert sms.claims["iss"] == notify_keys[1]
    assert set(sms.personalisation) == PAGE_FIELDS
    assert sms.personalisation["reference"] == created.json()["reference"]
    assert sms.personalisation["team"] == "city-cce"
    text = repr(sms.personalisation).lower() + (sms.reference or "")
    for private in ("kayden", "marsh", "2011", "phones", "station.", "lp-2026", "ack", "900123", "jordan"):
        assert private not in text
    assert "ack_token" not in sms.body["personalisation"]
    async with db.session() as session:
        sent = (
            (await session.execute(select(Delivery).where(Delivery.user_id == crew.primary.id)))
            .scalars()
            .all()
        )
    assert [(d.channel, d.outcome, d.purpose) for d in sent] == [("sms", "accepted", "page")]
    _no_number_in(caplog.text)


@bounded(60)
async def test_notify_refuses_a_client_signing_with_the_wrong_key(
    client, db, world, make_user, notify, settings, worker
):
    # A key of the same service with another secret: Notify answers 403, nothing is sent.
    settings.notify_api_key = f"lantern_test-{notify.service_id}-{uuid.uuid4()}"
    original, worker.channels = worker.channels, Channels(settings)
    me = await make_user("worker", teams_=["city-cce"])
    await client.put("/api/v1/me/phone", json={"mobile_number": NUMBER}, headers=me.headers)
    assert (await client.post("/api/v1/me/test-sms", headers=me.headers)).status_code == 202
    await worker.drain()
    assert notify.received == [] and notify.failures and "signature" in notify.failures[0]
    confirmed = (await client.get("/api/v1/me/phone", headers=me.headers)).json()
    assert confirmed["last_test_sms"]["outcome"] == "auth_failed"
    await worker.channels.aclose()
    worker.channels = original
