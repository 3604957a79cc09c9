"""The API's larger answers are gzipped when the client accepts it (issue 16: the handover
queue's first answer was 29 KiB of JSON on a slow network); the live stream, sign-in's answers
(tokens), small answers and everything outside /api/ are left as they were."""

from __future__ import annotations

import json

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from api.main import create_app
from api.platform.compression import ApiGzip
from api.platform.middleware import LanternMiddleware
from tests.conftest import one_database

BIG = {"items": [{"id": n, "reference": f"LAN-{n:05d}", "summary": "x" * 40} for n in range(200)]}


async def _big(request):
    return JSONResponse(BIG)


async def _small(request):
    return JSONResponse({"ok": True})


async def _stream(request):
    async def lines():
        yield b"event: hello\ndata: " + b"y" * 4000 + b"\n\n"

    return StreamingResponse(lines(), media_type="text/event-stream")


APP = ApiGzip(
    Starlette(
        routes=[
            Route("/api/v1/handover", _big),
            Route("/api/v1/me", _small),
            Route("/api/v1/auth/token", _big, methods=["POST"]),
            Route("/api/v1/events", _stream),
            Route("/elsewhere", _big),
        ]
    )
)


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://lantern.test")


async def test_a_large_api_answer_is_gzipped_when_accepted():
    async with _client() as client:
        answer = await client.get("/api/v1/handover", headers={"Accept-Encoding": "gzip, br"})
        assert answer.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in answer.headers["vary"].lower()
        assert int(answer.headers["content-length"]) < len(json.dumps(BIG)) / 4
        assert answer.json() == BIG  # httpx decodes it
        plain = await client.get("/api/v1/handover", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.json() == BIG


async def test_small_answers_tokens_the_stream_and_other_paths_are_not_compressed():
    async with _client() as client:
        accept = {"Accept-Encoding": "gzip"}
        for answer in (
            await client.get("/api/v1/me", headers=accept),
            await client.post("/api/v1/auth/token", headers=accept),
            await client.get("/api/v1/events", headers=accept),
            await client.get("/elsewhere", headers=accept),
        ):
            assert "content-encoding" not in answer.headers, answer.request.url
        stream = await client.get("/api/v1/events", headers=accept)
        assert stream.content.startswith(b"event: hello")


@one_database
async def test_the_app_compresses_inside_its_own_middleware(client, make_user, settings):
    app = create_app(settings)
    order = [m.cls for m in app.user_middleware]
    assert order.index(LanternMiddleware) < order.index(ApiGzip), "ApiGzip sits inside"
    manager = await make_user("manager")
    answer = await client.get("/api/v1/me", headers={**manager.headers, "Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-security-policy"].count("style-src") == 1
    assert answer.json()["id"] == str(manager.id)
