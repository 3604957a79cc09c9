"""Human references LAN-YYYY-NNNNNN: unique under concurrency, gaps allowed.

PostgreSQL draws from a sequence (never blocks concurrent intakes; a rolled-back intake
leaves a gap). SQLite has one writer at a time, so a counter row is enough.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import plain_writer

SEQUENCE = "incident_reference_seq"
_CREATE_COUNTER = text(
    "INSERT INTO reference_counters (year, value) VALUES (0, 0) ON CONFLICT (year) DO NOTHING"
)
_INCREMENT = text("UPDATE reference_counters SET value = value + 1 WHERE year = 0 RETURNING value")


async def next_reference(session: AsyncSession, at: datetime) -> str:
    if session.bind.dialect.name == "postgresql":
        number = (await session.execute(text(f"SELECT nextval('{SEQUENCE}')"))).scalar_one()
    else:
        # The counter row exists after the first incident: try the increment first (with the
        # INSERTs held back before it, when the transaction defers them: api.db.defer_inserts).
        writer = plain_writer(session)
        if writer is not None:
            rows = await writer.fetch(_INCREMENT, {})
            number = rows[0][0] if rows else None
        else:
            number = (await session.execute(_INCREMENT)).scalar_one_or_none()
        if number is None:
            await session.execute(_CREATE_COUNTER)
            number = (await session.execute(_INCREMENT)).scalar_one()
    return f"LAN-{at.year:04d}-{number:06d}"
