"""Per-process state of sign-in: the revocation cache, the clock (tests inject one) and the
organisation's OpenID provider (its discovery document and keys are cached per process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from api.auth.oidc import OidcProvider
from api.auth.revocations import RevocationCache
from api.db import utcnow


@dataclass
class AuthRuntime:
    revocations: RevocationCache
    clock: Callable[[], datetime] = utcnow
    oidc: OidcProvider | None = None


def auth_runtime(app: FastAPI) -> AuthRuntime:
    """The app's AuthRuntime, made on first use (one per app, so one per process in production)."""
    runtime = getattr(app.state, "auth_runtime", None)
    if runtime is None:
        settings = app.state.settings
        runtime = AuthRuntime(
            RevocationCache(settings.revocation_cache_seconds),
            oidc=OidcProvider(settings) if settings.oidc_enabled else None,
        )
        app.state.auth_runtime = runtime
    return runtime


def get_auth_runtime(request: Request) -> AuthRuntime:
    return auth_runtime(request.app)


AuthRuntimeDep = Annotated[AuthRuntime, Depends(get_auth_runtime)]
