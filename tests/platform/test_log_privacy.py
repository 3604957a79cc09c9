"""Nothing a child's record holds reaches a log line, on any error path.

Markers are planted in every free-text field of an intake, a support offer and a handover
note; then each way a request can fail is driven (validation, a refused commit, a failing
statement whose server message quotes the value, an unexpected exception in the app) and the
JSON log lines, formatted exactly as in production, are searched for the markers.
"""

from __future__ import annotations

import contextlib
import uuid

import httpx

from tests.incident_payloads import report
from tests.support_helpers import attended_incident, offer_body, offer_url

MARK = "ZQXMARK"


def marked(field: str) -> str:
    return f"{MARK}{field.replace('.', '')}"


def planted_report(**overrides) -> dict:
    body = report(
        police_reference=marked("ref")[:40],
        circumstances=marked("circumstances"),
        custody={"status": "released", "released_to": marked("releasedto")},
        location={"description": marked("location"), "area": "leicester-city"},
        young_person={
            "first_name": marked("first"),
            "last_name": marked("last"),
            "date_of_birth": "2011-04-02",
            "la_reference": marked("laref"),
            "aliases": [marked("alias")],
        },
        people_present=[{"role": "peer", "description": marked("peer")}],
    )
    body.update(overrides)
    return body


@contextlib.contextmanager
def injected(db, hook: str, error_factory, when=lambda statement: True):
    """Make the dialect's `do_commit` or `do_execute` raise, as the database server would."""
    dialect = db.engine.sync_engine.dialect
    real = getattr(dialect, hook)
    hits = {"n": 0}

    def failing(*args, **kwargs):
        statement = args[1] if hook == "do_execute" else ""
        if when(statement):
            hits["n"] += 1
            raise error_factory(dialect.loaded_dbapi)
        return real(*args, **kwargs)

    setattr(dialect, hook, failing)
    try:
        yield hits
    finally:
        setattr(dialect, hook, real)


async def test_no_marker_reaches_the_logs_on_any_error_path(app, client, db, world, make_user, captured_logs):
    custody = await make_user("police", station="euston-street")
    statuses = {}

    # 1. Validation: a bad date next to planted names.
    bad = planted_report()
    bad["young_person"]["date_of_birth"] = f"{MARK}-not-a-date"
    statuses["422"] = (await client.post("/api/v1/incidents", json=bad, headers=custody.headers)).status_code

    # 2. The database refuses the commit.
    with injected(
        db, "do_commit", lambda dbapi: dbapi.OperationalError("server closed the connection")
    ) as hit:
        response = await client.post("/api/v1/incidents", json=planted_report(), headers=custody.headers)
    statuses["503"] = response.status_code
    assert hit["n"] == 1

    # 3. A statement fails and the server's message quotes the value (as PostgreSQL's DETAIL does).
    with injected(
        db,
        "do_execute",
        lambda dbapi: dbapi.IntegrityError(f"duplicate key DETAIL: Key (circumstances)=({MARK}detail)"),
        when=lambda statement: statement.lstrip().upper().startswith("INSERT INTO INCIDENTS"),
    ) as hit:
        response = await client.post("/api/v1/incidents", json=planted_report(), headers=custody.headers)
    statuses["500-sql"] = response.status_code
    assert hit["n"] == 1

    # 4. An unexpected exception in the app whose message carries the value.
    with injected(
        db,
        "do_execute",
        lambda dbapi: ValueError(f"cannot handle {MARK}python"),
        when=lambda statement: statement.lstrip().upper().startswith("INSERT INTO INCIDENTS"),
    ):
        # As a real server would: the app's own 500 answer, not the exception re-raised to the client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://lantern.test") as server:
            response = await server.post("/api/v1/incidents", json=planted_report(), headers=custody.headers)
    statuses["500-python"] = response.status_code

    # 5. Support offers and handover notes on a failing commit.
    incident, worker, _ = await attended_incident(db, world, make_user)
    with injected(db, "do_commit", lambda dbapi: dbapi.OperationalError("gone")):
        offer = await client.put(
            offer_url(incident.id, uuid.uuid4()),
            json=offer_body(notes=marked("offernotes")),
            headers=worker.headers,
        )
        note = await client.put(
            f"/api/v1/incidents/{incident.id}/handover-note/{uuid.uuid4()}",
            json={"text": marked("note")},
            headers=worker.headers,
        )
    statuses["offer"], statuses["note"] = offer.status_code, note.status_code

    assert statuses == {
        "422": 422,
        "503": 503,
        "500-sql": 500,
        "500-python": 500,
        "offer": 503,
        "note": 503,
    }
    logs = captured_logs.getvalue()
    assert "error" in logs  # the failures were logged, just not their contents
    assert MARK not in logs, [line for line in logs.splitlines() if MARK in line][:3]


def test_engines_never_put_bound_parameters_in_errors(db):
    assert db.engine.sync_engine.hide_parameters is True
