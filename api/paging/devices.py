"""Devices: the push subscriptions people register, and whether they still work.

A push endpoint belongs to one browser. When someone registers an endpoint that another
person holds, the phone has changed hands (a shared duty phone passed on at shift change): it
moves to the caller only if the two share a team, and the move is kept (`DeviceMove`) so the
previous holder's device list shows where it went and when. Between strangers the move is
refused and the device stays where it was: otherwise anyone who learnt an endpoint could
silently take over someone else's pages.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from api.auth.models import User
from api.db import utcnow
from api.errors import NotFound, ValidationFailed
from api.paging.endpoints import validate_push_endpoint
from api.paging.models import DeviceMove, PushSubscription
from api.teams.models import Membership


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


@dataclass
class Registration:
    device: PushSubscription
    created: bool
    moved_from: uuid.UUID | None = None  # the previous holder, when the device changed hands


class MoveRefused(Exception):
    """The endpoint is held by someone who shares no team with the caller."""

    def __init__(self, device: PushSubscription) -> None:
        super().__init__("device held by someone outside the caller's teams")
        self.device = device
        self.holder_id = device.user_id


async def share_a_team(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    mine, theirs = aliased(Membership), aliased(Membership)
    row = await session.execute(
        select(col(mine.team_id))
        .join(theirs, col(theirs.team_id) == col(mine.team_id))
        .where(col(mine.user_id) == a, col(theirs.user_id) == b)
        .limit(1)
    )
    return row.first() is not None


async def register(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    label: str | None,
    allowed_hosts: Sequence[str],
) -> Registration:
    """Register a device, or update it when its endpoint is known.

    An endpoint another person holds moves to the caller when the two share a team (a shared
    phone, signed in as the next worker now), recorded as a `DeviceMove`; otherwise
    `MoveRefused` is raised and nothing changes.
    """
    check_subscription(endpoint, p256dh, auth, allowed_hosts)
    existing = (
        await session.execute(
            select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint).with_for_update()
        )
    ).scalar_one_or_none()
    now = utcnow()
    if existing is None:
        device = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label)
        session.add(device)
        await session.flush()
        return Registration(device, created=True)
    moved_from: uuid.UUID | None = None
    if existing.user_id != user_id:
        if not await share_a_team(session, existing.user_id, user_id):
            raise MoveRefused(existing)
        moved_from = existing.user_id
        session.add(
            DeviceMove(device_id=existing.id, from_user_id=moved_from, to_user_id=user_id, moved_at=now)
        )
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
    return Registration(existing, created=False, moved_from=moved_from)


@dataclass
class MovedAway:
    """A device that left `from_user_id` and is held by someone else now."""

    device: PushSubscription
    moved_at: datetime
    to_user_id: uuid.UUID
    to_display_name: str


async def moved_away_from(session: AsyncSession, user_id: uuid.UUID) -> list[MovedAway]:
    """The devices this person passed on and does not hold again: the latest move of each."""
    receiver = aliased(User)
    rows = await session.execute(
        select(DeviceMove, PushSubscription, col(receiver.display_name))
        .join(PushSubscription, col(PushSubscription.id) == col(DeviceMove.device_id))
        .join(receiver, col(receiver.id) == col(DeviceMove.to_user_id))
        .where(col(DeviceMove.from_user_id) == user_id, col(PushSubscription.user_id) != user_id)
        .order_by(col(DeviceMove.moved_at).desc(), col(DeviceMove.id))
    )
    latest: dict[uuid.UUID, MovedAway] = {}
    for move, device, name in rows:
        latest.setdefault(device.id, MovedAway(device, move.moved_at, move.to_user_id, name))
    return sorted(latest.values(), key=lambda m: m.moved_at)


async def devices_of(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], *, include_retired: bool = False
) -> list[PushSubscription]:
    ids = list(user_ids)
    if not ids:
        return []
    query = select(PushSubscription).where(col(PushSubscription.user_id).in_(ids))
    if not include_retired:
        query = query.where(col(PushSubscription.retired_at).is_(None))
    rows = await session.execute(query.order_by(col(PushSubscription.created_at), col(PushSubscription.id)))
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
