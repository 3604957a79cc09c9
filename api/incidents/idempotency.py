"""Idempotency-Key handling: a replay with the same body gets the first answer.

The key is claimed first (a row inserted unless the key is taken), so two concurrent
requests with one key cannot both do the work: the second waits on the unique index,
then reads the first one's answer. The answer is stored with one UPDATE in the same
transaction (`complete`), so it commits with the work or not at all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.db import compiled_once, plain_writer, table_of, transient, update_deferred, utcnow
from api.errors import ValidationFailed
from api.incidents.models import IdempotencyRecord

KEEP_FOR = timedelta(days=8)  # "at least 7 days"
PENDING = 0


def body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Replay:
    status_code: int
    response: dict[str, Any]


async def claim(
    session: AsyncSession, actor_id: uuid.UUID, scope: str, key: str, request_hash: str
) -> IdempotencyRecord | Replay:
    """Claim `key` for this request, or return the stored answer of an earlier one."""
    record = transient(
        IdempotencyRecord,
        actor_id=actor_id,
        scope=scope,
        key=key,
        request_hash=request_hash,
        status_code=PENDING,
        expires_at=utcnow() + KEEP_FOR,
    )
    # A new key (the usual case) costs one statement. A concurrent request with the same key
    # waits on the unique index until the first commits (then finds nothing inserted and
    # reads its answer) or rolls back (then inserts: the key is free again).
    statement, values = _insert_unless_taken(session, record)
    writer = plain_writer(session)  # SQLite, a unit of work deferring its writes (intake)
    if writer is not None:
        if await writer.fetch(statement, values):
            return record  # the row exists; `complete` stores the answer in it
    elif (
        await session.execute(statement, values, execution_options={"autoflush": False})
    ).scalar_one_or_none() is not None:
        return record
    existing = await _find(session, actor_id, scope, key)
    if existing is None:  # pragma: no cover - an expired record still holds the key
        raise RuntimeError("Idempotency-Key held by an expired record")
    if existing.request_hash != request_hash:
        raise ValidationFailed(
            "This Idempotency-Key was used with a different request body.",
            errors=[{"field": "Idempotency-Key", "message": "reused with a different body"}],
        )
    return Replay(existing.status_code, existing.response)


def _insert_unless_taken(session: AsyncSession, record: IdempotencyRecord):
    values = {column.key: getattr(record, column.key) for column in table_of(IdempotencyRecord).columns}
    return _claim_statement(session.get_bind().dialect.name), values


@cache
def _claim_statement(dialect: str) -> Any:
    # Built once per dialect, the values given at execution; as a text clause, because
    # SQLAlchemy keys no INSERT … ON CONFLICT for its compiled cache (compiled on every request).
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = table_of(IdempotencyRecord)
    return compiled_once(insert(table).on_conflict_do_nothing().returning(table.c.id), dialect)


async def complete(
    session: AsyncSession, record: IdempotencyRecord, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer in the claimed row (one UPDATE, no ORM flush)."""
    record.status_code = status_code
    record.response = response
    # On SQLite, held back with intake's INSERTs and sent with the audit chain's head.
    await update_deferred(
        session,
        _answer_statement(),
        {"record_id": record.id, "answer_status": status_code, "answer_response": response},
    )


@cache
def _answer_statement() -> Any:
    # Built once, its values bound at execution.
    table = table_of(IdempotencyRecord)
    return (
        update(table)
        .where(table.c.id == bindparam("record_id", type_=table.c.id.type))
        .values(
            status_code=bindparam("answer_status", type_=table.c.status_code.type),
            response=bindparam("answer_response", type_=table.c.response.type),
        )
    )


async def _find(session: AsyncSession, actor_id: uuid.UUID, scope: str, key: str) -> IdempotencyRecord | None:
    return (
        await session.execute(
            select(IdempotencyRecord).where(
                col(IdempotencyRecord.actor_id) == actor_id,
                col(IdempotencyRecord.scope) == scope,
                col(IdempotencyRecord.key) == key,
                col(IdempotencyRecord.expires_at) > utcnow(),
            )
        )
    ).scalar_one_or_none()
