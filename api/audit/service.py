"""Writing the audit trail: one line for any domain that reads or changes protected data.

`record` queues an event on the unit of work; the events are chained and inserted when it
commits (one statement to read the chain's head, taken under a lock on PostgreSQL, then
the insert), so the head is held only for the commit itself and a rolled-back unit of work
(or savepoint) leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col

from api.audit import chain
from api.audit.models import AuditEvent, AuditSubject
from api.db import plain_writer, table_of, transient
from api.platform.logs import client_ip_var, request_id_var


class Actor(Protocol):
    """Who acts, as audit needs it (api.auth.dependencies.Actor is one; audit sits below auth)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def user(self) -> Any: ...


_PENDING = "lantern_audit_pending"
_MARKS = "lantern_audit_savepoints"
_COLUMNS = tuple(c.name for c in table_of(AuditEvent).columns)
_INSERT_EVENTS = insert(table_of(AuditEvent))
_INSERT_SUBJECTS = insert(table_of(AuditSubject))


def record(
    session: AsyncSession | Session,
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
    subjects: Iterable[uuid.UUID | None] = (),
) -> AuditEvent:
    """Add an audit event to the current unit of work (it commits with the change it records).

    `subjects`: every young person whose data the event showed besides `young_person_id`
    (each child of a list read), so that child's access log finds it.
    """
    # seq and hash are given at commit (_append); table models do not validate on init.
    audit_event = transient(
        AuditEvent,
        actor_id=actor.id if actor else None,
        actor_username=(actor.user.username if actor else username),
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        young_person_id=young_person_id,
        team_id=team_id,
        client_ip=client_ip_var.get(),
        request_id=request_id_var.get(),
        route=getattr(actor, "route", None),
        outcome=outcome,
        detail=detail or {},
    )
    sync_session = session.sync_session if isinstance(session, AsyncSession) else session
    if sync_session.get_transaction() is None:
        sync_session.begin()  # so a rollback before any statement still forgets the event
    named = tuple(dict.fromkeys(s for s in subjects if s is not None))
    sync_session.info.setdefault(_PENDING, []).append((audit_event, named))
    return audit_event


def _head(session: Session) -> tuple[int, str]:
    if session.get_bind().dialect.name == "postgresql":
        # Takes a transaction-scoped advisory lock, then reads the newest row (a fresh
        # snapshot after the lock): appends from every replica queue here until commit.
        row = session.execute(text("SELECT seq, hash FROM lantern_audit_head()")).first()
    else:
        # SQLite: every unit of work is a writer (BEGIN IMMEDIATE), so this one has the lock.
        writer = plain_writer(session)  # a unit of work deferring its INSERTs: sent with them
        if writer is not None:
            rows = writer.fetch_now(_HEAD, {})
            row = rows[0] if rows else None
        else:
            row = session.execute(_HEAD).first()
    return (row[0], row[1]) if row else (0, chain.GENESIS)


_HEAD = select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)


@event.listens_for(Session, "before_commit")
def _append(session: Session) -> None:
    # Fired for a savepoint's release too: events wait for the outermost commit, so the
    # chain's head is held only while that commits (and a parent's events never land
    # inside a savepoint that may still roll back). Savepoints are always closed before
    # the unit of work commits here (`async with session.begin_nested()`).
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    session.info.pop(_MARKS, None)
    if not pending:
        return
    seq, previous = _head(session)
    rows, subject_rows = [], []
    for audit_event, subjects in pending:
        seq += 1
        audit_event.seq = seq
        values = {name: getattr(audit_event, name) for name in _COLUMNS if name != "hash"}
        audit_event.hash = previous = chain.link(previous, values, subjects)
        rows.append({**values, "hash": previous})
        subject_rows += [{"audit_id": audit_event.id, "young_person_id": s} for s in subjects]
    writer = plain_writer(session)  # SQLite, a unit of work deferring its INSERTs (intake)
    if writer is not None:  # sent with the COMMIT
        writer.send(_INSERT_EVENTS, rows)
        writer.send(_INSERT_SUBJECTS, subject_rows)
        return
    session.execute(_INSERT_EVENTS, rows)
    if subject_rows:
        session.execute(_INSERT_SUBJECTS, subject_rows)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        if mark is not None:
            del session.info.get(_PENDING, [])[mark:]
    elif previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_close(session: Session, transaction: SessionTransaction) -> None:
    # A unit of work closed without commit or rollback (the session just went away).
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


async def count_since(
    session: AsyncSession, action: str, since: datetime, *, username: str | None, client_ip: str | None
) -> tuple[int, int, datetime | None]:
    """Events of `action` since `since` for a username and for an address, and the oldest."""
    by_user = by_ip = 0
    oldest: datetime | None = None
    if username:
        row = (
            await session.execute(
                select(func.count(), func.min(col(AuditEvent.at))).where(
                    col(AuditEvent.action) == action,
                    col(AuditEvent.at) >= since,
                    col(AuditEvent.actor_username) == username,
                )
            )
        ).one()
        by_user, oldest = row[0], row[1]
    if client_ip:
        row = (
            await session.execute(
                select(func.count(), func.min(col(AuditEvent.at))).where(
                    col(AuditEvent.action) == action,
                    col(AuditEvent.at) >= since,
                    or_(col(AuditEvent.client_ip) == client_ip),
                )
            )
        ).one()
        by_ip = row[0]
        if row[1] is not None and (oldest is None or row[1] < oldest):
            oldest = row[1]
    return by_user, by_ip, oldest
