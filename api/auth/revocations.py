"""Revoked sessions: sign-out, sign-out everywhere, and an admin's revocation of a user's sessions.

The database (`session_revocations`) is the truth, shared by every replica. Each process keeps a
copy (`RevocationCache`) that it re-reads at most every `LANTERN_REVOCATION_CACHE_SECONDS`
(default 5 s), so checking a token costs no query on most requests.

Staleness window: a revocation made through one process is refused by that process at once
(it notes its own revocations when they commit); another replica refuses it at the latest
`LANTERN_REVOCATION_CACHE_SECONDS` later, plus the time of one read of the table.

Rows are kept only while a token they cover could still be valid (`expires_at`), so the copy
stays small: at most one row per sign-out in the last token lifetime.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import SessionRevocation
from api.db import after_commit, rows_affected, utcnow
from api.settings import Settings

SIGN_OUT = "sign_out"
SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
ADMIN = "admin"
# Covers clock differences between the replica that issued a token and the one revoking it.
_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class _Entry:
    user_id: uuid.UUID
    token_id: str | None
    issued_before: datetime | None
    expires_at: datetime


class RevocationCache:
    """One process's copy of the revoked sessions, re-read when older than `ttl_seconds`."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.loads = 0  # reads of the table (tests count them)
        self._loaded_at: float | None = None
        self._refreshing = False
        self._tokens: dict[str, datetime] = {}
        self._cutoffs: dict[uuid.UUID, datetime] = {}
        self._noted: list[tuple[float, _Entry]] = []

    async def is_revoked(
        self, session: AsyncSession, *, user_id: uuid.UUID, token_id: str, issued_at: float
    ) -> bool:
        await self._refresh_if_stale(session)
        now = utcnow()
        expires_at = self._tokens.get(token_id)
        if expires_at is not None and expires_at > now:
            return True
        cutoff = self._cutoffs.get(user_id)
        return cutoff is not None and issued_at < cutoff.timestamp()

    def note(self, entry: _Entry) -> None:
        """A revocation this process committed: refused here at once, kept across a re-read
        that may have started before the commit."""
        self._noted.append((self.clock(), entry))
        _apply(self._tokens, self._cutoffs, entry)

    def invalidate(self) -> None:
        self._loaded_at = None

    async def _refresh_if_stale(self, session: AsyncSession) -> None:
        if self._loaded_at is not None and self.clock() - self._loaded_at < self.ttl_seconds:
            return
        if self._refreshing and self._loaded_at is not None:
            return  # another request is re-reading; the copy is at most one read older
        self._refreshing = True
        try:
            started = self.clock()
            rows = await session.execute(
                select(
                    col(SessionRevocation.user_id),
                    col(SessionRevocation.token_id),
                    col(SessionRevocation.issued_before),
                    col(SessionRevocation.expires_at),
                ).where(col(SessionRevocation.expires_at) > utcnow())
            )
            tokens: dict[str, datetime] = {}
            cutoffs: dict[uuid.UUID, datetime] = {}
            for row in rows:
                _apply(tokens, cutoffs, _Entry(*row))
            self._noted = [(at, entry) for at, entry in self._noted if at >= started]
            for _, entry in self._noted:
                _apply(tokens, cutoffs, entry)
            self._tokens, self._cutoffs = tokens, cutoffs
            self._loaded_at = started
            self.loads += 1
        finally:
            self._refreshing = False


def _apply(tokens: dict[str, datetime], cutoffs: dict[uuid.UUID, datetime], entry: _Entry) -> None:
    if entry.token_id is not None:
        tokens[entry.token_id] = max(entry.expires_at, tokens.get(entry.token_id, entry.expires_at))
    if entry.issued_before is not None:
        previous = cutoffs.get(entry.user_id)
        cutoffs[entry.user_id] = max(entry.issued_before, previous) if previous else entry.issued_before


def longest_token_life(settings: Settings) -> timedelta:
    """No token of any kind lives longer than this (access tokens, acknowledgement links)."""
    return max(timedelta(minutes=settings.access_token_minutes), timedelta(hours=settings.ack_token_hours))


def revoke_token(
    session: AsyncSession,
    cache: RevocationCache,
    *,
    user_id: uuid.UUID,
    token_id: str,
    expires_at: datetime,
    reason: str = SIGN_OUT,
    revoked_by: uuid.UUID | None = None,
) -> SessionRevocation:
    """Refuse one token (by its `jti`) until it would have expired anyway."""
    return _add(
        session,
        cache,
        SessionRevocation(
            user_id=user_id,
            token_id=token_id,
            reason=reason,
            revoked_by_id=revoked_by,
            expires_at=expires_at + _MARGIN,
        ),
    )


def revoke_all(
    session: AsyncSession,
    cache: RevocationCache,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    reason: str,
    revoked_by: uuid.UUID | None = None,
    before: datetime | None = None,
) -> SessionRevocation:
    """Refuse every token issued to `user_id` before `before` (now): all their devices."""
    before = before or utcnow()
    return _add(
        session,
        cache,
        SessionRevocation(
            user_id=user_id,
            issued_before=before,
            reason=reason,
            revoked_by_id=revoked_by,
            revoked_at=before,
            expires_at=before + longest_token_life(settings) + _MARGIN,
        ),
    )


def _add(session: AsyncSession, cache: RevocationCache, row: SessionRevocation) -> SessionRevocation:
    session.add(row)
    entry = _Entry(row.user_id, row.token_id, row.issued_before, row.expires_at)
    # Refused here at once (refusing a token whose revocation then fails to commit errs on the
    # safe side), and noted again once committed so a re-read racing the commit cannot drop it.
    cache.note(entry)

    async def _noted() -> None:
        cache.note(entry)

    after_commit(session, _noted)
    return row


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete revocations no token can need any more (for the retention schedule)."""
    result = await session.execute(
        delete(SessionRevocation).where(col(SessionRevocation.expires_at) <= (now or utcnow()))
    )
    return rows_affected(result)
