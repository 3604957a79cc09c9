"""Behind a reverse proxy: the client's address comes from X-Forwarded-For only when the
connection comes from a configured proxy (LANTERN_TRUSTED_PROXIES). Otherwise a client could
choose the address that the sign-in throttle counts and the audit trail records, and without
any trust every request behind the proxy would share the proxy's address.

A real uvicorn on loopback, with the options `lantern serve` uses (workers.cli.server_options)."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from api.auth.models import SigninFailure
from api.settings import Settings
from workers.cli import server_options

FORWARDED = "203.0.113.9"


@asynccontextmanager
async def serving(app, settings: Settings):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {**server_options(settings), "lifespan": "off", "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, no event
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task
        sock.close()


async def recorded_address(app, db, settings: Settings) -> str:
    async with serving(app, settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        refused = await client.post(
            "/api/v1/auth/token",
            data={"username": "nobody.here", "password": "wrong-password-entirely"},
            headers={"X-Forwarded-For": FORWARDED},
        )
    assert refused.status_code == 401, refused.text
    async with db.session() as session:
        rows = (await session.execute(select(SigninFailure.client_address))).scalars().all()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        ([], "127.0.0.1"),  # the default: no forwarded header is believed
        (["127.0.0.1"], FORWARDED),  # the proxy's own address
        (["127.0.0.0/8"], FORWARDED),  # the proxies' network
        (["10.0.0.0/8"], "127.0.0.1"),  # a header from a connection outside it is ignored
    ],
)
async def test_forwarded_address_believed_only_from_configured_proxies(app, db, settings, trusted, expected):
    configured = settings.model_copy(update={"trusted_proxies": trusted})
    assert await recorded_address(app, db, configured) == expected


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("LANTERN_TRUSTED_PROXIES", "10.0.0.5, 172.28.0.0/24")
    assert Settings().trusted_proxies == ["10.0.0.5", "172.28.0.0/24"]
    monkeypatch.setenv("LANTERN_TRUSTED_PROXIES", "10.0.0.5,proxy.internal")
    with pytest.raises(ValueError, match="proxy.internal"):
        Settings()
