"""A serving process freezes what start-up made, once started; an app built for tests does not."""

from __future__ import annotations

import gc

import httpx

from api.main import create_app


async def test_a_serving_app_freezes_start_up_objects_and_still_serves(settings):
    gc.unfreeze()
    app = create_app(settings, freeze_gc=True)
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000  # modules, the app, the ORM's mappings
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://lantern") as client:
                assert (await client.get("/readyz")).status_code == 200
    finally:
        gc.unfreeze()


async def test_an_app_built_without_it_leaves_the_collector_alone(settings):
    gc.unfreeze()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
