"""Signing in and out: password check, throttling of failures, revocation, audit of each."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth import revocations, throttle
from api.auth.dependencies import Actor
from api.auth.models import User
from api.auth.passwords import verify_password
from api.auth.tokens import IssuedToken, issue_access_token
from api.db import Database
from api.errors import NotFound, TooManyRequests, Unauthorized
from api.settings import Settings

SIGNIN_FAILED = "auth.signin_failed"
SIGNIN_OK = "auth.signin"
SIGNED_OUT = "auth.signout"
SIGNED_OUT_EVERYWHERE = "auth.signout_everywhere"
SESSIONS_REVOKED = "auth.sessions_revoked"


async def sign_in(
    database: Database,
    settings: Settings,
    username: str,
    password: str,
    *,
    client_address: str | None,
    now: datetime,
) -> IssuedToken:
    """Check the password and issue an access token, or raise 401/429.

    The throttle's decision, the password check and the counting of its outcome happen in one
    transaction holding the (username, address) pair's row, so they are shared by replicas and
    parallel guesses queue. Failures are committed (and audited) even though the request fails.
    """
    username = username.strip().lower()
    address = throttle.address_key(client_address)
    wait: int | None = None
    async with database.session() as session:
        admission = await throttle.admit(session, settings, username, address, now)
        if not admission.allowed:
            await throttle.clear(session, username, address, only_if_unused=True)
            wait = admission.retry_after_seconds
        else:
            user = (
                await session.execute(select(User).where(col(User.username) == username))
            ).scalar_one_or_none()
            # Argon2 off the event loop: other requests carry on while it runs.
            ok = await asyncio.to_thread(verify_password, password, user.password_hash if user else None)
            if ok and user is not None and user.active:
                await throttle.clear(session, username, address)
                audit.record(
                    session, None, SIGNIN_OK, username=username, resource_type="user", resource_id=user.id
                )
                return issue_access_token(settings, user.id)
            await throttle.record_failure(session, username, address, admission, now)
            failures = admission.failures + 1
            audit.record(
                session,
                None,
                SIGNIN_FAILED,
                username=username,
                outcome="denied",
                detail={
                    "failures": failures,
                    "wait_seconds": throttle.pair_wait(settings, failures),
                },
            )
    if wait is not None:
        raise TooManyRequests(
            "Too many failed sign-ins from here. Try again later.", headers={"Retry-After": str(wait)}
        )
    raise Unauthorized("Wrong username or password.", headers={"WWW-Authenticate": "Bearer"})


def sign_out(session: AsyncSession, cache: revocations.RevocationCache, actor: Actor) -> None:
    """Revoke the token this request came with (refused until it expires)."""
    claims = actor.token
    if claims is None:  # pragma: no cover - every bearer-authenticated actor carries its token
        raise Unauthorized("Sign in first.")
    revocations.revoke_token(
        session,
        cache,
        user_id=actor.id,
        token_id=claims.token_id,
        expires_at=claims.expires_at,
        reason=revocations.SIGN_OUT,
        revoked_by=actor.id,
    )
    audit.record(session, actor, SIGNED_OUT, resource_type="user", resource_id=actor.id)


def sign_out_everywhere(
    session: AsyncSession, cache: revocations.RevocationCache, settings: Settings, actor: Actor
) -> None:
    """Revoke every token issued to the caller until now, this one included (a lost phone)."""
    revocations.revoke_all(
        session,
        cache,
        settings,
        user_id=actor.id,
        reason=revocations.SIGN_OUT_EVERYWHERE,
        revoked_by=actor.id,
    )
    audit.record(session, actor, SIGNED_OUT_EVERYWHERE, resource_type="user", resource_id=actor.id)


async def revoke_sessions(
    session: AsyncSession,
    cache: revocations.RevocationCache,
    settings: Settings,
    actor: Actor,
    user_id: uuid.UUID,
) -> None:
    """An admin revokes every session of `user_id` (404 when there is no such user)."""
    if await session.get(User, user_id) is None:
        raise NotFound("No such user.")
    revocations.revoke_all(
        session, cache, settings, user_id=user_id, reason=revocations.ADMIN, revoked_by=actor.id
    )
    audit.record(session, actor, SESSIONS_REVOKED, resource_type="user", resource_id=user_id)
