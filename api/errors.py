"""Domain errors and their RFC 9457 problem+json rendering, in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("lantern.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://lantern.invalid/problems/"


class LanternError(Exception):
    """Base of every error a service may raise; rendered as problem+json."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


class BadRequest(LanternError):
    pass


class Unauthorized(LanternError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(LanternError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(LanternError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(LanternError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(LanternError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class ValidationFailed(LanternError):
    status, slug, title = 422, "validation-failed", "The request is not valid"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class TooManyRequests(LanternError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class PayloadTooLarge(LanternError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class StorageUnavailable(LanternError):
    """The database could not store or read the request's work: nothing of it was kept."""

    status, slug, title = 503, "storage-unavailable", "Storage unavailable"


# Seconds a client is asked to wait before retrying after a 503 (with its Idempotency-Key).
STORAGE_RETRY_AFTER_SECONDS = 2

# Failures of the database itself (gone, restarting, locked too long, commit refused), as
# opposed to a bug in a statement: the client may retry the same request safely.
_STORAGE_FAILURES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


def is_storage_failure(exc: BaseException) -> bool:
    if isinstance(exc, _STORAGE_FAILURES):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def problem(
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    # Drop FastAPI's location prefix ("body", "query", ...) unless it is all there is.
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


def _validation_message(err: dict[str, Any]) -> str:
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "missing":
        return "required"
    return str(err.get("msg", "invalid"))


def _storage_or_unexpected(storage_handler):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        if is_storage_failure(exc):
            return await storage_handler(request, exc)
        log.error(
            "unhandled database error",
            exc_info=exc,
            extra={"error_type": type(exc).__name__, "sql_code": getattr(exc, "code", None)},
        )
        return problem(
            500, slug="internal", title="Internal error", detail="Something went wrong; it has been logged."
        )

    return handler


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LanternError)
    async def _lantern_error(_request: Request, exc: LanternError) -> JSONResponse:
        return problem(
            exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = exc.errors()
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem(
                400,
                slug="malformed-json",
                title="Malformed JSON",
                detail="The request body is not valid JSON.",
                errors=[{"field": "body", "message": "malformed JSON"}],
            )
        errors = [{"field": _field_path(e.get("loc", ())), "message": _validation_message(e)} for e in raw]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            slug=ValidationFailed.slug,
            title=ValidationFailed.title,
            detail=f"Check these fields: {fields}",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = (
            HTTPStatus(exc.status_code).phrase
            if exc.status_code in HTTPStatus._value2member_map_
            else "Error"
        )
        return problem(
            exc.status_code,
            slug=title.lower().replace(" ", "-"),
            title=title,
            detail=str(exc.detail) if exc.detail else title,
            headers=getattr(exc, "headers", None),
        )

    async def _storage_failure(_request: Request, exc: Exception) -> JSONResponse:
        # The unit of work rolled back before this response was built: nothing was kept,
        # an Idempotency-Key was not consumed, and no after-commit hook ran. Never log the
        # statement or its parameters (a child's details): the error's type is enough.
        log.warning("storage unavailable", extra={"error_type": type(exc).__name__})
        return problem(
            StorageUnavailable.status,
            slug=StorageUnavailable.slug,
            title=StorageUnavailable.title,
            detail="Nothing was stored. Try again in a moment with the same request.",
            headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
        )

    for failure in (*_STORAGE_FAILURES, sa_exc.DBAPIError):
        app.add_exception_handler(failure, _storage_or_unexpected(_storage_failure))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem(
            500, slug="internal", title="Internal error", detail="Something went wrong; it has been logged."
        )


class PreconditionRequired(LanternError):
    status, slug, title = 428, "precondition-required", "Precondition required"
