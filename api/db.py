"""Database plumbing shared by every domain: engine, session, column types.

One `UtcDateTime`, one JSON type and one constraint naming convention, used
everywhere, so SQLite (embedded default) and PostgreSQL (production) behave alike.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar, cast

import aiosqlite
from pydantic_core import PydanticUndefined
from sqlalchemy import (
    JSON,
    ClauseElement,
    CursorResult,
    DateTime,
    Executable,
    Result,
    String,
    Table,
    bindparam,
    event,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.queue import AsyncAdaptedQueue
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

# How long a SQLite unit of work waits for its turn (the database's own busy timeout matches).
SQLITE_WAIT_SECONDS = 30

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC on both databases; naive datetimes are a bug and rejected.

    SQLite has no timezone type, so values are stored as naive UTC and made aware
    again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: times must carry an offset")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StateColumn(TypeDecorator):
    """A `StrEnum` state kept as its value in a VARCHAR: the same strings a plain `str` column
    stored (no database enum type, no migration), read back as the enum's members. A stored
    string the enum does not know is returned as it is rather than failing the read."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value


@dataclass(frozen=True, slots=True)
class Row:
    """A new row of `model`'s table, every column set: what `insert_rows` writes.

    Cheaper to build than the model object (no attribute instrumentation), for rows that are
    built and written in one go (intake's); `model(**row.values)` is the object when needed.
    """

    model: type[SQLModel]
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` behind a table model.

    SQLModel sets `__table__` on every `table=True` class but does not declare it to type
    checkers; this is the one place that says so.
    """
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # set by SQLModel, undeclared


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched.

    `AsyncSession.execute` is typed as returning `Result`; for DML statements it returns a
    `CursorResult`, which carries `rowcount`.
    """
    return cast(CursorResult[Any], result).rowcount


_REQUIRED = object()
_M = TypeVar("_M", bound=SQLModel)


@cache
def _column_defaults(model: type[SQLModel]) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    plan: list[tuple[str, Any, Callable[[], Any] | None]] = []
    for column in table_of(model).columns:
        info = model.model_fields[column.key]
        if info.default_factory is not None:
            if info.default_factory_takes_validated_data:
                raise TypeError(f"{model.__name__}.{column.key}: default factories taking data unsupported")
            plan.append((column.key, None, cast(Callable[[], Any], info.default_factory)))
        else:
            plan.append((column.key, _REQUIRED if info.default is PydanticUndefined else info.default, None))
    return tuple(plan)


def new_row(model: type[SQLModel], **values: Any) -> Row:
    """A row of `model` with `values`, the model's defaults (ids, times) for the other columns."""
    plan = _column_defaults(model)
    if len(values) > len(plan) or not values.keys() <= {key for key, _, _ in plan}:
        raise TypeError(f"{model.__name__} has no column {sorted(values.keys() - {k for k, _, _ in plan})}")
    for key, default, factory in plan:
        if key not in values:
            if factory is not None:
                values[key] = factory()
            elif default is _REQUIRED:
                raise TypeError(f"{model.__name__}.{key} is required")
            else:
                values[key] = default
    return Row(model, values)


def transient(model: type[_M], **values: Any) -> _M:
    """A new, transient object of table model `model` with `values` and the model's defaults for
    the other columns, as `model(**values)` makes it, at a fraction of the cost: the values go
    straight into the instance's dictionary (SQLModel's `__init__` sets each attribute through
    SQLAlchemy's instrumentation and pydantic, about 0.25 ms for a wide row). For rows built on
    the hot path and written with `insert_rows`; later assignments are instrumented as usual."""
    given = set(values)
    for key, default, factory in _column_defaults(model):
        if key not in values:
            if factory is not None:
                values[key] = factory()
            elif default is not _REQUIRED:  # a required column not given stays unset, as in __init__
                values[key] = default
    instance = cast(Any, model)._sa_class_manager.new_instance()
    instance.__dict__.update(values)
    object.__setattr__(instance, "__pydantic_fields_set__", given)
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return cast(_M, instance)


async def insert_rows(session: AsyncSession, rows: Sequence[Row | SQLModel]) -> None:
    """Write new rows with one INSERT per table (an executemany for several rows), tables in the
    order they first appear in `rows` (parents before children), past the ORM's unit of work.

    Model objects given here stay transient (they are not added to the session). In a SQLite
    transaction that defers its INSERTs (`defer_inserts`) they are sent as plain statements
    (`PlainWriter.send`: no ORM execution, no result objects).
    """
    tables: dict[Table, list[dict[str, Any]]] = {}
    for row in rows:
        if isinstance(row, Row):
            table, values = table_of(row.model), row.values
        else:
            table = table_of(type(row))
            values = {c.key: getattr(row, c.key) for c in table.columns}
        tables.setdefault(table, []).append(values)
    plain = plain_writer(session)
    for table, batch in tables.items():
        if plain is not None:
            plain.send(_insert_of(table), batch)
        else:
            await session.execute(insert(table), batch if len(batch) > 1 else batch[0])


@cache
def _insert_of(table: Table) -> Executable:
    return insert(table)


# -- plain statements: the hot path's writes without SQLAlchemy's per-statement execution ---------


@dataclass(frozen=True, slots=True)
class _Plain:
    """A statement compiled once for one dialect: its SQL, the names of its parameters in their
    positional order, and each one's bind processor (the column type's conversion)."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    bound: dict[str, Any]  # the values written in the statement itself (a LIMIT's)

    def parameters(self, values: dict[str, Any]) -> list[Any]:
        if self.bound:
            values = {**self.bound, **values}
        return [
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        ]


_plain_statements: dict[tuple[int, Executable, tuple[str, ...]], _Plain] = {}


def _plain_of(dialect: Any, statement: Executable, keys: tuple[str, ...]) -> _Plain:
    cache_key = (id(dialect), statement, keys)
    found = _plain_statements.get(cache_key)
    if found is None:
        compiled = cast(
            SQLCompiler,
            cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys) if keys else None),
        )
        if not compiled.positional or compiled.positiontup is None:  # pragma: no cover - SQLite's qmark
            raise RuntimeError("plain statements need a positional paramstyle")
        # name -> the type's bind processor (a tuple of them only for a tuple-typed bind: none here)
        processors = cast(dict[str, Callable[[Any], Any]], compiled._bind_processors)
        names = tuple(compiled.positiontup)
        bound = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        found = _Plain(compiled.string, names, tuple(processors.get(name) for name in names), bound)
        _plain_statements[cache_key] = found
    return found


class PlainWriter:
    """Writes sent on a SQLite connection whose transaction defers them (`defer_inserts`):
    each statement compiled once, its values converted by the column types' own bind
    processors, then given to the dialect's `do_execute`/`do_executemany` on the DBAPI cursor,
    with the connection's `before_cursor_execute`/`after_cursor_execute` events (statement
    counts, tests' injected failures and listeners see every statement as before). No ORM
    execution: the session's `do_orm_execute` listeners (the per-process caches' invalidation)
    do not see these writes, so only tables no such cache watches are written this way
    (intake's). The statements reach the driver with the next statement or the COMMIT, in one
    hand-off (`_OneHopCursor`); a failure there fails that statement and the transaction."""

    __slots__ = ("_connection", "_cursor", "_adapted")

    def __init__(self, connection: Any, adapted: _OneHopConnection) -> None:
        self._connection = connection  # sqlalchemy.engine.Connection
        self._adapted = adapted
        self._cursor = adapted.cursor()

    def send(
        self, statement: Executable, rows: Sequence[dict[str, Any]], *, column_keys: bool = True
    ) -> None:
        """`statement` with each of `rows` (an executemany for several). `column_keys`: the
        rows' keys name the columns an INSERT writes (False: the statement names its own
        parameters, as an UPDATE built with `bindparam`s)."""
        if not rows:
            return
        connection, cursor = self._connection, self._cursor
        many = len(rows) > 1
        sql, parameters = self._before(statement, rows, column_keys, many)
        try:
            if many:
                connection.dialect.do_executemany(cursor, sql, parameters, None)
            else:
                connection.dialect.do_execute(cursor, sql, parameters, None)
        except BaseException as error:
            connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        self._after(sql, parameters, many)

    async def fetch(
        self, statement: Executable, values: dict[str, Any], *, column_keys: bool = False
    ) -> list[Any]:
        """Run a statement that returns rows (a SELECT, or a write with RETURNING) with the
        writes held back before it, in one hand-off to the driver's thread, and return the
        driver's rows as they come (no result processing: for integers, text, row presence)."""
        sql, parameters = self._before(statement, [values], column_keys, False)
        adapted = self._adapted
        pending, adapted.pending = adapted.pending, []
        driver = cast(aiosqlite.Connection, adapted._connection)
        try:
            try:
                _, rows, _, _ = await driver._execute(
                    _statements, driver._conn, pending, sql, parameters, False
                )
            except Exception as error:
                adapted._handle_exception(error)
        except BaseException as error:
            self._connection._handle_dbapi_exception(error, sql, parameters, self._cursor, None)
        self._after(sql, parameters, False)
        return rows or []

    def fetch_now(
        self, statement: Executable, values: dict[str, Any], *, column_keys: bool = False
    ) -> list[Any]:
        """`fetch` from synchronous code running in SQLAlchemy's greenlet (a session event)."""
        rows: list[Any] = self._adapted.await_(self.fetch(statement, values, column_keys=column_keys))
        return rows

    def _before(
        self, statement: Executable, rows: Sequence[dict[str, Any]], column_keys: bool, many: bool
    ) -> tuple[str, Any]:
        connection, cursor = self._connection, self._cursor
        plain = _plain_of(connection.dialect, statement, tuple(rows[0]) if column_keys else ())
        sql = plain.sql
        try:
            parameters: Any = [plain.parameters(row) for row in rows] if many else plain.parameters(rows[0])
        except Exception as error:
            connection._handle_dbapi_exception(error, sql, None, cursor, None)
        if connection._has_events or connection.engine._has_events:
            for fn in connection.dispatch.before_cursor_execute:
                sql, parameters = fn(connection, cursor, sql, parameters, None, many)
        return sql, parameters

    def _after(self, sql: str, parameters: Any, many: bool) -> None:
        connection = self._connection
        if connection._has_events or connection.engine._has_events:
            for fn in connection.dispatch.after_cursor_execute:
                fn(connection, self._cursor, sql, parameters, None, many)


def plain_writer(session: AsyncSession | Session) -> PlainWriter | None:
    """The `PlainWriter` of the session's transaction while it defers its writes on SQLite
    (`defer_inserts`), else None (PostgreSQL, or no deferring: use `session.execute`)."""
    writer = session.info.get(_PLAIN_WRITER)
    return writer if writer is not None and writer._adapted.plain is writer else None


_PLAIN_WRITER = "lantern_plain_writer"


def compiled_once(
    statement: ClauseElement, dialect: str, column_keys: Sequence[str] | None = None
) -> Executable:
    """`statement` compiled for `dialect` ("sqlite" or "postgresql") into a `text()` clause with the
    same typed bind parameters (named after the columns) and RETURNING columns.

    For statements SQLAlchemy cannot key for its compiled cache (an INSERT … ON CONFLICT has no
    cache key: it is compiled again on every execution); a text clause is keyed, so it is
    compiled once. Build it once per dialect (`functools.cache`) and pass the values at
    execution, as for the statement itself. `column_keys`: the columns the values will name
    (default: every column of an INSERT).
    """
    named = (postgresql.dialect if dialect == "postgresql" else sqlite.dialect)(paramstyle="named")
    named.bind_typing = BindTyping.NONE  # the casts are the executing dialect's to add (asyncpg's)
    compiled = cast(
        SQLCompiler, statement.compile(dialect=named, column_keys=list(column_keys) if column_keys else None)
    )
    # A `::` cast written in the statement keeps its colons (`text()` reads `\\:` as one).
    clause = text(compiled.string.replace("::", "\\:\\:")).bindparams(
        *(bindparam(name, type_=bound.type) for name, bound in compiled.binds.items())
    )
    returning = compiled.returning
    return clause.columns(*returning) if returning else clause


async def defer_inserts(session: AsyncSession) -> None:
    """SQLite: until this transaction ends, hold its INSERTs without RETURNING and send them with
    the next other statement or the COMMIT, in one hand-off to the driver's thread (a no-op on
    PostgreSQL). For a unit of work that writes many rows and reads none of their row counts
    (intake): a failing INSERT is then reported by that later statement (or the commit), and the
    whole transaction rolls back as before."""
    if plain_writer(session) is not None:
        return  # already deferring
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    if isinstance(adapted, _OneHopConnection):
        adapted.deferring = True
        adapted.plain = session.info[_PLAIN_WRITER] = PlainWriter(connection.sync_connection, adapted)


async def update_deferred(session: AsyncSession, statement: Executable, values: dict[str, Any]) -> None:
    """Run an UPDATE whose row count nobody reads (`statement`: built once, its bound parameters
    named in `values`); on SQLite, in a transaction that defers its INSERTs (`defer_inserts`),
    it is held back with them and sent with the next statement or the COMMIT (a failure is then
    reported there, and the whole transaction rolls back)."""
    writer = plain_writer(session)
    if writer is None:
        await session.execute(statement, values)
        return
    writer._adapted.defer_update = True
    try:
        writer.send(statement, [values], column_keys=False)
    finally:
        writer._adapted.defer_update = False


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction has committed (never on rollback).

    Used to publish live events and wake workers only for changes that exist.
    """
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


_NOTIFY_KEY = "lantern_pg_notifications"
_NOTIFY_PER_STATEMENT = 100


def notify_on_commit(session: AsyncSession, channel: str, payload: str = "") -> None:
    """PostgreSQL: NOTIFY `channel` from inside this transaction when it commits.

    The server delivers a notification only if its transaction commits, so listeners never
    hear of a rolled-back change. Everything queued on the session goes in one statement at
    commit time (one round trip for a job wake-up and live events alike).
    """
    pending = session.sync_session.info.setdefault(_NOTIFY_KEY, [])
    if (channel, payload) not in pending:  # PostgreSQL folds identical ones anyway
        pending.append((channel, payload))


@event.listens_for(Session, "before_commit")
def _send_notifications(session: Session) -> None:
    # Runs inside the commit, on the session's connection, before the transaction ends.
    pending = session.info.pop(_NOTIFY_KEY, None)
    for start in range(0, len(pending or ()), _NOTIFY_PER_STATEMENT):
        chunk = pending[start : start + _NOTIFY_PER_STATEMENT]
        params: dict[str, str] = {}
        for i, (channel, payload) in enumerate(chunk):
            params[f"c{i}"], params[f"p{i}"] = channel, payload
        calls = ", ".join(f"pg_notify(:c{i}, :p{i})" for i in range(len(chunk)))
        session.execute(text(f"SELECT {calls}"), params)


@event.listens_for(Session, "after_soft_rollback")
def _forget_notifications(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the outermost transaction's rollback discards them; a rolled-back SAVEPOINT
    # does not (they were queued after the savepoint succeeded).
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_NOTIFY_KEY, None)


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: a failing statement's bound values (a child's name, location or
        # circumstances) never reach an exception message, and so never a log line.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
            kwargs["module"] = _OneHopDbapi(aiosqlite, sqlite3)
            # Every SQLite transaction is a writer (BEGIN IMMEDIATE, below), so only one can run
            # at a time anyway. With one pooled connection the others queue in-process on the
            # pool's asyncio queue and start the moment it is free, instead of polling in
            # SQLite's busy handler (sleeps of up to 100 ms: the tail latency under load).
            # The connection is held from a session's first statement to its commit or
            # rollback, exactly as the write lock was, so nothing that worked can now
            # deadlock; pool_timeout bounds the wait as busy_timeout did. Units of work marked
            # `urgent` (a page on its way to a phone) wait ahead of the others (see below).
            if ":memory:" not in url and not url.rstrip("/").endswith(":"):
                kwargs.update(
                    poolclass=_UrgentFirstPool,
                    pool_size=1,
                    max_overflow=0,
                    pool_timeout=SQLITE_WAIT_SECONDS,
                )
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on error, then runs after-commit hooks."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                session.info.pop("after_commit", None)
                raise
        await run_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


# -- urgent units of work (SQLite's one connection) ----------------------------------------------

_URGENT: ContextVar[bool] = ContextVar("lantern_db_urgent", default=False)


@contextmanager
def urgent(flag: bool = True) -> Iterator[None]:
    """Units of work begun inside this block (and in tasks created inside it) wait for
    SQLite's one connection ahead of the others: a worker's page on its way to a phone does
    not queue behind every intake waiting at that moment, only behind the one holding the
    connection and other urgent work (first come, first served among urgent ones). No effect
    on PostgreSQL, whose pool has a connection for each."""
    token = _URGENT.set(flag)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent() -> bool:
    return _URGENT.get()


class _UrgentFirstAsyncioQueue(asyncio.Queue):
    """asyncio.Queue whose waiting `get`s marked urgent are served before the others."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._urgent: set[asyncio.Future[None]] = set()

    async def get(self) -> Any:
        # asyncio.Queue.get, with the waiter placed after the urgent ones already waiting
        # (an urgent waiter) or last (any other).
        getters: deque[asyncio.Future[None]] = self._getters  # type: ignore[attr-defined]
        while self.empty():
            getter: asyncio.Future[None] = self._get_loop().create_future()  # type: ignore[attr-defined]
            if _URGENT.get():
                ahead = 0
                while ahead < len(getters) and getters[ahead] in self._urgent:
                    ahead += 1
                getters.insert(ahead, getter)
                self._urgent.add(getter)
            else:
                getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                try:
                    getters.remove(getter)
                except ValueError:
                    pass
                if not self.empty() and not getter.cancelled():
                    self._wakeup_next(getters)  # type: ignore[attr-defined]
                raise
            finally:
                self._urgent.discard(getter)
        return self.get_nowait()


class _UrgentFirstQueue(AsyncAdaptedQueue):
    @property
    def _queue(self) -> asyncio.Queue:
        # Made on first use, on the running loop (as SQLAlchemy's own).
        queue = self.__dict__.get("_urgent_queue")
        if queue is None:
            queue = self.__dict__["_urgent_queue"] = _UrgentFirstAsyncioQueue(maxsize=self.maxsize)
        return queue


class _UrgentFirstPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, urgent units of work served first (see `urgent`)."""

    _queue_class = _UrgentFirstQueue


_Statement = tuple[str, Any, bool]  # (SQL, parameters, executemany)


def _statements(
    connection: sqlite3.Connection,
    pending: list[_Statement],
    operation: str | None,
    parameters: Any,
    many: bool,
) -> tuple[Any, list[Any] | None, int | None, int]:
    # Runs in aiosqlite's thread: the deferred INSERTs, then the statement asked for (cursor,
    # execute, rows, close), in one go.
    cursor = connection.cursor()
    try:
        for sql, params, is_many in pending:
            if is_many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        if operation is None:
            return None, None, None, -1
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, None, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _flush_and(connection: sqlite3.Connection, pending: list[_Statement], then: Callable[[], None]) -> None:
    _statements(connection, pending, None, None, False)
    then()


_BEGIN = "BEGIN IMMEDIATE"


def _deferrable(operation: str) -> bool:
    return operation.startswith("INSERT ") and " RETURNING " not in operation


def _deferrable_update(operation: str) -> bool:
    return operation.startswith("UPDATE ") and " RETURNING " not in operation


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, one hand-off to aiosqlite's thread per statement.

    The stock adapter makes three or four (open a cursor, execute, fetch the rows, close), each
    a wake-up of that thread and then of the event loop: most of a short statement's cost.
    Same results, same errors (raised through the adapter's own handler), same events: it is
    below SQLAlchemy's execution (listeners and `dialect.do_execute` see every statement).

    While its connection defers INSERTs (`defer_inserts`), an INSERT without RETURNING is kept
    and sent with the next statement that is not one, or with the COMMIT: one hand-off for the
    lot. Such an INSERT reports no row count and no last row id (-1, None). Every transaction's
    `BEGIN IMMEDIATE` is kept the same way and sent with its first statement: the write lock is
    taken in the same hand-off, just before that statement runs (a transaction that runs none
    takes no lock and needs no hand-off to commit or roll back).
    """

    __slots__ = ()

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted = cast(_OneHopConnection, self._adapt_connection)
        if operation == _BEGIN or (
            adapted.deferring
            and (_deferrable(operation) or (adapted.defer_update and _deferrable_update(operation)))
        ):
            adapted.pending.append((operation, parameters, many))
            self.description, self._rows, self.rowcount = None, deque(), -1
            self.lastrowid = None  # type: ignore[assignment]  # DBAPI: None when not known
            return
        pending, adapted.pending = adapted.pending, []
        driver = cast(aiosqlite.Connection, self._connection)
        try:
            description, rows, lastrowid, rowcount = self.await_(
                driver._execute(_statements, driver._conn, pending, operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = description
        self._rows = deque(rows) if rows is not None else deque()
        self.lastrowid, self.rowcount = lastrowid, rowcount

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, True)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("defer_update", "deferring", "pending", "plain")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.deferring = False
        self.defer_update = False
        self.pending: list[_Statement] = []
        self.plain: PlainWriter | None = None  # the deferring transaction's (`defer_inserts`)

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else _OneHopCursor(self)

    def commit(self) -> None:
        pending, self.pending, self.deferring = self.pending, [], False
        self.plain = None
        if pending and pending[0][0] == _BEGIN and len(pending) == 1:
            return None  # a transaction that ran no statement: nothing began, nothing to commit
        if not pending:
            return super().commit()
        driver = cast(aiosqlite.Connection, self._connection)
        try:
            self.await_(driver._execute(_flush_and, driver._conn, pending, driver._conn.commit))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        self.pending, self.deferring = [], False
        self.plain = None
        # The pool rolls back every connection it takes back, most of them just committed:
        # sqlite3 would do nothing then, so neither does the hand-off to its thread.
        driver = cast(aiosqlite.Connection, self._connection)._connection
        if driver is None or driver.in_transaction:
            super().rollback()

    def close(self) -> None:
        self.pending, self.deferring = [], False
        self.plain = None
        super().close()


class _OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI module whose connections use `_OneHopCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:  # async_fallback mode
            return adapted
        return _OneHopConnection(self, adapted._connection)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's legacy transaction handling breaks SAVEPOINT and issues BEGIN lazily;
    # take control of BEGIN ourselves. IMMEDIATE takes the write lock up front so two
    # writers queue on busy_timeout instead of failing on a lock upgrade.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
