"""Who saw a young person's data: the audit events that name them, newest first.

An event names a child through `young_person_id` (a read or change of that child's record)
or through `audit_subjects` (a list, search, board or report that showed them).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit.models import AuditEvent, AuditSubject
from api.auth.models import User
from api.errors import ValidationFailed


class AccessActor(BaseModel):
    id: uuid.UUID | None
    username: str | None
    display_name: str | None


class AccessEntry(BaseModel):
    at: datetime
    actor: AccessActor | None
    action: str
    route: str | None
    outcome: str
    request_id: str | None


class AccessLogPage(BaseModel):
    items: list[AccessEntry]
    next_cursor: str | None


def _before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
        raise ValidationFailed.field("cursor", "not a cursor from this API")
    return int(cursor)


async def access_log(
    session: AsyncSession, young_person_id: uuid.UUID, *, limit: int = 50, cursor: str | None = None
) -> AccessLogPage:
    """One page of the events naming the child, newest first (the cursor is a position)."""
    # Both sources through their own index (young person), then the rows by primary key.
    naming = union(
        select(col(AuditEvent.id)).where(col(AuditEvent.young_person_id) == young_person_id),
        select(col(AuditSubject.audit_id)).where(col(AuditSubject.young_person_id) == young_person_id),
    )
    query = (
        select(AuditEvent, col(User.display_name))
        .outerjoin(User, col(User.id) == col(AuditEvent.actor_id))
        .where(col(AuditEvent.id).in_(naming))
    )
    before = _before(cursor)
    if before is not None:
        query = query.where(col(AuditEvent.seq) < before)
    rows = (await session.execute(query.order_by(col(AuditEvent.seq).desc()).limit(limit + 1))).all()
    page, more = rows[:limit], len(rows) > limit
    items = [
        AccessEntry(
            at=event.at,
            actor=(
                AccessActor(id=event.actor_id, username=event.actor_username, display_name=display_name)
                if event.actor_id or event.actor_username
                else None
            ),
            action=event.action,
            route=event.route,
            outcome=event.outcome,
            request_id=event.request_id,
        )
        for event, display_name in page
    ]
    return AccessLogPage(items=items, next_cursor=str(page[-1][0].seq) if more else None)
