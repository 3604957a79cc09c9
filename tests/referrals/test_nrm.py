"""The National Referral Mechanism action (issue 13): the rules table, the handover item that
cannot close without a decision, the decision on the timeline and in the report, and the s45
flag on a charge. Real HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.handover.models import HandoverItem, NrmConsideration
from api.incidents.models import Incident, TimelineEvent
from api.triage.catalogue import Catalogue, Indicator, load_catalogue, newest_entry
from api.triage.nrm import CONSENT_NOTE, S45_FLAG, load_rules, nrm_reasons, s45_applies
from api.triage.rules import ObservedIndicator
from tests.incident_payloads import report

LONDON = ZoneInfo("Europe/London")
COUNTY_LINES = [
    {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
    {"code": "MOV-OUT-OF-AREA", "provenance": "observed"},
]


def _observed(*codes: str) -> list[ObservedIndicator]:
    """As recorded: a code of an earlier catalogue keeps that catalogue's category."""
    return [ObservedIndicator(c, newest_entry(c).category, "observed") for c in codes]


# --- The rules table (pure) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "rules"),
    [
        (("ITM-DRUGS-CASH", "MOV-OUT-OF-AREA"), ["county-lines-travel"]),
        (("ITM-DRUGS-CASH", "MOV-TRAVEL-UNUSUAL"), ["county-lines-travel"]),
        (("ITM-DRUGS-CONCEALED", "MOV-OUT-OF-AREA"), ["county-lines-travel", "drugs-concealed"]),
        (("MOV-DRUG-SUPPLY-ADDRESS",), ["trap-house"]),
        (("MOV-CUCKOOING",), ["trap-house"]),
        # A deprecated code an older incident still carries (kept as sent, no replacement).
        (("MOV-HOTEL-TRAPHOUSE",), ["trap-house"]),
        (("ITM-DRUGS-CASH", "MOV-TRAIN-LONG-JOURNEY"), ["county-lines-travel"]),
        (("HRM-EXPLOITER-VIOLENCE-DEBT",), ["debt"]),
        (("REL-CONTROLLING-ADULT",), ["held-or-controlled"]),
        (("HRM-SEXTORTION",), ["cse-harm"]),
        (("ITM-DEBT-SEIZURE",), ["debt"]),
        (("HRM-HELD-AGAINST-WILL",), ["held-or-controlled"]),
        (("HRM-FEAR-REPRISAL",), ["held-or-controlled"]),
        (("HRM-ONLINE-GROOMING",), ["cse-harm"]),
        (("HRM-SEXUAL-ASSAULT",), ["cse-harm"]),
        (("HRM-ONLINE-GROOMING", "MOV-DRUG-SUPPLY-ADDRESS"), ["trap-house", "cse-harm"]),
        # The v2 code for a disclosed assault was CSE harm (read from v2 when an incident has it).
        (("HRM-DISCLOSED-ASSAULT",), ["cse-harm"]),
        # An assault disclosed routes by its context now: not CSE harm by itself.
        (("HRM-ASSAULT-DISCLOSED",), []),
        # Drugs alone, travel alone, unexplained money with travel: no rule.
        (("ITM-DRUGS-CASH",), []),
        (("MOV-OUT-OF-AREA",), []),
        (("ITM-UNEXPLAINED-MONEY", "MOV-OUT-OF-AREA"), []),
        (("MOV-VEHICLE-UNKNOWN-ADULT", "MOV-HOTEL-SHORT-LET"), []),
        ((), []),
    ],
)
def test_the_rules_table_raises_the_action_for_these_combinations(codes, rules):
    assert [r.rule for r in nrm_reasons(_observed(*codes))] == rules


def test_every_code_the_table_names_is_in_a_catalogue_and_every_rule_has_a_current_code():
    current = set(load_catalogue().codes())
    for rule in load_rules():
        assert rule.reason and all(newest_entry(code) for code in rule.codes()), rule.code
        assert not rule.codes() or rule.codes() & current, rule.code


