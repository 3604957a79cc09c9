"""The suite's apps share their built routes (tests/routes_once.py), and stay apart where it matters."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends, FastAPI, routing

from tests.routes_once import share_built_routes

router = APIRouter(prefix="/things")


def who() -> str:
    return "real"


@router.get("/{thing_id}")
async def thing(thing_id: int, by: str = Depends(who)) -> dict:
    return {"id": thing_id, "by": by}


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path)


def _included(app: FastAPI):
    [included] = [r for r in app.router.routes if isinstance(r, routing._IncludedRouter)]
    return included


async def test_two_apps_share_the_routes_built_for_the_first():
    share_built_routes()  # done by conftest already: calling it again changes nothing
    first, second = _app(), _app()
    assert (await _get(first, "/things/1")).json() == {"id": 1, "by": "real"}
    assert (await _get(second, "/things/2")).json() == {"id": 2, "by": "real"}
    assert _included(first).effective_candidates() is _included(second).effective_candidates()
    assert (await _get(second, "/things/x")).status_code == 422  # validation is the route's own


async def test_an_app_with_dependency_overrides_builds_its_own_and_others_never_see_them():
    plain, overridden = _app(), _app()
    overridden.dependency_overrides[who] = lambda: "override"
    assert (await _get(plain, "/things/1")).json()["by"] == "real"
    assert (await _get(overridden, "/things/1")).json()["by"] == "override"
    assert (await _get(_app(), "/things/1")).json()["by"] == "real"
    assert _included(overridden).effective_candidates() is not _included(plain).effective_candidates()
