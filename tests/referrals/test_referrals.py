"""The referral to the front door (issue 13): every incident's referral record, routed by who
knows the child; its one-working-day decision clock (bank holidays known); receipt and decision;
the printable page, PDF and JSON export (validated against the checked-in schema), every
download audited; police never see it. Real HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.flows import intake
from api.handover.models import Clock
from api.incidents.models import TimelineEvent
from api.referrals.document import SCHEMA_FILE, schema_text
from api.referrals.models import Referral
from api.rota.hours import one_working_day_after, received_at
from tests.incident_payloads import report

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- The clock (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referred", "due"),
    [
        # In office hours: the same time on the next working day.
        (london(2026, 11, 25, 11, 0), london(2026, 11, 26, 11, 0)),
        # Friday in office hours: Monday.
        (london(2026, 11, 27, 11, 0), london(2026, 11, 30, 11, 0)),
        # Out of hours: received at the next opening, due a working day later.
        (london(2026, 11, 25, 22, 0), london(2026, 11, 27, 9, 0)),
        (london(2026, 11, 26, 3, 0), london(2026, 11, 27, 9, 0)),
        # Friday night before the August bank holiday (Monday 31 August 2026): received on
        # Tuesday at 09:00, due on Wednesday at 09:00.
        (london(2026, 8, 28, 22, 0), london(2026, 9, 2, 9, 0)),
        # Christmas: Thursday 24 December at 16:00 -> Tuesday 29 December (25, 26/28 are holidays).
        (london(2026, 12, 24, 16, 0), london(2026, 12, 29, 16, 0)),
    ],
)
def test_one_working_day(referred, due):
    assert one_working_day_after(referred) == due.astimezone(UTC)


def test_received_at_is_the_next_opening_out_of_hours():
    assert received_at(london(2026, 8, 29, 12, 0)) == london(2026, 9, 1, 9, 0).astimezone(UTC)
    assert received_at(london(2026, 9, 1, 10, 0)) == london(2026, 9, 1, 10, 0).astimezone(UTC)


# --- Through HTTP ------------------------------------------------------------------------------


@pytest.fixture
async def worker(world, make_user):
    return await make_user("worker", teams_=["city-cce", "county-cce"])


async def _report(client, police, young_person: dict, **overrides) -> dict:
    body = report(young_person=young_person, **overrides)
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _referral(client, person, incident_id: str) -> dict:
    response = await client.get(f"/api/v1/incidents/{incident_id}/referral", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


UNKNOWN_CHILD = {"first_name": "Remi", "last_name": "Adeyemi", "date_of_birth": "2011-05-05"}


async def test_a_child_nobody_knows_goes_to_the_front_door_of_the_responsible_authority(
    client, db, custody, worker
):
    created = await _report(client, custody, {**UNKNOWN_CHILD, "responsible_area": "leicester-city"})
    document = await _referral(client, worker, created["id"])
    assert document["route"] == "not_known"
    assert document["receiving"] == {
        "kind": "front_door",
        "name": "Leicester City children's services front door (MASH)",
        "authority": {"code": "leicester-city", "name": "Leicester City"},
    }
    assert document["inform"] == []
    assert any("Not known to children's services" in r for r in document["routing_reasons"])
    assert document["incident"]["reference"] == created["reference"]
    assert document["child"]["first_name"] == "Remi"
    # Its clock: one working day from the referral, a clock of the incident.
    async with db.session() as session:
        referral = (
            await session.execute(select(Referral).where(Referral.incident_id == uuid.UUID(created["id"])))
        ).scalar_one()
        clock = (
            await session.execute(
                select(Clock).where(
                    Clock.incident_id == referral.incident_id, Clock.kind == "referral_decision"
                )
            )
        ).scalar_one()
        assert clock.due_at == referral.decision_due_at == one_working_day_after(referral.referred_at)
        assert clock.met_at is None
        made = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == referral.incident_id, TimelineEvent.action == "referral.made"
                )
            )
        ).scalar_one()
        assert made.detail["route"] == "not_known"
    assert document["decision_clock"]["due_at"].startswith(clock.due_at.isoformat()[:16])


async def test_a_known_child_goes_to_the_allocated_team_and_it_is_remembered(client, custody, worker):
    child = {
        "first_name": "Tia",
        "last_name": "Marsh",
        "date_of_birth": "2010-02-02",
        "la_reference": "LCC-1001",
        "legal_status": "child_in_need",
        "responsible_area": "leicester-city",
    }
    first = await _report(client, custody, {**child, "allocated_team": "City Children in Need Team 3"})
    document = await _referral(client, worker, first["id"])
    assert document["route"] == "known"
    assert document["receiving"]["kind"] == "allocated_team"
    assert document["receiving"]["name"] == "City Children in Need Team 3 (Leicester City)"
    # The next incident of the same child, without the team named: the team is remembered.
    second = await _report(client, custody, child, police_reference="LP-2")
    again = await _referral(client, worker, second["id"])
    assert again["route"] == "known" and again["receiving"]["kind"] == "allocated_team"
    assert again["child"]["allocated_team"] == "City Children in Need Team 3"


async def test_a_looked_after_child_placed_out_of_area_goes_to_the_responsible_authority(
    client, custody, worker
):
    child = {
        "first_name": "Leon",
        "last_name": "Hart",
        "date_of_birth": "2010-09-09",
        "legal_status": "looked_after",
        "responsible_area": "leicestershire",
        "placement_area": "rutland",
    }
    created = await _report(client, custody, child)
    document = await _referral(client, worker, created["id"])
    assert document["route"] == "looked_after_out_of_area"
    assert document["receiving"]["authority"] == {"code": "leicestershire", "name": "Leicestershire"}
    assert document["receiving"]["kind"] == "front_door"
    assert document["inform"] == [{"code": "rutland", "name": "Rutland"}]
    assert document["child"]["placement_authority"]["code"] == "rutland"
    assert any("host authority, is informed" in r for r in document["routing_reasons"])


async def test_an_unknown_placement_area_is_refused_and_nothing_is_written(client, db, custody):
    body = report(young_person={**UNKNOWN_CHILD, "placement_area": "atlantis"})
    response = await client.post("/api/v1/incidents", json=body, headers=custody.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["young_person.placement_area"]
    async with db.session() as session:
        assert (await session.execute(select(Referral))).first() is None


async def test_the_clock_of_a_referral_made_on_a_friday_night_before_a_bank_holiday(
    client, db, custody, worker, monkeypatch
):
    """Intake at Friday 28 August 2026 22:00 (the Monday is a bank holiday): due Wednesday 09:00."""
    friday = london(2026, 8, 28, 22, 0).astimezone(UTC)
    monkeypatch.setattr(intake, "utcnow", lambda: friday)
    created = await _report(
        client, custody, UNKNOWN_CHILD, occurred_at=(friday - timedelta(minutes=30)).isoformat()
    )
    document = await _referral(client, worker, created["id"])
    due = london(2026, 9, 2, 9, 0).astimezone(UTC)
    assert datetime.fromisoformat(document["decision_clock"]["due_at"]) == due
    assert datetime.fromisoformat(document["referred_at"]) == friday
    async with db.session() as session:
        clock = (
            await session.execute(
                select(Clock).where(
                    Clock.incident_id == uuid.UUID(created["id"]), Clock.kind == "referral_decision"
                )
            )
        ).scalar_one()
        assert clock.due_at == due


async def test_receipt_then_decision_meets_the_clock(client, db, custody, worker):
    created = await _report(client, custody, UNKNOWN_CHILD)
    referral_id = (await _referral(client, worker, created["id"]))["id"]
    base = f"/api/v1/referrals/{referral_id}"
    decision = {"decision": "child_and_family_assessment", "decided_by": "MASH team manager"}

    early = await client.post(f"{base}/decision", json=decision, headers=worker.headers)
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    bad = await client.post(f"{base}/receipt", json={}, headers=worker.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "received_by"

    received = await client.post(
        f"{base}/receipt", json={"received_by": "MASH duty desk"}, headers=worker.headers
    )
    assert received.status_code == 200, received.text
    assert received.json()["received_at"] is not None
    twice = await client.post(f"{base}/receipt", json={"received_by": "again"}, headers=worker.headers)
    assert twice.status_code == 409

    wrong = await client.post(
        f"{base}/decision", json={**decision, "decision": "nothing"}, headers=worker.headers
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "decision"
    decided = await client.post(f"{base}/decision", json=decision, headers=worker.headers)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "child_and_family_assessment"
    again = await client.post(f"{base}/decision", json=decision, headers=worker.headers)
    assert again.status_code == 409

    document = await _referral(client, worker, created["id"])
    assert document["receipt"]["received_by"] == "MASH duty desk"
    assert document["receipt"]["recorded_by"] == "Test worker"
    assert document["decision"]["decision"] == "child_and_family_assessment"
    assert document["decision_clock"]["met_at"] is not None
    async with db.session() as session:
        clock = (
            await session.execute(
                select(Clock).where(
                    Clock.incident_id == uuid.UUID(created["id"]), Clock.kind == "referral_decision"
                )
            )
        ).scalar_one()
        assert clock.met_at is not None and clock.outcome == "child_and_family_assessment"
        actions = set(
            (
                await session.execute(
                    select(TimelineEvent.action).where(TimelineEvent.incident_id == clock.incident_id)
                )
            ).scalars()
        )
        assert {"referral.made", "referral.received", "referral.decided"} <= actions


async def test_the_decision_clock_is_not_met_by_hand(client, db, custody, make_user):
    day = await make_user("day_team", teams_=["city-cce"])
    created = await _report(client, custody, UNKNOWN_CHILD)
    async with db.session() as session:
        clock = (
            await session.execute(
                select(Clock).where(
                    Clock.incident_id == uuid.UUID(created["id"]), Clock.kind == "referral_decision"
                )
            )
        ).scalar_one()
    response = await client.post(f"/api/v1/clocks/{clock.id}/met", json={}, headers=day.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "clock_id"


async def _downloads(db, referral_id: str) -> list[AuditEvent]:
    async with db.session() as session:
        return list(
            (
                await session.execute(
                    select(AuditEvent).where(
                        AuditEvent.action == "referral.download",
                        AuditEvent.resource_id == uuid.UUID(referral_id),
                    )
                )
            ).scalars()
        )


async def test_the_json_export_validates_against_the_checked_in_schema_and_is_audited(
    client, db, custody, worker
):
    created = await _report(
        client,
        custody,
        UNKNOWN_CHILD,
        kind="arrest",
        custody_status="in_custody",
        indicators=[
            {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
            {"code": "MOV-OUT-OF-AREA", "provenance": "observed"},
        ],
    )
    referral_id = (await _referral(client, worker, created["id"]))["id"]
    response = await client.get(f"/api/v1/referrals/{referral_id}/referral.json", headers=worker.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="lantern-referral-{created["reference"]}.json"'
    )
    exported = response.json()
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(exported), list(validator.iter_errors(exported))[:3]
    assert exported["nrm"]["reasons"] == ["Drugs or cash with travel out of area (county lines)"]
    # The schema catches a broken export: a missing field, an unknown one, a wrong decision.
    broken = {k: v for k, v in exported.items() if k != "receiving"}
    assert not validator.is_valid(broken)
    assert not validator.is_valid({**exported, "surprise": 1})
    assert not validator.is_valid({**exported, "route": "elsewhere"})
    downloads = await _downloads(db, referral_id)
    assert [d.detail["format"] for d in downloads] == ["json"]
    assert downloads[0].actor_id == worker.id and downloads[0].young_person_id is not None


def test_the_checked_in_schema_is_the_models():
    """Regenerate with: python -m api.referrals.document > api/referrals/referral.schema.json"""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


async def test_the_page_and_the_pdf_hold_the_referral_and_are_audited(client, db, custody, worker):
    created = await _report(client, custody, {**UNKNOWN_CHILD, "responsible_area": "leicester-city"})
    referral_id = (await _referral(client, worker, created["id"]))["id"]
    html = await client.get(f"/api/v1/referrals/{referral_id}/referral.html", headers=worker.headers)
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    assert "<h1>Referral to children's services</h1>" in html.text and "Remi Adeyemi" in html.text
    assert "<script" not in html.text
    assert f"<title>Lantern referral · {created['reference']}</title>" in html.text
    pdf = await client.get(f"/api/v1/referrals/{referral_id}/referral.pdf", headers=worker.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    text = " ".join(
        "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert "Remi Adeyemi" in text and "Leicester City children's services front door (MASH)" in text
    assert "OFFICIAL-SENSITIVE" in text and created["reference"] in text
    formats = sorted(d.detail["format"] for d in await _downloads(db, referral_id))
    assert formats == ["html", "pdf"]


async def test_police_and_other_teams_never_see_the_referral(client, custody, worker, make_user):
    created = await _report(client, custody, UNKNOWN_CHILD)
    referral_id = (await _referral(client, worker, created["id"]))["id"]
    admin = await make_user("admin")
    other = await make_user("worker", teams_=["rutland-general"])
    reads = [
        f"/api/v1/referrals/{referral_id}",
        f"/api/v1/referrals/{referral_id}/referral.json",
        f"/api/v1/referrals/{referral_id}/referral.html",
        f"/api/v1/referrals/{referral_id}/referral.pdf",
        f"/api/v1/incidents/{created['id']}/referral",
    ]
    for url in reads:
        assert (await client.get(url, headers=custody.headers)).status_code == 403, url
        assert (await client.get(url, headers=admin.headers)).status_code in (403, 404), url
        assert (await client.get(url, headers=other.headers)).status_code == 404, url
    for action, body in (
        ("receipt", {"received_by": "x"}),
        ("decision", {"decision": "early_help", "decided_by": "x"}),
    ):
        response = await client.post(
            f"/api/v1/referrals/{referral_id}/{action}", json=body, headers=custody.headers
        )
        assert response.status_code == 403
    # The intake answer police get names no referral.
    assert "referral" not in json.dumps(created)