def test_a_new_cse_harm_code_slots_in_by_its_group_and_category():
    """A code the table does not name (added to the catalogue later) counts by group+category."""
    base = load_catalogue()
    new = Indicator("HRM-SEXTORTION-TEST", "Online sexual extortion", "cse", "harm")
    catalogue = Catalogue(base.version, (*base.indicators, new), base.groups)
    observed = [ObservedIndicator(new.code, "cse", "disclosed")]
    assert [r.rule for r in nrm_reasons(observed, catalogue=catalogue)] == ["cse-harm"]
    # A harm indicator of another category does not.
    other = Indicator("HRM-OTHER-TEST", "Something else", "general", "harm")
    catalogue = Catalogue(base.version, (*base.indicators, other), base.groups)
    assert nrm_reasons([ObservedIndicator(other.code, "general", "observed")], catalogue=catalogue) == []


def test_s45_needs_a_charge_and_exploitation_indicators():
    assert s45_applies(_observed("MOV-OUT-OF-AREA"), charged=True)  # a CCE indicator
    assert not s45_applies(_observed("MOV-OUT-OF-AREA"), charged=False)
    assert not s45_applies(_observed("ITM-UNEXPLAINED-MONEY", "BEH-EDUCATION"), charged=True)
    reasons = nrm_reasons(_observed("MOV-OUT-OF-AREA"), charged=True)
    assert [r.rule for r in reasons] == ["charged"]


# --- Through HTTP ---------------------------------------------------------------------------


def _last_10pm() -> datetime:
    """22:00 London on the most recent evening at least an hour ago (the night it belongs to is
    that date)."""
    now = datetime.now(LONDON)
    at = now.replace(hour=22, minute=0, second=0, microsecond=0)
    if at > now - timedelta(hours=1):
        at -= timedelta(days=1)
    return at


@pytest.fixture
async def day(world, make_user):
    return await make_user("day_team", teams_=["city-cce"])


async def _arrest(client, police, *, indicators=COUNTY_LINES, **overrides) -> dict:
    body = report(
        kind="arrest",
        occurred_at=_last_10pm().isoformat(),
        custody_status="in_custody",
        indicators=indicators,
        young_person={"first_name": "Kai", "last_name": "Whitlock", "date_of_birth": "2009-08-19"},
        **overrides,
    )
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _item(client, day, incident_id: str) -> dict:
    for state in ("awaiting_pickup", "picked_up", "closed"):
        response = await client.get(
            "/api/v1/handover", params={"team": "city-cce", "state": state}, headers=day.headers
        )
        assert response.status_code == 200, response.text
        for item in response.json()["items"]:
            if item["incident"]["id"] == incident_id:
                return item
    raise AssertionError("no handover item")


async def _pick_up(client, day, item_id: str) -> None:
    response = await client.post(f"/api/v1/handover/{item_id}/pickup", headers=day.headers)
    assert response.status_code == 200, response.text


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in reader.pages))


