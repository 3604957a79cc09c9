"""Fallback channels: SMS through GOV.UK Notify, and a log-only channel for the demo.

The Notify client (`notifications-python-client`) is blocking and not thread-safe, so each
send builds its own client and runs in a worker thread: the event loop never waits on it.
The SMS carries only the incident reference, kind, team, priority and station; the template
on Notify holds the wording. Phone numbers are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time

from notifications_python_client.errors import APIError, HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from workers.channels.base import (
    DeliveryOutcome,
    DeliveryResult,
    PageMessage,
    SmsTarget,
    outcome_for_status,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
# The page template's fields for a test SMS: nothing about anyone, not even the recipient.
TEST_PERSONALISATION = {
    "reference": "TEST",
    "kind": "test message",
    "team": "Lantern",
    "priority": "none",
    "station": "none",
}


class NotifySmsChannel:
    """The SMS `Channel`, through GOV.UK Notify's `POST /v2/notifications/sms`."""

    name = "sms"

    def __init__(
        self,
        api_key: str,
        template_id: str,
        base_url: str = NOTIFY_BASE_URL,
        *,
        timeout: float = 10.0,
    ) -> None:
        if not template_id:
            raise ValueError("template_id is required")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self._api_key = api_key
        self._template_id = template_id
        self._base_url = base_url
        self._timeout = timeout
        try:
            self._client()  # a malformed key fails at start-up, not at the first page
        except AssertionError as exc:  # the client asserts on the key's shape
            raise ValueError("the Notify API key is malformed") from exc

    def _client(self) -> NotificationsAPIClient:
        return NotificationsAPIClient(self._api_key, base_url=self._base_url, timeout=self._timeout)

    def _send_blocking(self, phone_number: str, personalisation: dict[str, str], reference: str) -> None:
        self._client().send_sms_notification(
            phone_number=phone_number,
            template_id=self._template_id,
            personalisation=personalisation,
            reference=reference,  # Notify's own id for this send: ids only
        )

    async def send(self, target: SmsTarget, message: PageMessage) -> DeliveryResult:
        result = await self._send(target, message.sms_personalisation(), str(message.page_id))
        log = logger.error if result.outcome is DeliveryOutcome.AUTH_FAILED else logger.info
        log(
            "sms page %s for incident %s: %s (status %s)",
            message.page_id,
            message.incident_id,
            result.outcome.value,
            result.status_code,
        )
        return result

    async def send_test(self, target: SmsTarget, reference: str) -> DeliveryResult:
        """A test SMS confirming a newly recorded number, through the page template (the same
        fields, filled with TEST), so it proves exactly the path a page would take."""
        result = await self._send(target, TEST_PERSONALISATION, reference)
        logger.info("test sms %s: %s (status %s)", reference, result.outcome.value, result.status_code)
        return result

    async def _send(
        self, target: SmsTarget, personalisation: dict[str, str], reference: str
    ) -> DeliveryResult:
        started = time.perf_counter()
        status: int | None = None
        retry_after: float | None = None
        error: str | None = None
        try:
            await asyncio.to_thread(self._send_blocking, target.phone_number, personalisation, reference)
        except InvalidResponse:
            # Notify answered 2xx with an unreadable body: the SMS was taken, do not send twice.
            outcome, status, error = DeliveryOutcome.ACCEPTED, 200, "unreadable Notify response"
        except HTTPError as exc:
            if exc.response is None:  # connection error or timeout: nothing was answered
                outcome, error = DeliveryOutcome.RETRY, "network error"
            else:
                status = exc.status_code
                outcome = outcome_for_status(status)
                if outcome is DeliveryOutcome.THROTTLED:
                    retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
                error = f"HTTP {status}"  # Notify's message may quote the number: not kept
        except APIError:
            outcome, error = DeliveryOutcome.RETRY, "Notify client error"
        else:
            outcome, status = DeliveryOutcome.ACCEPTED, 201
        return DeliveryResult(
            outcome=outcome,
            status_code=status,
            retry_after_seconds=retry_after,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            error=error,
        )


class LogChannel:
    """The demo channel: a page "delivered" is a log line with ids only."""

    name = "log"

    async def send(self, target: object, message: PageMessage) -> DeliveryResult:
        logger.info(
            "page delivered via log channel: incident_id=%s page_id=%s",
            message.incident_id,
            message.page_id,
        )
        return DeliveryResult(
            outcome=DeliveryOutcome.ACCEPTED,
            status_code=None,
            retry_after_seconds=None,
            latency_ms=0.0,
            error=None,
        )
