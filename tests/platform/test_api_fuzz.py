"""schemathesis over every operation in /openapi.json, as each role: no 5xx, every error problem+json.

A real server on a loopback port (uvicorn in a thread, SQLite, the demo data loaded) and a fixed
set of generated requests, the same on every run (a derandomised Hypothesis seed, no example
database). Each operation's cases are generated once and sent as every role: the cases do not
depend on the role, and generating them again for each of the seven roles cost more CPU than
sending them. A role an operation admits (its `roles(...)` guard, read from the app's routes) is
sent every case; a role it refuses is sent the first `REFUSED_EXAMPLES`, because the role guard
answers before the route's own parameters are used, whatever the case holds. With 6 examples
that is about 2,500 requests, some 40 s of CPU at a load of 12 (every request had been some
5,900, and the run was cut off by a 240 s time budget, whatever roles it had not reached yet).
Set LANTERN_FUZZ_EXAMPLES to explore further locally.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from sqlalchemy import select

from api.auth.models import User
from api.auth.tokens import issue_access_token
from api.db import Database
from api.demo import load_demo
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings
from tests.conftest import VAPID_PEM
from tests.platform.test_route_roles import _guards, api_routes

# A fixed set of requests (above); the time-out only stops one that hangs.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXAMPLES = int(os.environ.get("LANTERN_FUZZ_EXAMPLES", "6"))
REFUSED_EXAMPLES = 2
ROLES = {
    "police": "custody.euston",
    "worker": "worker.cce",
    "day_team": "day.cce",
    "manager": "manager.duty",
    "coordinator": "coordinator.hubs",
    "partner": "partner.home",
    "admin": "admin",
}
# Streams that never end by design, and sign-outs that would revoke the fuzzer's own token;
# their own tests cover them.
SKIPPED = {
    ("GET", "/api/v1/events"),
    ("POST", "/api/v1/auth/sign-out"),
    ("POST", "/api/v1/auth/sign-out-everywhere"),
}


def _serve(app, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    return server, thread


async def _prepare(settings: Settings) -> dict[str, tuple[str, set[str]]]:
    """Migrate and load the demo; each fuzzed role's access token and the roles its user holds."""
    database = Database(settings.database_url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()
    await load_demo(settings)
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            users = {u.username: u for u in (await session.execute(select(User))).scalars()}
    finally:
        await database.dispose()
    return {
        role: (issue_access_token(settings, users[name].id).token, set(users[name].roles))
        for role, name in ROLES.items()
    }


def _content_type(response) -> str:
    value = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    return value[0] if isinstance(value, list) else value


def _cases(operation) -> list:
    """The operation's generated cases: up to EXAMPLES, the same ones on every run."""
    cases: list = []

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def generate(case):
        cases.append(case)

    generate()
    return cases


def _role_guards(app) -> dict[tuple[str, str], list]:
    """Each (method, path) of the app and its role guards (`roles(...)`, `public()`)."""
    return {
        (method, path): _guards(route.dependant)
        for path, route in api_routes(app)
        for method in route.methods
    }


def _admitted(guards: list, held: set[str]) -> bool:
    """Whether a user holding the roles `held` passes every guard of an operation."""
    return all(guard.public or set(guard.allowed) & held for guard in guards)


def _send(case, role: str, token: str, base: str, statuses: Counter, failures: list[str]) -> None:
    response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=15)
    statuses[response.status_code] += 1
    where = f"{role} {case.operation.method.upper()} {case.operation.path} -> {response.status_code}"
    if response.status_code >= 500:
        failures.append(where)
    elif response.status_code >= 400 and not _content_type(response).startswith("application/problem+json"):
        failures.append(where + " (not problem+json)")


def test_no_operation_answers_5xx_or_a_non_problem_error(tmp_path: Path):
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
    )
    tokens = asyncio.run(_prepare(settings))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings)
    guards = _role_guards(app)
    server, thread = _serve(app, sock)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    refused = 0
    try:
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operations = [op.ok() for op in schema.get_all_operations()]
        assert len(operations) > 40
        cases = {
            (op.method.upper(), op.path): _cases(op)
            for op in operations
            if (op.method.upper(), op.path) not in SKIPPED
        }
        assert set(cases) <= set(guards), "operations the app's routes do not name"
        for role, (token, held) in tokens.items():
            for key, generated in cases.items():
                admitted = _admitted(guards[key], held)
                refused += not admitted
                for case in generated if admitted else generated[:REFUSED_EXAMPLES]:
                    _send(case, role, token, base, statuses, failures)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    total = sum(statuses.values())
    print(f"schemathesis: {total} requests, statuses {dict(sorted(statuses.items()))}")
    print(f"schemathesis: {refused} of {len(cases) * len(tokens)} operation and role pairs refused")
    assert total > 200, "too few requests were made to mean anything"
    assert len(cases) * len(tokens) - refused > 100, "the roles' guards were not read"
    assert sorted(set(failures)) == []
