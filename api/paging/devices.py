"""Devices: the push subscriptions people register, and whether they still work."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from api.errors import NotFound, ValidationFailed
from api.paging.endpoints import validate_push_endpoint
from api.paging.models import PushSubscription


def _b64url_bytes(text: str) -> bytes | None:
    if not text or any(
        c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text
    ):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def check_subscription(endpoint: str, p256dh: str, auth: str, allowed_hosts: Sequence[str]) -> None:
    """Refuse (422, naming the fields) an endpoint off the allow-list or keys of the wrong shape."""
    errors: list[dict[str, str]] = []
    try:
        validate_push_endpoint(endpoint, allowed_hosts)
    except ValueError as exc:
        errors.append({"field": "endpoint", "message": str(exc)})
    key = _b64url_bytes(p256dh)
    if key is None or len(key) != 65 or key[0] != 4:
        errors.append({"field": "keys.p256dh", "message": "must be a base64url P-256 public key (65 bytes)"})
    secret = _b64url_bytes(auth)
    if secret is None or len(secret) != 16:
        errors.append({"field": "keys.auth", "message": "must be a base64url 16-byte secret"})
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise ValidationFailed(f"Check these fields: {fields}", errors=errors)


async def register(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    label: str | None,
    allowed_hosts: Sequence[str],
) -> tuple[PushSubscription, bool]:
    """Register a device, or update it when its endpoint is known; returns (device, created).

    An endpoint belongs to one browser: if another person registered it before (a shared
    phone, signed in as someone else now), it moves to the caller, who is the one signed in.
    """
    check_subscription(endpoint, p256dh, auth, allowed_hosts)
    existing = (
        await session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).scalar_one_or_none()
    now = utcnow()
    if existing is None:
        device = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label)
        session.add(device)
        await session.flush()
        return device, True
    existing.user_id = user_id
    existing.p256dh = p256dh
    existing.auth = auth
    if label is not None:
        existing.label = label
    existing.updated_at = now
    existing.retired_at = None
    existing.retired_reason = None
    existing.failure_count = 0
    await session.flush()
    return existing, False


async def devices_of(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], *, include_retired: bool = False
) -> list[PushSubscription]:
    ids = list(user_ids)
    if not ids:
        return []
    query = select(PushSubscription).where(PushSubscription.user_id.in_(ids))
    if not include_retired:
        query = query.where(PushSubscription.retired_at.is_(None))
    rows = await session.execute(query.order_by(PushSubscription.created_at, PushSubscription.id))
    return list(rows.scalars())


async def retire_mine(session: AsyncSession, user_id: uuid.UUID, device_id: uuid.UUID) -> PushSubscription:
    """The owner removes a device: it is retired (kept for the delivery history), not deleted."""
    device = await session.get(PushSubscription, device_id)
    if device is None or device.user_id != user_id:
        raise NotFound("No such device.")
    if device.retired_at is None:
        retire(device, "unsubscribed")
    await session.flush()
    return device


def retire(device: PushSubscription, reason: str, at: datetime | None = None) -> None:
    device.retired_at = at or utcnow()
    device.retired_reason = reason
    device.updated_at = device.retired_at


def is_working(device: PushSubscription, failure_threshold: int) -> bool:
    return device.retired_at is None and device.failure_count < failure_threshold


async def reachable_user_ids(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], failure_threshold: int
) -> set[uuid.UUID]:
    """Those of `user_ids` with at least one working device."""
    return {d.user_id for d in await devices_of(session, user_ids) if is_working(d, failure_threshold)}
