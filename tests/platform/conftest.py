"""Fixtures of the platform tests."""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app


@pytest.fixture
async def pwa_client(settings, dist):
    """A client of an app that serves the PWA build `dist` (each test module makes its own)."""
    app = create_app(settings.model_copy(update={"pwa_dist": dist}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lantern.test") as c,
    ):
        yield c
