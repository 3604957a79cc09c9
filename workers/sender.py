"""Putting one prepared delivery on the wire: Web Push, or the fallback (SMS, else the log)."""

from __future__ import annotations

import uuid

from api.paging.deliveries import PreparedDelivery, SendResult
from api.paging.endpoints import validate_push_endpoint
from api.settings import Settings
from workers.channels import (
    DeliveryOutcome,
    DeliveryResult,
    LogChannel,
    NotifySmsChannel,
    PageMessage,
    PushTarget,
    SmsTarget,
    WebPushChannel,
    send_web_push,
    topic_for,
)
from workers.channels.sms import NOTIFY_BASE_URL


class Channels:
    """The channels of one worker process (one connection pool for Web Push)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if not settings.vapid_private_key:
            raise RuntimeError("LANTERN_VAPID_PRIVATE_KEY is not configured")
        self.webpush = WebPushChannel(
            vapid_private_key_pem=settings.vapid_private_key,
            vapid_subject=settings.vapid_subject,
            ttl=settings.push_ttl_seconds,
            timeout=settings.push_timeout_seconds,
            urgency="high",
            allowed_hosts=settings.push_allowed_hosts,
        )
        self.sms: NotifySmsChannel | None = None
        if settings.notify_api_key and settings.notify_sms_template_id:
            self.sms = NotifySmsChannel(
                settings.notify_api_key,
                settings.notify_sms_template_id,
                settings.notify_base_url or NOTIFY_BASE_URL,
                timeout=settings.push_timeout_seconds,
            )
        self.log = LogChannel()

    async def aclose(self) -> None:
        await self.webpush.aclose()

    async def send(self, prepared: PreparedDelivery) -> SendResult:
        if prepared.channel == "webpush":
            target = PushTarget(prepared.endpoint or "", prepared.p256dh or "", prepared.auth or "")
            if prepared.page_message is not None:
                result = await self.webpush.send(target, PageMessage(**prepared.page_message))
            else:
                result = await self._send_other(target, prepared)
            return _plain("webpush", result)
        if prepared.purpose == "sms_test":  # confirming a newly recorded mobile number
            if self.sms is None or not prepared.phone_number:
                return SendResult("sms", "rejected", None, 0.0, "SMS is not configured")
            reference = f"test-{prepared.user_id}"
            return _plain("sms", await self.sms.send_test(SmsTarget(prepared.phone_number), reference))
        if prepared.page_message is None:  # only pages fall back; a device test has no fallback
            return SendResult("log", "rejected", None, 0.0, "nothing to fall back to")
        message = PageMessage(**prepared.page_message)
        if self.sms is not None and prepared.phone_number:
            return _plain("sms", await self.sms.send(SmsTarget(prepared.phone_number), message))
        return _plain("log", await self.log.send(None, message))

    async def _send_other(self, target: PushTarget, prepared: PreparedDelivery) -> DeliveryResult:
        """A test, reachability or alert push: not a page, so not a PageMessage."""
        try:
            validate_push_endpoint(target.endpoint, self.settings.push_allowed_hosts)
        except ValueError as exc:
            return DeliveryResult(DeliveryOutcome.REJECTED, None, None, 0.0, str(exc))
        return await send_web_push(
            target,
            prepared.payload or {"type": prepared.purpose},
            vapid_private_key_pem=self.settings.vapid_private_key or "",
            vapid_subject=self.settings.vapid_subject,
            ttl=self.settings.push_ttl_seconds,
            urgency="normal" if prepared.purpose == "test" else "high",
            topic=topic_for(prepared.topic_id or uuid.uuid4()),
            timeout=self.settings.push_timeout_seconds,
            session=self.webpush.session(),
            vapid_tokens=self.webpush.vapid_tokens,
        )


def _plain(channel: str, result: DeliveryResult) -> SendResult:
    return SendResult(
        channel=channel,
        outcome=result.outcome.value,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        retry_after_seconds=result.retry_after_seconds,
    )
