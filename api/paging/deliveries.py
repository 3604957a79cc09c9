"""The rules around one delivery: what to send (re-checked when the job runs) and what its
outcome means (retire the device, fall back to SMS or the log, retry later, raise an alarm).

The sending itself is the workers' business (`workers.channels`); this module sees only plain
data, so the API never depends on the workers.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.auth.tokens import issue_purpose_token
from api.events.bus import LiveEvent, publish
from api.incidents.models import Incident
from api.jobs.service import Claimant, enqueue
from api.paging import devices as device_rules
from api.paging.escalation import DELIVERY_JOB, audience_for, enqueue_fallback
from api.paging.models import Delivery, Page, PageState, PushSubscription
from api.platform.metrics import DELIVERIES, PAGE_FIRST_PUSH_SECONDS, PUSH_AUTH_FAILURES
from api.settings import Settings
from api.teams.models import Station, Team

log = logging.getLogger("lantern.paging")

PAGE_PURPOSES = ("page", "uncovered")


@dataclass(frozen=True)
class PreparedDelivery:
    """Everything a worker needs to send one message, read fresh from the database."""

    purpose: str
    channel: str  # "webpush", or "fallback" (SMS when `phone_number` is set, else the log)
    user_id: uuid.UUID
    device_id: uuid.UUID | None
    page_id: uuid.UUID | None
    endpoint: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    phone_number: str | None = None
    # A page: exactly the contract's push payload fields (see PageMessage). Otherwise None.
    page_message: dict[str, Any] | None = None
    # Test, reachability and alert pushes: a small payload of ids and labels.
    payload: dict[str, Any] | None = None
    topic_id: uuid.UUID | None = None  # the incident, or the device for tests
    station_id: uuid.UUID | None = None  # the reporting station of a page (live event audience)


@dataclass(frozen=True)
class SendResult:
    """What a channel reported (mirrors workers.channels.DeliveryResult, as plain data)."""

    channel: str  # "webpush", "sms", "log"
    outcome: str  # accepted, gone, throttled, retry, auth_failed, rejected
    status_code: int | None
    latency_ms: float
    error: str | None = None
    retry_after_seconds: float | None = None


@dataclass(frozen=True)
class NextStep:
    """What the job does next: finish, or run again after `delay` seconds (None: backoff)."""

    retry: bool = False
    delay: float | None = None


DONE = NextStep()


def _fallback_stage(payload: dict[str, Any]) -> str:
    if payload["purpose"] == "uncovered":
        return "uncovered"
    return f"{payload.get('repeat')}:{payload.get('level')}"


def _sms_enabled(settings: Settings) -> bool:
    return bool(settings.notify_api_key and settings.notify_sms_template_id)


async def prepare(
    session: AsyncSession, settings: Settings, payload: dict[str, Any], now: datetime
) -> PreparedDelivery | None:
    """Re-read what a `delivery.send` job is about; None when there is nothing to send any more
    (the page was acknowledged or cancelled, the person is gone). A device retired since the
    job was written sends the person's fallback instead."""
    purpose = payload["purpose"]
    user_id = uuid.UUID(payload["user_id"])
    page_id = uuid.UUID(payload["page_id"]) if payload.get("page_id") else None
    device_id = uuid.UUID(payload["device_id"]) if payload.get("device_id") else None
    # One statement: the person, the device (unless retired or moved) and, for a page, the
    # page's state and the incident's operational labels (nothing about the young person).
    columns: list[Any] = [col(User.active), col(User.phone_number)]
    if device_id is not None:
        columns.append(PushSubscription)
    page_purpose = purpose in PAGE_PURPOSES
    if page_purpose:
        columns += [
            col(Page.state),
            col(Incident.id),
            col(Incident.reference),
            col(Incident.kind),
            col(Incident.priority),
            col(Incident.station_id),
            col(Team.slug),
            col(Station.name),
        ]
    query: Select[Any] = select(*columns).select_from(User)
    if device_id is not None:
        query = query.outerjoin(
            PushSubscription,
            and_(
                col(PushSubscription.id) == device_id,
                col(PushSubscription.user_id) == col(User.id),
                col(PushSubscription.retired_at).is_(None),
            ),
        )
    if page_purpose:
        # Outer joins on the page alone: a page's incident, team and station always exist.
        query = (
            query.outerjoin(Page, col(Page.id) == page_id)
            .outerjoin(Incident, col(Incident.id) == col(Page.incident_id))
            .outerjoin(Team, col(Team.id) == col(Page.team_id))
            .outerjoin(Station, col(Station.id) == col(Incident.station_id))
        )
    person = (await session.execute(query.where(col(User.id) == user_id))).first()
    if person is None or not person[0]:
        return None
    device: PushSubscription | None = person[2] if device_id is not None else None
    if device_id is not None and device is None:  # retired or moved since the job was written
        if page_purpose:
            await enqueue_fallback(session, page_id, user_id, _base(payload), _fallback_stage(payload), now)
        return None

    page_message = None
    topic_id = device.id if device else None
    station_id = None
    if page_purpose:
        (state, incident_id, reference, kind, priority, station_id, team_slug, station_name) = person[
            3 if device_id is not None else 2 :
        ]
        wanted = (PageState.ACTIVE, PageState.UNCOVERED) if purpose == "page" else (PageState.UNCOVERED,)
        if state is None or incident_id is None or state not in wanted:
            return None
        ack_token = issue_purpose_token(
            settings,
            str(user_id),
            "ack",
            timedelta(hours=settings.ack_token_hours),
            page_id=str(page_id),
            incident_id=str(incident_id),
        )
        page_message = {
            "incident_id": incident_id,
            "page_id": page_id,
            "reference": reference,
            "kind": kind,
            "team": team_slug,
            "priority": priority,
            "station": station_name,
            "ack_token": ack_token,
        }
        topic_id = incident_id

    common = {
        "purpose": purpose,
        "user_id": user_id,
        "page_id": page_id,
        "page_message": page_message,
        "payload": payload.get("message"),
        "topic_id": topic_id,
        "station_id": station_id,
    }
    if device is not None:
        return PreparedDelivery(
            channel="webpush",
            device_id=device.id,
            endpoint=device.endpoint,
            p256dh=device.p256dh,
            auth=device.auth,
            **common,
        )
    return PreparedDelivery(
        channel="fallback",
        device_id=None,
        phone_number=person[1] if _sms_enabled(settings) else None,
        **common,
    )


