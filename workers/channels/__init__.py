"""Delivery channels: Web Push, SMS through GOV.UK Notify, and a log channel for the demo."""

from workers.channels.base import (
    Channel,
    DeliveryOutcome,
    DeliveryResult,
    PageMessage,
    PushTarget,
    SmsTarget,
    outcome_for_status,
    parse_retry_after,
)
from workers.channels.sms import LogChannel, NotifySmsChannel
from workers.channels.webpush import WebPushChannel, send_web_push, topic_for

__all__ = [
    "Channel",
    "DeliveryOutcome",
    "DeliveryResult",
    "LogChannel",
    "NotifySmsChannel",
    "PageMessage",
    "PushTarget",
    "SmsTarget",
    "WebPushChannel",
    "outcome_for_status",
    "parse_retry_after",
    "send_web_push",
    "topic_for",
]
