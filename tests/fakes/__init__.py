"""Fakes at the edge of the world that speak the real protocols (push service, ...)."""

from tests.fakes.push_service import (
    BackgroundServer,
    FakePushService,
    FakeSubscription,
    ReceivedPush,
    Reply,
    VapidKeyPair,
    VerificationFailure,
    generate_vapid_key_pair,
)

__all__ = [
    "BackgroundServer",
    "FakePushService",
    "FakeSubscription",
    "ReceivedPush",
    "Reply",
    "VapidKeyPair",
    "VerificationFailure",
    "generate_vapid_key_pair",
]
