"""Writing the audit trail: one line for any domain that reads or changes protected data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.models import AuditEvent
from api.platform.logs import client_ip_var, request_id_var


class Actor(Protocol):
    """Who acts, as audit needs it (api.auth.dependencies.Actor is one; audit sits below auth)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def user(self) -> Any: ...


def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    *,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    young_person_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    outcome: str = "ok",
    username: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current unit of work (it commits with the change it records)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_username=(actor.user.username if actor else username),
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        young_person_id=young_person_id,
        team_id=team_id,
        client_ip=client_ip_var.get(),
        request_id=request_id_var.get(),
        outcome=outcome,
        detail=detail or {},
    )
    session.add(event)
    return event


async def count_since(
    session: AsyncSession, action: str, since: datetime, *, username: str | None, client_ip: str | None
) -> tuple[int, int, datetime | None]:
    """Events of `action` since `since` for a username and for an address, and the oldest."""
    by_user = by_ip = 0
    oldest: datetime | None = None
    if username:
        row = (
            await session.execute(
                select(func.count(), func.min(AuditEvent.at)).where(
                    AuditEvent.action == action, AuditEvent.at >= since, AuditEvent.actor_username == username
                )
            )
        ).one()
        by_user, oldest = row[0], row[1]
    if client_ip:
        row = (
            await session.execute(
                select(func.count(), func.min(AuditEvent.at)).where(
                    AuditEvent.action == action,
                    AuditEvent.at >= since,
                    or_(AuditEvent.client_ip == client_ip),
                )
            )
        ).one()
        by_ip = row[0]
        if row[1] is not None and (oldest is None or row[1] < oldest):
            oldest = row[1]
    return by_user, by_ip, oldest
