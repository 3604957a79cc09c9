"""Compile each SQL statement once per test process, not once per engine.

SQLAlchemy caches compiled statements per engine (and, for the ORM's flushes, per mapper), keyed
by the dialect instance. Production makes one engine per process; the suite makes one per test
(each test's app opens its own database), so every test compiled every statement it ran again:
about a fifth of a typical test's CPU. Here the engines of one test process share one cache,
whose keys name the dialect by its class and settings (what the compiled SQL depends on) instead
of by the instance. A dialect not yet initialised (before its first connection) is keyed by
itself, as SQLAlchemy does. Imports nothing of Lantern but `api.db`, whose engine factory it wraps.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any

from sqlalchemy import util
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.main import default_registry

import api.db

# Distinct statements the suite runs on one database kind: a few thousand.
SIZE = 20_000
_signatures: weakref.WeakKeyDictionary[Dialect, Hashable] = weakref.WeakKeyDictionary()


def _signature(dialect: Dialect) -> Hashable:
    """What a compiled statement depends on: the dialect's class and its plain settings (server
    version, paramstyle, feature flags), read once the dialect has met its database."""
    known = _signatures.get(dialect)
    if known is not None:
        return known
    if getattr(dialect, "server_version_info", None) is None:
        return dialect  # not initialised yet: keyed by itself, never shared
    settings = []
    for name, value in sorted(vars(dialect).items()):
        if isinstance(value, str | int | float | bool | tuple | type(None)):
            try:
                hash(value)
            except TypeError:
                continue
            settings.append((name, value))
    signature = (type(dialect), tuple(settings))
    _signatures[dialect] = signature
    return signature


class SharedCompiledCache:
    """A compiled cache (the `get` and item assignment SQLAlchemy uses) shared between dialect
    instances of the same kind and settings."""

    def __init__(self, size: int = SIZE) -> None:
        self._store: util.LRUCache[Any, Any] = util.LRUCache(size)

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return (_signature(key[0]), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self._store.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._store[self._key(key)] = value

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        self._store.clear()


_engines = SharedCompiledCache()
_flushes = SharedCompiledCache()


def share_compiled_statements() -> None:
    """Give every engine `api.db` makes, and every mapper's flush statements, the shared caches."""
    create = api.db.create_async_engine
    if getattr(create, "shares_compiled_statements", False):
        return

    def create_async_engine(*args: Any, **kwargs: Any) -> AsyncEngine:
        engine = create(*args, **kwargs)
        if engine.sync_engine._compiled_cache is not None:  # None: caching turned off, left off
            engine.sync_engine._compiled_cache = _engines
        return engine

    create_async_engine.shares_compiled_statements = True  # type: ignore[attr-defined]
    api.db.create_async_engine = create_async_engine  # type: ignore[assignment]
    share_flush_statements()


def share_flush_statements() -> None:
    """The ORM's INSERT/UPDATE/DELETE of a flush use their base mapper's own cache (the models
    are defined by now: the caller imported `api.db`'s users)."""
    for mapper in default_registry.mappers:
        mapper.__dict__["_compiled_cache"] = _flushes
        mapper._memoized_keys |= {"_compiled_cache"}