def _base(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload.get(k) for k in ("purpose", "page_id", "repeat", "level", "user_id")}


async def record(
    session: AsyncSession,
    payload: dict[str, Any],
    prepared: PreparedDelivery,
    result: SendResult,
    *,
    attempt: int,
    max_attempts: int,
    now: datetime,
    claimant: Claimant | None = None,
) -> NextStep:
    """Record one attempt and decide what follows it (a fallback is written for `claimant`)."""
    DELIVERIES.labels(result.channel, result.outcome).inc()
    session.add(
        Delivery(
            page_id=prepared.page_id,
            purpose=prepared.purpose,
            level_index=payload.get("level"),
            repeat_count=payload.get("repeat"),
            user_id=prepared.user_id,
            device_id=prepared.device_id,
            channel=result.channel,
            attempt=attempt,
            outcome=result.outcome,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=(result.error or None) and result.error[:300],
            at=now,
        )
    )
    if result.outcome == "accepted":
        await _device_answered(session, prepared.device_id, now)
        if prepared.purpose == "page" and prepared.page_id is not None:
            await _first_accepted(session, prepared, now)
        return DONE
    await _device_failed(session, prepared.device_id, now, gone=result.outcome == "gone")

    retryable = result.outcome in ("retry", "throttled")
    if retryable and attempt < max_attempts:
        return NextStep(
            retry=True, delay=result.retry_after_seconds if result.outcome == "throttled" else None
        )
    if prepared.channel != "webpush":
        log.error(
            "fallback delivery failed for user %s (page %s): %s",
            prepared.user_id,
            prepared.page_id,
            result.outcome,
        )
        return DONE
    if result.outcome == "auth_failed":
        PUSH_AUTH_FAILURES.inc()
        log.error(
            "ALARM: a push service refused our VAPID credentials (status %s); "
            "check LANTERN_VAPID_PRIVATE_KEY and LANTERN_VAPID_SUBJECT",
            result.status_code,
        )
    if prepared.purpose in PAGE_PURPOSES:
        # The push cannot reach this device: reach the person another way, now.
        await enqueue_fallback(
            session,
            prepared.page_id,
            prepared.user_id,
            _base(payload),
            _fallback_stage(payload),
            now,
            claimant,
        )
    return DONE


