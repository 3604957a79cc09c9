"""The delivery-channel interface: one message, on one channel, to one device or number.

A channel never raises for something the far end said or for the network: every attempt ends
in a `DeliveryResult` whose `outcome` tells the paging layer what to do next. Channels raise
only for programming or configuration errors (a TTL of 0, a malformed key), before any I/O.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable


class DeliveryOutcome(enum.StrEnum):
    """What the far end made of one delivery attempt."""

    ACCEPTED = "accepted"  # the push service / SMS gateway took the message
    GONE = "gone"  # the subscription no longer exists (404/410): retire it, use the fallback
    THROTTLED = "throttled"  # 429: wait `retry_after_seconds`, then try again
    RETRY = "retry"  # 5xx, 408, timeout, connection error: retry with backoff
    AUTH_FAILED = "auth_failed"  # 401/403: our credentials are wrong; alarm, do not retry
    REJECTED = "rejected"  # any other 4xx (400, 413...): this message will never be accepted


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: DeliveryOutcome
    status_code: int | None
    retry_after_seconds: float | None
    latency_ms: float
    error: str | None  # short and free of personal data and payload; None when accepted

    @property
    def accepted(self) -> bool:
        return self.outcome is DeliveryOutcome.ACCEPTED

    @property
    def retryable(self) -> bool:
        """Worth another attempt on the same channel later."""
        return self.outcome in (DeliveryOutcome.RETRY, DeliveryOutcome.THROTTLED)


@dataclass(frozen=True, slots=True)
class PushTarget:
    """A browser push subscription (`PushSubscription.toJSON()`): where and how to encrypt."""

    endpoint: str = field(repr=False)  # a capability URL: keep it out of logs
    p256dh: str = field(repr=False)  # base64url, the subscriber's P-256 public key
    auth: str = field(repr=False)  # base64url, the 16-byte auth secret


@dataclass(frozen=True, slots=True)
class SmsTarget:
    phone_number: str = field(repr=False)  # personal data: never logged


@dataclass(frozen=True, slots=True)
class PageMessage:
    """What a page tells a device. Only ids and operational labels: no name, no date of birth,
    no free text (see the contract's "Push payload")."""

    incident_id: uuid.UUID
    page_id: uuid.UUID
    reference: str
    kind: str
    team: str
    priority: str
    station: str
    ack_token: str = field(repr=False)

    def push_payload(self) -> dict[str, str]:
        """The Web Push payload, exactly the contract's keys."""
        return {
            "type": "page",
            "incident_id": str(self.incident_id),
            "page_id": str(self.page_id),
            "reference": self.reference,
            "kind": self.kind,
            "team": self.team,
            "priority": self.priority,
            "station": self.station,
            "ack_token": self.ack_token,
        }

    def sms_personalisation(self) -> dict[str, str]:
        """The SMS template's fields. No ack token: an SMS can be read by anyone holding the phone
        and is kept by the operator."""
        return {
            "reference": self.reference,
            "kind": self.kind,
            "team": self.team,
            "priority": self.priority,
            "station": self.station,
        }


@runtime_checkable
class Channel(Protocol):
    """One way of reaching a person. `name` is what a delivery records ("webpush", "sms", "log")."""

    name: str

    async def send(self, target: Any, message: PageMessage) -> DeliveryResult: ...


def outcome_for_status(status: int) -> DeliveryOutcome:
    """Map an HTTP status from a push service or SMS gateway to what to do next."""
    if 200 <= status < 300:
        return DeliveryOutcome.ACCEPTED
    if status in (404, 410):
        return DeliveryOutcome.GONE
    if status == 429:
        return DeliveryOutcome.THROTTLED
    if status in (401, 403):
        return DeliveryOutcome.AUTH_FAILED
    if status == 408 or status >= 500:
        return DeliveryOutcome.RETRY
    # Other 4xx (400, 413...) and 3xx (redirects are never followed): this message is refused.
    return DeliveryOutcome.REJECTED


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110).

    Returns None when the header is absent or unreadable; never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
