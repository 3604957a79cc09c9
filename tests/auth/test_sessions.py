"""Revoking tokens: sign-out, sign-out everywhere (a lost phone), an admin's revocation.

Checked by the one token module on every request, from a per-process copy of the revoked
sessions that is re-read at most every `revocation_cache_seconds`; the database is the truth
across replicas.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.auth.models import SessionRevocation
from api.auth.runtime import auth_runtime
from api.main import create_app
from tests.conftest import PASSWORD
from tests.paging_helpers import (
    T0,
    bounded,
    incident_row,
    make_crew,
    page_incident,
    paging_settings,
    received_by,
)


async def sign_in(client, username: str) -> str:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me(client, token: str) -> int:
    return (await client.get("/api/v1/me", headers=bearer(token))).status_code


async def audit_rows(db, action: str) -> list[AuditEvent]:
    async with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at)
        return list((await session.execute(query)).scalars())


async def test_sign_out_refuses_that_token_only(client, db, make_user):
    sam = await make_user("worker", username="sam.worker")
    phone, laptop = await sign_in(client, "sam.worker"), await sign_in(client, "sam.worker")
    assert await me(client, phone) == 200
    response = await client.post("/api/v1/auth/sign-out", headers=bearer(phone))
    assert response.status_code == 204
    assert await me(client, phone) == 401
    again = await client.post("/api/v1/auth/sign-out", headers=bearer(phone))
    assert again.status_code == 401
    assert again.headers["content-type"].startswith("application/problem+json")
    assert await me(client, laptop) == 200  # the other device stays signed in
    [event] = await audit_rows(db, "auth.signout")
    assert (event.actor_id, event.resource_id, event.outcome) == (sam.id, sam.id, "ok")


async def test_sign_out_everywhere_kills_every_older_token_but_a_new_sign_in_works(client, db, make_user):
    sam = await make_user("worker", username="sam.worker")
    kim = await make_user("worker", username="kim.worker")
    lost_phone = await sign_in(client, "sam.worker")
    tablet = await sign_in(client, "sam.worker")
    response = await client.post("/api/v1/auth/sign-out-everywhere", headers=bearer(tablet))
    assert response.status_code == 204
    for token in (lost_phone, tablet, sam.token):
        assert await me(client, token) == 401
    assert await me(client, kim.token) == 200  # nobody else is touched
    fresh = await sign_in(client, "sam.worker")  # issued just after: not caught by the cut-off
    assert await me(client, fresh) == 200
    [event] = await audit_rows(db, "auth.signout_everywhere")
    assert (event.actor_id, event.resource_id) == (sam.id, sam.id)


async def test_an_admin_revokes_a_users_sessions(client, db, make_user):
    admin = await make_user("admin")
    sam = await make_user("worker", username="sam.worker")
    phone = await sign_in(client, "sam.worker")
    response = await client.post(f"/api/v1/users/{sam.id}/revoke-sessions", headers=admin.headers)
    assert response.status_code == 204
    assert await me(client, phone) == 401
    assert await me(client, sam.token) == 401
    assert await me(client, admin.token) == 200
    assert await me(client, await sign_in(client, "sam.worker")) == 200
    [event] = await audit_rows(db, "auth.sessions_revoked")
    assert (event.actor_id, event.resource_type, event.resource_id) == (admin.id, "user", sam.id)
    async with db.session() as session:
        [row] = (await session.execute(select(SessionRevocation))).scalars().all()
    assert (row.user_id, row.revoked_by_id, row.reason) == (sam.id, admin.id, "admin")

    missing = await client.post(
        "/api/v1/users/00000000-0000-4000-8000-000000000000/revoke-sessions", headers=admin.headers
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", ["worker", "manager", "day_team", "police"])
async def test_only_an_admin_may_revoke_another_users_sessions(client, db, make_user, world, role):
    caller = await make_user(role, teams_=["city-cce"] if role != "police" else ())
    sam = await make_user("worker", teams_=["city-cce"], username="sam.worker")
    response = await client.post(f"/api/v1/users/{sam.id}/revoke-sessions", headers=caller.headers)
    assert response.status_code == 403
    assert await me(client, sam.token) == 200
    assert await audit_rows(db, "auth.sessions_revoked") == []


async def test_revocation_costs_no_query_per_request(app, client, make_user):
    sam = await make_user("worker")
    cache = auth_runtime(app).revocations
    cache.clock = lambda: 1000.0  # a slow machine must not make the window pass mid-test
    for _ in range(20):
        assert await me(client, sam.token) == 200
    assert cache.loads == 1  # one read of the revocations for twenty requests


async def test_another_replica_refuses_a_revocation_within_the_cache_window(app, client, settings, make_user):
    """Two processes on one database. The one that revoked refuses at once; the other within
    `revocation_cache_seconds` (its clock is advanced here instead of waiting)."""
    sam = await make_user("worker", username="sam.worker")
    token = await sign_in(client, "sam.worker")
    replica = create_app(settings)
    async with replica.router.lifespan_context(replica):
        ticks = [0.0]
        auth_runtime(replica).revocations.clock = lambda: ticks[0]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=replica), base_url="http://lantern.test"
        ) as other:
            assert await me(other, token) == 200  # the replica has read the (empty) revocations
            assert (await client.post("/api/v1/auth/sign-out", headers=bearer(token))).status_code == 204
            assert await me(client, token) == 401  # the revoking process: at once
            # The documented staleness window: the replica still has its earlier copy...
            ticks[0] += settings.revocation_cache_seconds - 0.1
            assert await me(other, token) == 200
            # ...and re-reads the database once the window has passed.
            ticks[0] += 0.2
            assert await me(other, token) == 401
            assert await me(other, sam.token) == 200  # only that token


class TestLostPhone:
    """With the fake push service and worker of the paging tests."""

    @pytest.fixture
    def settings(self, settings, push_service):
        return paging_settings(settings, push_service)

    @bounded()
    async def test_its_acknowledgement_links_die_with_its_sessions(
        self, client, db, world, make_user, push, worker
    ):
        crew = await make_crew(client, db, world, make_user, push)
        incident = await page_incident(db, world, crew)
        await worker.drain(now=T0)
        link = received_by(push, crew.phones["primary"])[0].payload["ack_token"]
        signed_out = await client.post("/api/v1/auth/sign-out-everywhere", headers=crew.primary.headers)
        assert signed_out.status_code == 204
        body = {"ack_token": link, "action": "phoning"}
        response = await client.post("/api/v1/acknowledgements", json=body)
        assert response.status_code == 401
        assert (await incident_row(db, incident.id)).state != "acknowledged"  # escalation carries on
