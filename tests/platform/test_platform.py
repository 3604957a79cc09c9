"""Health, readiness, metrics, logs, security headers and the column types."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from api.audit.models import AuditEvent
from api.migrations import downgrade, upgrade


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_is_503_when_the_database_is_behind_the_migration_head(client, db):
    await downgrade(db.engine, "base")
    try:
        response = await client.get("/readyz")
        assert response.status_code == 503
    finally:
        await upgrade(db.engine)
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_label_by_route_template_not_by_id(client, make_user):
    worker = await make_user("worker")
    await client.get("/api/v1/me", headers=worker.headers)
    await client.get(f"/api/v1/incidents/{worker.id}", headers=worker.headers)
    metrics = (await client.get("/metrics")).text
    assert 'route="/api/v1/me"' in metrics
    assert "lantern_http_request_duration_seconds_bucket" in metrics
    assert str(worker.id) not in metrics


async def test_logs_are_json_with_request_id_and_no_query_string(client, make_user, caplog):
    from api.platform.logs import JsonFormatter

    worker = await make_user("worker")
    with caplog.at_level(logging.INFO, logger="lantern.http"):
        response = await client.get(
            "/api/v1/me?young_person=Jordan", headers={**worker.headers, "X-Request-ID": "req-123"}
        )
    assert response.headers["x-request-id"] == "req-123"
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "lantern.http"]
    assert lines
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "req-123" and entry["route"] == "/api/v1/me"
    assert "Jordan" not in "".join(lines)


async def test_security_headers_and_no_store_on_api(client, make_user):
    worker = await make_user("worker")
    response = await client.get("/api/v1/me", headers=worker.headers)
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_docs_are_served_without_a_cdn(client):
    page = await client.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    asset = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/auth/token" in spec["paths"]


async def test_utc_datetime_refuses_naive_and_returns_aware_utc(db):
    from api.audit import service as audit

    async with db.session() as session:
        event = audit.record(session, None, "test.naive", username="x")
        event.at = datetime(2026, 3, 29, 1, 30)
        with pytest.raises(Exception, match="naive"):
            await session.commit()  # audit events are chained and written at commit
        await session.rollback()
    local = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=1)))
    async with db.session() as session:
        event = audit.record(session, None, "test.aware", username="x", detail={"k": [1, 2]})
        event.at = local
    async with db.sessionmaker() as session:
        stored = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "test.aware"))
        ).scalar_one()
    assert stored.at.tzinfo is not None
    assert stored.at.utcoffset() == timedelta(0)
    assert stored.at == local.astimezone(UTC)
    assert stored.detail == {"k": [1, 2]}


async def test_savepoints_work(db):
    from api.audit import service as audit

    async with db.session() as session:
        audit.record(session, None, "outer", username="x")
        nested = await session.begin_nested()
        audit.record(session, None, "inner", username="x")
        await session.flush()
        await nested.rollback()
    async with db.sessionmaker() as session:
        actions = set((await session.execute(select(AuditEvent.action))).scalars())
    assert "outer" in actions and "inner" not in actions


async def test_audit_events_are_append_only(db):
    from api.audit import service as audit

    async with db.session() as session:
        audit.record(session, None, "kept", username="x")
    with pytest.raises(Exception, match="append-only"):
        async with db.session() as session:
            await session.execute(text("UPDATE audit_events SET action = 'changed'"))
    with pytest.raises(Exception, match="append-only"):
        async with db.session() as session:
            await session.execute(text("DELETE FROM audit_events"))