async def _device_answered(session: AsyncSession, device_id: uuid.UUID | None, now: datetime) -> None:
    if device_id is not None:
        await session.execute(
            update(PushSubscription)
            .where(col(PushSubscription.id) == device_id)
            .values(last_success_at=now, failure_count=0)
            .execution_options(synchronize_session=False)
        )


async def _device_failed(
    session: AsyncSession, device_id: uuid.UUID | None, now: datetime, *, gone: bool
) -> None:
    if device_id is None:
        return
    values: dict[str, Any] = {"failure_count": PushSubscription.failure_count + 1, "last_failure_at": now}
    if gone:  # the browser dropped the subscription: never push to it again
        values.update(retired_at=now, retired_reason="gone", updated_at=now)
    await session.execute(
        update(PushSubscription)
        .where(col(PushSubscription.id) == device_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _first_accepted(session: AsyncSession, prepared: PreparedDelivery, now: datetime) -> None:
    claimed = await session.execute(
        update(Page)
        .where(col(Page.id) == prepared.page_id, col(Page.first_accepted_at).is_(None))
        .values(first_accepted_at=now)
        .returning(col(Page.started_at), col(Page.incident_id), col(Page.team_id))
        .execution_options(synchronize_session=False)
    )
    row = claimed.first()
    if row is None:
        return
    started_at, incident_id, team_id = row
    PAGE_FIRST_PUSH_SECONDS.observe(max(0.0, (now - started_at).total_seconds()))
    if prepared.station_id is not None:
        publish(
            session,
            LiveEvent(
                "page.sent",
                {"incident_id": str(incident_id), "page_id": str(prepared.page_id), "team_id": str(team_id)},
                await audience_for(session, incident_id, prepared.station_id),
            ),
        )


async def enqueue_device_message(
    session: AsyncSession,
    purpose: str,
    device: PushSubscription,
    message: dict[str, Any],
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> uuid.UUID | None:
    """A non-page push (a device test, a reachability check, an alert) to one device."""
    return await enqueue(
        session,
        DELIVERY_JOB,
        {
            "purpose": purpose,
            "page_id": None,
            "user_id": str(device.user_id),
            "device_id": str(device.id),
            "message": message,
        },
        run_at=now,
        dedupe_key=dedupe_key,
    )


async def queue_test_pushes(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[PushSubscription]:
    """A test notification to each of the person's devices (results show on the devices list)."""
    devices = await device_rules.devices_of(session, [user_id])
    for device in devices:
        await enqueue_device_message(
            session,
            "test",
            device,
            {"type": "test", "device_id": str(device.id), "sent_at": now.isoformat()},
            now=now,
        )
    return devices


def sms_enabled(settings: Settings) -> bool:
    """Whether this deployment can send SMS (GOV.UK Notify is configured)."""
    return _sms_enabled(settings)


async def queue_test_sms(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """A test SMS to the person's recorded number (its result shows on GET /me/phone)."""
    return await enqueue(
        session,
        DELIVERY_JOB,
        {"purpose": "sms_test", "page_id": None, "user_id": str(user_id), "device_id": None},
        run_at=now,
    )


async def last_test_sms(session: AsyncSession, user_id: uuid.UUID) -> Delivery | None:
    return (
        await session.execute(
            select(Delivery)
            .where(col(Delivery.user_id) == user_id, col(Delivery.purpose) == "sms_test")
            .order_by(col(Delivery.at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
