"""Sign-in throttling by (username, client address), shared by replicas through the database.

- Each (username, address) pair has `signin_max_failures` free failures; each further one
  doubles the wait before that pair may try again (base, 2×base, 4×base … up to the cap),
  answered 429 with Retry-After. The password is not even checked while a pair waits.
- Failures from one address never slow that username from another address: an attacker
  guessing a worker's password does not lock the worker out.
- An address is slowed as a whole only once failures came from it for
  `signin_address_usernames` different usernames (password spraying); a custody suite
  behind one NAT where one person mistypes is not.
- A success clears its pair. Quiet pairs are forgotten after `signin_window_seconds`.

Every attempt that gets a password check holds its pair's row lock (PostgreSQL `FOR UPDATE`;
SQLite serialises writers anyway) until it has counted its outcome, so parallel guesses
cannot all slip through before the first failure is counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import SigninFailure
from api.db import rows_affected
from api.settings import Settings

UNKNOWN_ADDRESS = "unknown"
# Never shift further than this (2**30 × base is already far beyond any sane cap).
_MAX_EXPONENT = 30


@dataclass(frozen=True)
class Admission:
    """Whether this attempt may check a password; if not, how long to wait."""

    allowed: bool
    retry_after_seconds: int = 0
    failures: int = 0  # failures of this pair still counted (after forgetting old ones)


def backoff_seconds(settings: Settings, excess: int) -> float:
    """The wait after `excess` failures beyond the free ones (excess >= 0)."""
    exponent = min(max(excess, 0), _MAX_EXPONENT)
    return min(settings.signin_backoff_base_seconds * (2**exponent), settings.signin_backoff_cap_seconds)


def pair_wait(settings: Settings, failures: int) -> float:
    if failures < settings.signin_max_failures:
        return 0.0
    return backoff_seconds(settings, failures - settings.signin_max_failures)


def _forgotten(settings: Settings, failures: int, last_failure_at: datetime, now: datetime) -> bool:
    quiet = timedelta(seconds=pair_wait(settings, failures) + settings.signin_window_seconds)
    return last_failure_at + quiet <= now


def address_key(client_address: str | None) -> str:
    return (client_address or UNKNOWN_ADDRESS)[:64]


async def admit(
    session: AsyncSession, settings: Settings, username: str, client_address: str, now: datetime
) -> Admission:
    """Lock this pair's row and decide whether the attempt may check a password."""
    await _ensure_row(session, username, client_address, now)
    row = (
        await session.execute(
            select(col(SigninFailure.failures), col(SigninFailure.last_failure_at))
            .where(
                col(SigninFailure.username) == username, col(SigninFailure.client_address) == client_address
            )
            .with_for_update()
        )
    ).one()
    failures, last_failure_at = row
    if failures and _forgotten(settings, failures, last_failure_at, now):
        failures = 0
    waits = [0.0]
    if failures:
        until = last_failure_at + timedelta(seconds=pair_wait(settings, failures))
        waits.append((until - now).total_seconds())
    waits.append(await _address_wait(session, settings, client_address, now))
    wait = max(waits)
    if wait > 0:
        return Admission(False, max(1, math.ceil(wait)), failures)
    return Admission(True, 0, failures)


async def record_failure(
    session: AsyncSession, username: str, client_address: str, admission: Admission, now: datetime
) -> None:
    await session.execute(
        update(SigninFailure)
        .where(col(SigninFailure.username) == username, col(SigninFailure.client_address) == client_address)
        .values(failures=admission.failures + 1, last_failure_at=now)
    )


async def clear(
    session: AsyncSession, username: str, client_address: str, *, only_if_unused: bool = False
) -> None:
    """Forget a pair: after a success, or the placeholder row of an attempt refused early."""
    statement = delete(SigninFailure).where(
        col(SigninFailure.username) == username, col(SigninFailure.client_address) == client_address
    )
    if only_if_unused:
        statement = statement.where(col(SigninFailure.failures) == 0)
    await session.execute(statement)


async def purge_stale(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Delete pairs no longer counted (for the retention schedule); returns how many."""
    oldest_kept = now - timedelta(
        seconds=settings.signin_backoff_cap_seconds + settings.signin_window_seconds
    )
    result = await session.execute(
        delete(SigninFailure).where(col(SigninFailure.last_failure_at) < oldest_kept)
    )
    return rows_affected(result)


async def _ensure_row(session: AsyncSession, username: str, client_address: str, now: datetime) -> None:
    # The row must exist before it can be locked: two first attempts for one pair then queue
    # on it instead of both passing. A success deletes it again.
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(SigninFailure)
        .values(username=username, client_address=client_address, failures=0, last_failure_at=now)
        .on_conflict_do_nothing()
    )


async def _address_wait(
    session: AsyncSession, settings: Settings, client_address: str, now: datetime
) -> float:
    """Seconds this address as a whole must still wait (0 unless many usernames failed from it)."""
    free = settings.signin_max_failures
    since = now - timedelta(seconds=settings.signin_backoff_cap_seconds + settings.signin_window_seconds)
    usernames, counted, latest = (
        await session.execute(
            select(
                func.count(),
                # One person's many typos count no more than the free allowance.
                func.coalesce(func.sum(func.min(SigninFailure.failures, free)), 0)
                if session.bind.dialect.name == "sqlite"
                else func.coalesce(func.sum(func.least(SigninFailure.failures, free)), 0),
                func.max(SigninFailure.last_failure_at),
            ).where(
                col(SigninFailure.client_address) == client_address,
                col(SigninFailure.failures) > 0,
                col(SigninFailure.last_failure_at) >= since,
            )
        )
    ).one()
    if usernames < settings.signin_address_usernames or latest is None:
        return 0.0
    wait = backoff_seconds(settings, int(counted) - settings.signin_address_usernames)
    return (latest + timedelta(seconds=wait) - now).total_seconds()
