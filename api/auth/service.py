"""Signing in: password check, throttling of failures, audit of both outcomes."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth.models import User
from api.auth.passwords import verify_password
from api.auth.tokens import IssuedToken, issue_access_token
from api.db import Database, utcnow
from api.errors import TooManyRequests, Unauthorized
from api.platform.logs import client_ip_var
from api.settings import Settings

SIGNIN_FAILED = "auth.signin_failed"
SIGNIN_OK = "auth.signin"
# An address may fail more often than one username: several staff share a custody suite's NAT.
IP_FAILURE_FACTOR = 4


async def sign_in(database: Database, settings: Settings, username: str, password: str) -> IssuedToken:
    """Check the password and issue an access token, or raise 401/429.

    Failures are audited in their own transaction so they are kept even though the
    request itself fails; they are also what the throttle counts (shared by replicas).
    """
    username = username.strip().lower()
    client_ip = client_ip_var.get()
    async with database.session() as session:
        await _refuse_if_throttled(session, settings, username, client_ip)
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        ok = verify_password(password, user.password_hash if user else None) and bool(user and user.active)
        if ok:
            audit.record(
                session, None, SIGNIN_OK, username=username, resource_type="user", resource_id=user.id
            )
            return issue_access_token(settings, user.id)
    async with database.session() as session:
        audit.record(session, None, SIGNIN_FAILED, username=username, outcome="denied")
    raise Unauthorized("Wrong username or password.", headers={"WWW-Authenticate": "Bearer"})


async def _refuse_if_throttled(
    session: AsyncSession, settings: Settings, username: str, client_ip: str | None
) -> None:
    window = timedelta(seconds=settings.signin_window_seconds)
    now = utcnow()
    by_user, by_ip, oldest = await audit.count_since(
        session, SIGNIN_FAILED, now - window, username=username, client_ip=client_ip
    )
    limit = settings.signin_max_failures
    if by_user >= limit or by_ip >= limit * IP_FAILURE_FACTOR:
        retry_after = settings.signin_window_seconds
        if oldest is not None:
            retry_after = max(1, math.ceil((oldest + window - now).total_seconds()))
        raise TooManyRequests(
            "Too many failed sign-ins. Try again later.", headers={"Retry-After": str(retry_after)}
        )
