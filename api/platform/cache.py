"""Short per-process caches of rows read on every request and changed rarely.

A `ProcessCache` keeps values per database engine for `ttl` seconds. Any change to one of its
watched tables made through a session of this process (an ORM flush; an INSERT, UPDATE or
DELETE statement run through a session) drops every value when it happens, and again when the
transaction commits or rolls back (a value read between the change and the commit saw the old
rows). Changes made by other processes (another replica, a worker) are seen within `ttl`.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

MISSING: Any = object()


class ProcessCache:
    def __init__(self, name: str, watched: tuple[type, ...], ttl: float) -> None:
        self.name = name
        self.ttl = ttl
        self._watched = watched
        self._tables = frozenset(model.__table__ for model in watched)  # type: ignore[attr-defined]
        self._changed_key = f"lantern_cache_changed:{name}"
        self._generation = 0
        self._values: weakref.WeakKeyDictionary[Engine | Connection, dict[Hashable, tuple[float, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "do_orm_execute", self._on_statement)
        event.listen(Session, "after_commit", self._after_end)
        event.listen(Session, "after_soft_rollback", self._after_rollback)

    @property
    def generation(self) -> int:
        """Read it before loading a value; `put` keeps the value only if it did not change."""
        return self._generation

    def get(self, session: AsyncSession, key: Hashable) -> Any:
        """The cached value, or MISSING when absent, expired or invalidated."""
        found = self._values.get(session.get_bind(), {}).get(key)
        if found is None or time.monotonic() - found[0] >= self.ttl:
            return MISSING
        return found[1]

    def put(self, session: AsyncSession, key: Hashable, value: Any, generation: int) -> None:
        if generation == self._generation:  # nothing changed while it was read
            self._values.setdefault(session.get_bind(), {})[key] = (time.monotonic(), value)

    def invalidate(self) -> None:
        self._generation += 1
        self._values.clear()

    def _touches(self, objects) -> bool:
        return any(isinstance(o, self._watched) for o in objects)

    def _after_flush(self, session: Session, _flush_context) -> None:
        if any(self._touches(objects) for objects in (session.new, session.dirty, session.deleted)):
            session.info[self._changed_key] = True
            self.invalidate()

    def _on_statement(self, state: ORMExecuteState) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        mapper = state.bind_mapper
        if (isinstance(table, Table) and table in self._tables) or (
            mapper is not None and issubclass(mapper.class_, self._watched)
        ):
            state.session.info[self._changed_key] = True
            self.invalidate()

    def _after_end(self, session: Session) -> None:
        if session.info.pop(self._changed_key, False):
            self.invalidate()

    def _after_rollback(self, session: Session, _previous) -> None:
        self._after_end(session)