async def test_a_county_lines_arrest_shows_the_prompt_and_cannot_close_without_a_decision(
    client, db, custody, day
):
    created = await _arrest(client, custody)
    item = await _item(client, day, created["id"])
    nrm = item["nrm"]
    assert nrm["prompt"] == "Consider an NRM referral"
    assert nrm["reasons"] == ["Drugs or cash with travel out of area (county lines)"]
    assert nrm["consent_note"] == CONSENT_NOTE and "no consent" in nrm["consent_note"]
    assert nrm["needs_decision"] is True and nrm["decision"] is None and nrm["s45_flag"] is None

    await _pick_up(client, day, item["id"])
    refused = await client.post(
        f"/api/v1/handover/{item['id']}/close", json={"note": "Done"}, headers=day.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "NRM decision" in refused.json()["detail"]
    async with db.session() as session:
        stored = await session.get(HandoverItem, uuid.UUID(item["id"]))
        assert stored.state == "picked_up" and stored.closed_at is None  # nothing half-written

    # A decision missing its facts is refused, naming every field at fault.
    bad = await client.post(
        f"/api/v1/incidents/{created['id']}/nrm/decision", json={"decision": "referred"}, headers=day.headers
    )
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["errors"]} == {"referral_reference", "referred_on"}
    bad = await client.post(
        f"/api/v1/incidents/{created['id']}/nrm/decision",
        json={"decision": "not_referred", "referral_reference": "NRM-1"},
        headers=day.headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"reason", "referral_reference"}

    today = datetime.now(LONDON).date().isoformat()
    decided = await client.post(
        f"/api/v1/incidents/{created['id']}/nrm/decision",
        json={"decision": "referred", "referral_reference": "NRM-2026-77", "referred_on": today},
        headers=day.headers,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["decision"] == "referred" and body["referral_reference"] == "NRM-2026-77"
    assert body["decided_by"]["id"] == str(day.id) and body["needs_decision"] is False
    again = await client.post(
        f"/api/v1/incidents/{created['id']}/nrm/decision",
        json={"decision": "not_referred", "reason": "changed my mind"},
        headers=day.headers,
    )
    assert again.status_code == 409

    closed = await client.post(
        f"/api/v1/handover/{item['id']}/close", json={"note": "Done"}, headers=day.headers
    )
    assert closed.status_code == 200, closed.text

    async with db.session() as session:
        events = (
            (
                await session.execute(
                    select(TimelineEvent)
                    .where(TimelineEvent.incident_id == uuid.UUID(created["id"]))
                    .order_by(TimelineEvent.at)
                )
            )
            .scalars()
            .all()
        )
        decided_event = next(e for e in events if e.action == "nrm.decided")
        assert decided_event.actor_id == day.id
        assert decided_event.detail == {"decision": "referred", "referred_on": today}
        assert any(e.action == "nrm.raised" for e in events)
        audited = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "nrm.decide"))
        ).scalar_one()
        assert audited.actor_id == day.id


async def test_the_decision_and_who_made_it_are_in_the_report(client, custody, day):
    created = await _arrest(
        client, custody, indicators=[{"code": "ITM-DEBT-SEIZURE", "provenance": "disclosed"}]
    )
    item = await _item(client, day, created["id"])
    reason = "Already referred by the youth offending service last week"
    decided = await client.post(
        f"/api/v1/incidents/{created['id']}/nrm/decision",
        json={"decision": "not_referred", "reason": reason},
        headers=day.headers,
    )
    assert decided.status_code == 200, decided.text
    night = _last_10pm().date().isoformat()
    params = {"team": "city-cce", "night": night}
    html = await client.get("/api/v1/handover/report", params=params, headers=day.headers)
    assert html.status_code == 200, html.text
    assert "National Referral Mechanism" in html.text
    assert "In debt to exploiters, drugs or cash seized, or violence and debt imposed by them" in html.text
    assert f"not referred ({reason}); recorded by Test day_team" in html.text
    assert "Children need no consent" in html.text
    csv = await client.get("/api/v1/handover/report.csv", params=params, headers=day.headers)
    assert "NRM decision: not referred" in csv.text and "Test day_team" in csv.text
    pdf = await client.get("/api/v1/handover/report.pdf", params=params, headers=day.headers)
    assert pdf.status_code == 200
    text = " ".join(_pdf_text(pdf.content).split())
    assert "NRM decision: not referred" in text and "recorded by Test day_team" in text
    assert item["nrm"]["reasons"]


async def test_no_rule_no_action_and_the_item_closes(client, custody, day):
    created = await _arrest(
        client, custody, indicators=[{"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"}]
    )
    item = await _item(client, day, created["id"])
    assert item["nrm"] is None
    missing = await client.get(f"/api/v1/incidents/{created['id']}/nrm", headers=day.headers)
    assert missing.status_code == 404
    await _pick_up(client, day, item["id"])
    closed = await client.post(
        f"/api/v1/handover/{item['id']}/close", json={"note": "ok"}, headers=day.headers
    )
    assert closed.status_code == 200, closed.text


