"""Build each router's routes once per test process, not once per app.

FastAPI (0.165) builds the routes of every included router again for each app, on the first
request that passes them: dependency analysis and response fields for every route, about 70 ms
of CPU per app. Production makes one app per process; the suite makes one per test (about
2,000 a run), so that alone was a quarter of a typical test's CPU. Here the apps of one test
process share what was built, keyed by the router, its routes' version and how it was included.

What is shared is built without any app's `dependency_overrides`; an app that has overrides
builds its own, as FastAPI does. If FastAPI's internals change, nothing is patched and every
app builds its own routes again (slower, as correct). Imports nothing of Lantern.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import routing

_built: dict[int, list[tuple[Any, object, list[Any]]]] = {}


def share_built_routes() -> None:
    included = getattr(routing, "_IncludedRouter", None)
    if included is None or not hasattr(included, "effective_candidates"):
        return
    if getattr(included.effective_candidates, "shared_between_apps", False):
        return
    build = included.effective_candidates

    def effective_candidates(self) -> list[Any]:
        provider = self.include_context.dependency_overrides_provider
        if getattr(provider, "dependency_overrides", None):
            return build(self)
        context = dataclasses.replace(self.include_context, dependency_overrides_provider=None)
        version = self.original_router._get_routes_version()
        known = _built.setdefault(id(self.original_router), [])
        for known_context, known_version, candidates in known:
            if known_version == version and known_context == context:
                return candidates
        candidates = build(included(original_router=self.original_router, include_context=context))
        known.append((context, version, candidates))
        return candidates

    effective_candidates.shared_between_apps = True  # type: ignore[attr-defined]
    included.effective_candidates = effective_candidates
