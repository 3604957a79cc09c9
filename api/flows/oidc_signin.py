"""Sign-in through the organisation's OpenID provider: the code exchanged and its ID token
verified (api/auth/oidc.py), then the Lantern user matched by the provider's subject, made or
brought up to date from the group map (roles, and team memberships: the teams domain), audited
like a password sign-in, and given Lantern's own access token.

The provider is the authority for its users: their roles and teams are set from their groups on
every sign-in. A user is matched by `external_subject` only, never by username, so an account at
the provider can never take over a local (password) account of the same name.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.audit import service as audit
from api.auth.models import Membership, User
from api.auth.oidc import Grant, OidcProvider, ProviderRefused, ProviderUnavailable, grant_for
from api.auth.service import SIGNIN_FAILED, SIGNIN_OK
from api.auth.tokens import IssuedToken, issue_access_token
from api.db import Database
from api.errors import Forbidden, LanternError, Unauthorized, ValidationFailed
from api.settings import Settings
from api.teams.models import Team

log = logging.getLogger("lantern.auth.oidc")

METHOD = "oidc"


class ProviderDown(LanternError):
    status, slug, title = 502, "identity-provider-unavailable", "Identity provider unavailable"


async def sign_in(
    database: Database,
    settings: Settings,
    provider: OidcProvider,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    nonce: str,
    now: datetime,
) -> IssuedToken:
    if redirect_uri != settings.oidc_redirect_uri:
        raise ValidationFailed.field("redirect_uri", "is not this deployment's sign-in page")
    try:
        answer = await provider.exchange(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)
        access = answer.get("access_token")
        claims = await provider.verify(
            answer["id_token"], access_token=access if isinstance(access, str) else None, nonce=nonce, now=now
        )
        if settings.oidc_groups_claim not in claims:
            # Groups only in the userinfo response: asked for with the same strict checks.
            claims = await provider.with_userinfo(
                claims, access_token=access if isinstance(access, str) else None
            )
    except ProviderRefused as exc:
        await _record_failure(database, exc.reason)
        raise Unauthorized(
            "Your organisation's sign-in was not accepted. Try again.",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    except ProviderUnavailable as exc:
        log.warning("identity provider unavailable: %s", exc)
        raise ProviderDown(
            "Your organisation's sign-in cannot be reached. Try again, or use a password."
        ) from exc

    grant = grant_for(settings, claims.get(settings.oidc_groups_claim))
    subject: str = claims["sub"]
    # Two first sign-ins of one person at once: the second insert meets the unique subject (or
    # the username the first took); its unit of work is rolled back and run again, finding the user.
    for attempt in (1, 2):
        try:
            denied, issued = await _enter(database, settings, claims, subject, grant)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if issued is None:
        raise Forbidden(
            "Your organisation has not given you access to Lantern. Ask your manager.",
        )
    return issued


async def _enter(
    database: Database, settings: Settings, claims: dict[str, Any], subject: str, grant: Grant
) -> tuple[str | None, IssuedToken | None]:
    """Find or make the user and bring it up to date, in one unit of work: (denial, token)."""
    denied: str | None = None
    issued: IssuedToken | None = None
    async with database.session() as session:
        user = (
            await session.execute(select(User).where(col(User.external_subject) == subject))
        ).scalar_one_or_none()
        if grant.empty:
            denied = "no_mapped_group"
        elif user is not None and not user.active:
            denied = "inactive"
        if denied:
            audit.record(
                session,
                None,
                SIGNIN_FAILED,
                username=user.username if user else None,
                outcome="denied",
                resource_type="user" if user else None,
                resource_id=user.id if user else None,
                detail={"method": METHOD, "reason": denied},
            )
        else:
            created = user is None
            if user is None:
                user = User(
                    username=await _free_username(session, claims, subject),
                    display_name=_display_name(claims),
                    roles=sorted(grant.roles),
                    external_subject=subject,
                )
                session.add(user)
                await session.flush()
            else:
                user.roles = sorted(grant.roles)
                user.display_name = _display_name(claims, default=user.display_name)
            await _set_teams(session, user, grant.teams)
            audit.record(
                session,
                None,
                SIGNIN_OK,
                username=user.username,
                resource_type="user",
                resource_id=user.id,
                detail={"method": METHOD, "created": created},
            )
            issued = issue_access_token(settings, user.id)
    return denied, issued


async def _record_failure(database: Database, reason: str) -> None:
    async with database.session() as session:
        audit.record(
            session, None, SIGNIN_FAILED, outcome="denied", detail={"method": METHOD, "reason": reason}
        )


async def _set_teams(session: Any, user: User, slugs: frozenset[str]) -> None:
    """Memberships become exactly the mapped teams (a slug naming no team is logged and skipped)."""
    wanted: set[Any] = set()
    if slugs:
        rows = (await session.execute(select(Team).where(col(Team.slug).in_(sorted(slugs))))).scalars().all()
        wanted = {team.id for team in rows}
        for missing in sorted(slugs - {team.slug for team in rows}):
            log.warning("LANTERN_OIDC_GROUP_MAP names team %r, which does not exist", missing)
    have = set(
        (
            await session.execute(select(col(Membership.team_id)).where(col(Membership.user_id) == user.id))
        ).scalars()
    )
    if have - wanted:
        await session.execute(
            delete(Membership).where(
                col(Membership.user_id) == user.id, col(Membership.team_id).in_(list(have - wanted))
            )
        )
    for team_id in sorted(wanted - have):
        session.add(Membership(user_id=user.id, team_id=team_id))
    await session.flush()


_USERNAME = re.compile(r"[^a-z0-9._-]+")


async def _free_username(session: Any, claims: dict[str, Any], subject: str) -> str:
    """The provider's preferred username when free, else with a suffix from the subject."""
    suffix = hashlib.sha256(subject.encode()).hexdigest()[:8]
    wanted = claims.get("preferred_username") or claims.get("email") or ""
    base = _USERNAME.sub("-", str(wanted).strip().lower()).strip("-.")[:48] or "sso"
    for candidate in (base, f"{base}-{suffix}"):
        taken = (await session.execute(select(col(User.id)).where(col(User.username) == candidate))).first()
        if taken is None:
            return candidate
    return f"sso-{hashlib.sha256(subject.encode()).hexdigest()[:16]}"


def _display_name(claims: dict[str, Any], default: str = "") -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:120]
    return default or str(claims.get("preferred_username") or "Organisation user")[:120]