async def _patch(client, person, incident_id: str, body: dict, db) -> dict:
    async with db.session() as session:
        version = (await session.get(Incident, uuid.UUID(incident_id))).version
    response = await client.patch(
        f"/api/v1/incidents/{incident_id}", json=body, headers={**person.headers, "If-Match": f'"{version}"'}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_charge_with_exploitation_indicators_flags_the_s45_defence(client, db, custody, day):
    created = await _arrest(
        client, custody, indicators=[{"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"}]
    )
    assert (
        await client.get(f"/api/v1/incidents/{created['id']}/nrm", headers=day.headers)
    ).status_code == 404
    charged_at = datetime.now(UTC) - timedelta(minutes=5)
    updated = await _patch(client, custody, created["id"], {"charged_at": charged_at.isoformat()}, db)
    assert "s45_flagged" in updated["changes"] and "nrm_raised" in updated["changes"]

    view = await client.get(f"/api/v1/incidents/{created['id']}/nrm", headers=day.headers)
    assert view.status_code == 200, view.text
    assert view.json()["s45_flag"] == S45_FLAG
    assert S45_FLAG.startswith("Possible Modern Slavery Act s45 defence: tell the youth justice service")
    assert view.json()["reasons"] == ["Charged with an offence while exploitation indicators are recorded"]
    async with db.session() as session:
        row = (
            await session.execute(
                select(NrmConsideration).where(NrmConsideration.incident_id == uuid.UUID(created["id"]))
            )
        ).scalar_one()
        assert row.s45_flagged_at is not None
        flagged = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == row.incident_id, TimelineEvent.action == "nrm.s45_flagged"
                )
            )
        ).scalar_one()
        assert flagged.detail == {"flag": S45_FLAG}
        read = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "nrm.read"))).scalars().all()
        )
        assert read and all(a.actor_id == day.id for a in read)
    item = await _item(client, day, created["id"])
    assert item["nrm"]["s45_flag"] == S45_FLAG


async def test_a_charge_without_exploitation_indicators_is_not_flagged(client, db, custody, day):
    created = await _arrest(
        client, custody, indicators=[{"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"}]
    )
    updated = await _patch(
        client,
        custody,
        created["id"],
        {"charged_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()},
        db,
    )
    assert "s45_flagged" not in updated["changes"]
    assert (
        await client.get(f"/api/v1/incidents/{created['id']}/nrm", headers=day.headers)
    ).status_code == 404


async def test_an_indicator_disclosed_later_raises_the_action(client, db, custody, day, make_user):
    created = await _arrest(
        client, custody, indicators=[{"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"}]
    )
    worker = await make_user("worker", teams_=["city-cce"])
    updated = await _patch(client, worker, created["id"], {"indicators": [{"code": "ITM-DEBT-SEIZURE"}]}, db)
    assert "nrm_raised" in updated["changes"]
    item = await _item(client, day, created["id"])
    assert item["nrm"]["rules"] == ["debt"]


async def test_police_never_see_or_decide_the_nrm_action(client, custody, make_user):
    created = await _arrest(client, custody)
    url = f"/api/v1/incidents/{created['id']}/nrm"
    assert (await client.get(url, headers=custody.headers)).status_code == 403
    decided = await client.post(
        f"{url}/decision", json={"decision": "not_referred", "reason": "x"}, headers=custody.headers
    )
    assert decided.status_code == 403
    other_station = await make_user("police", station="loughborough")
    assert (await client.get(url, headers=other_station.headers)).status_code == 404
    other_team = await make_user("day_team", teams_=["county-cse"])
    assert (await client.get(url, headers=other_team.headers)).status_code == 404
    # The intake answer police get carries no NRM content.
    assert "nrm" not in created and "Consider an NRM referral" not in str(created)
