"""A body over the limit is a 413 problem however it arrives (issue 10, finding 4).

With Content-Length it always was; sent chunked (no Content-Length) it used to be a 400,
because the limit was enforced inside FastAPI's own body read, which turns any error there
into "There was an error parsing the body". Tested through the ASGI app and against a real
uvicorn server on loopback, with raw chunked HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import uvicorn
from sqlalchemy import func, select

from api.teams.models import Team
from tests.paging_helpers import bounded

CHUNK = 64 * 1024


async def _team_count(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Team))).scalar_one()


def _team_json(name_length: int, padding: int = 0) -> bytes:
    """A team body; `padding` spaces (valid JSON) make it span many chunks."""
    return (
        json.dumps(
            {"slug": "chunked-team", "name": "n" * name_length, "specialism": "cse", "area": "rutland"}
        )
        + " " * padding
    ).encode()


def _assert_413_problem(status: int, headers: dict[str, str], body: bytes, limit: int) -> None:
    assert status == 413, body[:300]
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["title"] == "Request body too large"
    assert str(limit) in problem["detail"]


async def _chunks(payload: bytes):
    for i in range(0, len(payload), CHUNK):
        yield payload[i : i + CHUNK]


# -- through the ASGI app ----------------------------------------------------------------------


@bounded(60)
async def test_chunked_body_over_the_limit_is_413_through_the_app(client, world, make_user, db, settings):
    admin = await make_user("admin")
    before = await _team_count(db)
    payload = _team_json(settings.max_body_bytes + 10)
    response = await client.post(
        "/api/v1/teams",
        content=_chunks(payload),
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    _assert_413_problem(response.status_code, response.headers, response.content, settings.max_body_bytes)
    assert await _team_count(db) == before


@bounded(60)
async def test_chunked_body_under_the_limit_still_works(client, world, make_user, db):
    admin = await make_user("admin")
    response = await client.post(
        "/api/v1/teams",
        content=_chunks(_team_json(100, padding=600 * 1024)),
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "n" * 100


@bounded(60)
async def test_more_body_than_declared_is_413(app, world, make_user, db, settings):
    """A sender (or a server that does not check) delivering more than its Content-Length."""
    admin = await make_user("admin")
    before = await _team_count(db)
    payload = _team_json(settings.max_body_bytes + 10)
    messages = [
        {"type": "http.request", "body": payload[i : i + CHUNK], "more_body": i + CHUNK < len(payload)}
        for i in range(0, len(payload), CHUNK)
    ]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/teams",
        "raw_path": b"/api/v1/teams",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"lantern.test"),
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
            (b"authorization", admin.headers["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("lantern.test", 80),
        "state": {},
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    _assert_413_problem(start["status"], headers, body, settings.max_body_bytes)
    assert await _team_count(db) == before


# -- against a real uvicorn server on loopback -------------------------------------------------


@pytest.fixture
async def server(app):
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    async with asyncio.timeout(10):
        while not served.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.02)
    port = served.servers[0].sockets[0].getsockname()[1]
    yield port
    served.should_exit = True
    async with asyncio.timeout(10):
        await task


async def _raw_chunked_post(port: int, path: str, headers: dict[str, str], payload: bytes):
    """POST `payload` with Transfer-Encoding: chunked over a raw socket, reading the answer
    while still sending (the server may answer, and close, before the body is all sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"

    async def send_all() -> None:
        try:
            writer.write(head.encode())
            for i in range(0, len(payload), CHUNK):
                chunk = payload[i : i + CHUNK]
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server answered and closed first

    sending = asyncio.create_task(send_all())
    try:
        status_line = await reader.readline()
        response_headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            response_headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(response_headers.get("content-length", "0")))
    finally:
        await sending
        writer.close()
    return int(status_line.split()[1]), response_headers, body


@bounded(60)
async def test_chunked_body_over_the_limit_is_413_from_uvicorn(server, world, make_user, db, settings):
    admin = await make_user("admin")
    before = await _team_count(db)
    status, headers, body = await _raw_chunked_post(
        server,
        "/api/v1/teams",
        {**admin.headers, "Content-Type": "application/json"},
        _team_json(settings.max_body_bytes + 10),
    )
    _assert_413_problem(status, headers, body, settings.max_body_bytes)
    assert headers.get("connection") == "close"
    assert await _team_count(db) == before


@bounded(60)
async def test_chunked_body_under_the_limit_is_stored_by_uvicorn(server, world, make_user, db, settings):
    admin = await make_user("admin")
    status, _, body = await _raw_chunked_post(
        server,
        "/api/v1/teams",
        {**admin.headers, "Content-Type": "application/json"},
        _team_json(100, padding=settings.max_body_bytes - 1000),
    )
    assert status == 201, body
    assert json.loads(body)["slug"] == "chunked-team"
