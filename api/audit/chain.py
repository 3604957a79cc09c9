"""The audit trail's hash chain: how a row is serialised, linked and checked.

hash(n) = SHA-256( hash(n-1) + "\\n" + canonical(row n) ), hash(0) = 64 zeros, where
canonical(row) is compact JSON with sorted keys of every column of the row (times in UTC
with microseconds, ids as lower-case UUIDs, `detail` normalised) plus the sorted ids of
the young people it names in `audit_subjects`. Changing any field of any row, removing a
row or slipping one in breaks the chain at that row; `verify` names the first one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col

from api.audit.models import AuditEvent, AuditSubject
from api.db import table_of

GENESIS = "0" * 64
VERSION = 1
# Every column of an audit row except the hash itself, in the canonical form.
FIELDS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "resource_type",
    "resource_id",
    "young_person_id",
    "team_id",
    "client_ip",
    "request_id",
    "route",
    "outcome",
    "detail",
)
_UUIDS = {"id", "actor_id", "resource_id", "young_person_id", "team_id"}
VERIFY_BATCH = 2000


def _uuid(value: Any) -> str | None:
    if value is None:
        return None
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _instant(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime refused: times must carry an offset")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _plain(value: Any) -> Any:
    # What both databases give back for a JSON value: integral floats read back as ints
    # from JSONB's numeric in some cases, so they are ints here too.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(row: Mapping[str, Any] | RowMapping, subjects: Iterable[uuid.UUID | str] = ()) -> bytes:
    """The bytes a row's hash covers (the row as stored, whichever database stored it)."""
    doc: dict[str, Any] = {"v": VERSION}
    for name in FIELDS:
        value: Any = row.get(name)
        if name in _UUIDS:
            value = _uuid(value)
        elif name == "at":
            value = _instant(value)
        elif name == "seq":
            value = int(value)
        elif name == "detail":
            value = _plain(json.loads(json.dumps(value or {})))
        doc[name] = value
    doc["subjects"] = sorted({_uuid(s) for s in subjects})
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def link(
    previous_hash: str, row: Mapping[str, Any] | RowMapping, subjects: Iterable[uuid.UUID | str] = ()
) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + b"\n" + canonical(row, subjects)).hexdigest()


@dataclass(frozen=True)
class BrokenRow:
    seq: int
    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class Verdict:
    rows: int
    head_seq: int
    head_hash: str
    broken: BrokenRow | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


async def verify(bind: AsyncEngine | AsyncConnection, *, batch: int = VERIFY_BATCH) -> Verdict:
    """Walk the whole chain in `seq` order; stop at the first row that does not hold."""
    if isinstance(bind, AsyncEngine):
        async with bind.connect() as connection:
            return await verify(connection, batch=batch)
    table = table_of(AuditEvent)
    columns = [table.c[name] for name in (*FIELDS, "hash")]
    previous, expected_seq, rows = GENESIS, 1, 0
    last_seq = 0
    while True:
        page = (
            (
                await bind.execute(
                    select(*columns).where(table.c.seq > last_seq).order_by(table.c.seq).limit(batch)
                )
            )
            .mappings()
            .all()
        )
        if not page:
            break
        ids = [row["id"] for row in page]
        subjects: dict[uuid.UUID, list[uuid.UUID]] = {}
        found = await bind.execute(
            select(col(AuditSubject.audit_id), col(AuditSubject.young_person_id)).where(
                col(AuditSubject.audit_id).in_(ids)
            )
        )
        for audit_id, young_person_id in found:
            subjects.setdefault(audit_id, []).append(young_person_id)
        for row in page:
            if row["seq"] != expected_seq:
                reason = (
                    f"sequence gap: row {expected_seq} is missing"
                    if row["seq"] > expected_seq
                    else f"sequence repeats: expected {expected_seq}"
                )
                return Verdict(rows, expected_seq - 1, previous, BrokenRow(row["seq"], row["id"], reason))
            try:
                computed = link(previous, row, subjects.get(row["id"], ()))
            except (TypeError, ValueError) as exc:
                return Verdict(
                    rows, expected_seq - 1, previous, BrokenRow(row["seq"], row["id"], f"unreadable: {exc}")
                )
            if computed != row["hash"]:
                reason = (
                    "hash does not match: the row or its subjects changed, or the chain before it was redone"
                )
                return Verdict(rows, expected_seq - 1, previous, BrokenRow(row["seq"], row["id"], reason))
            previous, expected_seq, rows = row["hash"], expected_seq + 1, rows + 1
            last_seq = row["seq"]
    return Verdict(rows, last_seq, previous)
