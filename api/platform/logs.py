"""JSON logs with a request id. Never log bodies, query strings or names: ids only."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The caller's address, for the audit trail (never logged with names).
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "request_id"}

_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    # Capture the request id when the record is made, not when a handler formats it.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


logging.setLogRecordFactory(_record_factory)

# Database drivers log every statement with its parameters at DEBUG (aiosqlite does, and
# SQLAlchemy's engine at INFO): a child's details. They stay at WARNING whatever level the
# service runs at.
DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm")
for _name in DRIVER_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = redacted_traceback(record.exc_info[1])
        return json.dumps(entry, default=str)


def redacted_traceback(exc: BaseException | None) -> str:
    """Where an error happened, never what it was about.

    An exception's message can carry anything it was built from (a database error's
    parameters or server DETAIL, a value that failed to parse: a child's name or location),
    so logs keep the chain of exception types and the frames (file, line, code) only.
    """
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        parts.append(f"{frames}{type(exc).__module__}.{type(exc).__qualname__} (message withheld)")
        exc = exc.__cause__ or exc.__context__
    return "\n-- caused by --\n".join(parts)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints raw paths and query strings; ours logs route templates.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
