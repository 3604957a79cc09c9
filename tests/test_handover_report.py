"""The printed handover report and its CSV: what the items hold, no personal data in titles, audited."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.handover.report import CSV_COLUMNS
from tests.handover_helpers import item_of, london, rename, report_at

NIGHT = "2026-11-23"


@pytest.fixture
async def police(world, make_user):
    return await make_user("police", station="euston-street")


@pytest.fixture
async def day(world, make_user, db):
    person = await make_user("day_team", teams_=["city-cce"])
    await rename(db, person, "Dana Day")
    return person


@pytest.fixture
async def manager(world, make_user):
    return await make_user("manager", teams_=["city-cce"])


@pytest.fixture
async def night(client, police, day, manager):
    """Two incidents of the night of Monday 23 November (one picked up, with support and a note),
    and one of the next night."""
    first = await report_at(
        client,
        police,
        london(2026, 11, 23, 23, 10),
        first_name="Jordan",
        circumstances="Found by BTP after a 3-day missing episode.",
        people_present=[{"role": "peer", "description": "Older boy known as 'K'"}],
    )
    second = await report_at(
        client,
        police,
        london(2026, 11, 24, 1, 40),
        first_name="Riley",
        location={"description": '=HYPERLINK("http://evil.example")', "area": "leicester-city"},
    )
    later = await report_at(client, police, london(2026, 11, 24, 22, 0), first_name="Later")
    offer = await client.put(
        f"/api/v1/incidents/{first['id']}/support-offers/{uuid.uuid4()}",
        # Recorded now: an offer's time must be within 14 days (README "Input limits"), and
        # NIGHT is a fixed date.
        json={"kind": "safety_plan", "outcome": "accepted", "offered_at": datetime.now(UTC).isoformat()},
        headers=manager.headers,
    )
    assert offer.status_code == 201, offer.text
    note = await client.put(
        f"/api/v1/incidents/{first['id']}/handover-note/{uuid.uuid4()}",
        json={"text": "Mum collected him at 03:10; wants a call from the hub."},
        headers=manager.headers,
    )
    assert note.status_code in (200, 201), note.text
    item = await item_of(client, day, first["id"])
    assert (
        await client.post(f"/api/v1/handover/{item['id']}/pickup", headers=day.headers)
    ).status_code == 200
    return {"first": first, "second": second, "later": later}


async def _downloads(db) -> list[AuditEvent]:
    async with db.session() as session:
        return list(
            (
                await session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.action == "handover.report.download")
                    .order_by(AuditEvent.at)
                )
            ).scalars()
        )


async def test_the_printable_report_holds_the_nights_items(client, day, night, db):
    response = await client.get(
        "/api/v1/handover/report", params={"team": "city-cce", "night": NIGHT}, headers=day.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f"<title>Lantern handover report · city-cce · {NIGHT}</title>" in html
    assert night["first"]["reference"] in html and night["second"]["reference"] in html
    assert night["later"]["reference"] not in html
    for expected in (
        "Jordan Reyes",
        "Found by BTP after a 3-day missing episode.",
        night["first"]["triage"]["reasons"][0],
        "Safety plan: accepted",
        "Mum collected him at 03:10; wants a call from the hub.",
        "Return home interview offered",
        "Older boy known as &#x27;K&#x27;",
        "Dana Day",
        "picked up",
        "Found or arrested outside home area",
        "OFFICIAL-SENSITIVE",
    ):
        assert expected in html, expected
    # Escaped, printable, and within the CSP: no script, no inline style, the stylesheet linked.
    assert "=HYPERLINK(&quot;http://evil.example&quot;)" in html
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert '<link rel="stylesheet" href="/api/v1/handover/report.css">' in html
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"

    downloads = await _downloads(db)
    assert {d.detail["format"] for d in downloads} == {"html"}
    assert all(d.actor_id == day.id and d.detail["night"] == NIGHT for d in downloads)
    assert len({d.young_person_id for d in downloads}) == 2  # one event per child in the report
    assert all(d.detail["items"] == 2 for d in downloads)


async def test_the_title_and_file_names_carry_no_personal_data(client, day, night):
    html = (
        await client.get(
            "/api/v1/handover/report", params={"team": "city-cce", "night": NIGHT}, headers=day.headers
        )
    ).text
    title = html.split("<title>")[1].split("</title>")[0]
    assert "Jordan" not in title and "Riley" not in title and "Reyes" not in title
    csv_response = await client.get(
        "/api/v1/handover/report.csv", params={"team": "city-cce", "night": NIGHT}, headers=day.headers
    )
    assert csv_response.headers["content-disposition"] == (
        f'attachment; filename="lantern-handover-city-cce-{NIGHT}.csv"'
    )


async def test_the_csv_export_has_a_row_per_item_and_is_audited(client, day, night, db):
    response = await client.get(
        "/api/v1/handover/report.csv", params={"team": "city-cce", "night": NIGHT}, headers=day.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0].keys()) == CSV_COLUMNS
    by_reference = {r["reference"]: r for r in rows}
    assert set(by_reference) == {night["first"]["reference"], night["second"]["reference"]}
    first = by_reference[night["first"]["reference"]]
    assert first["young_person"] == "Jordan Reyes"
    assert first["item_state"] == "picked_up" and first["owner"] == "Dana Day"
    assert "Safety plan: accepted" in first["support_offers"]
    assert "Mum collected him" in first["handover_notes"]
    assert "Return home interview offered" in first["clocks"]
    assert first["triage_reasons"].startswith(night["first"]["triage"]["reasons"][0])
    # A cell a spreadsheet would run as a formula is defused.
    second = by_reference[night["second"]["reference"]]
    assert second["location"] == '\'=HYPERLINK("http://evil.example")'
    assert {d.detail["format"] for d in await _downloads(db)} == {"csv"}


async def test_an_empty_night_is_still_audited(client, day, db):
    response = await client.get(
        "/api/v1/handover/report.csv", params={"team": "city-cce", "night": "2026-11-01"}, headers=day.headers
    )
    assert response.status_code == 200
    assert response.text.strip() == ",".join(CSV_COLUMNS)
    downloads = await _downloads(db)
    assert len(downloads) == 1 and downloads[0].young_person_id is None and downloads[0].detail["items"] == 0


async def test_a_weekend_report_is_mondays_handover(client, police, day):
    saturday = await report_at(client, police, london(2026, 11, 28, 14, 0), first_name="Saturday")
    friday_night = await report_at(client, police, london(2026, 11, 27, 23, 0), first_name="Friday")
    for night_of in ("2026-11-27", "2026-11-28", "2026-11-29"):
        html = (
            await client.get(
                "/api/v1/handover/report", params={"team": "city-cce", "night": night_of}, headers=day.headers
            )
        ).text
        assert saturday["reference"] in html and friday_night["reference"] in html, night_of


async def test_the_report_is_for_members_of_the_team_only(client, night, make_user):
    outsider = await make_user("day_team", teams_=["city-cse"])
    response = await client.get(
        "/api/v1/handover/report", params={"team": "city-cce", "night": NIGHT}, headers=outsider.headers
    )
    assert response.status_code == 403
    bad = await client.get(
        "/api/v1/handover/report",
        params={"team": "city-cce", "night": "2026-13-01"},
        headers=outsider.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "night"


async def test_the_report_stylesheet_needs_no_sign_in(client):
    response = await client.get("/api/v1/handover/report.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media print" in response.text


def _pdf_text(data: bytes) -> str:
    """The text drawn by a PDF's content streams (fpdf2 compresses them with zlib)."""
    import re
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(chunks)


async def test_the_pdf_export_holds_the_items_and_is_audited(client, day, night, db):
    response = await client.get(
        "/api/v1/handover/report.pdf", params={"team": "city-cce", "night": NIGHT}, headers=day.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="lantern-handover-city-cce-{NIGHT}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    assert night["first"]["reference"] in text and night["second"]["reference"] in text
    assert night["later"]["reference"] not in text
    assert "Jordan Reyes" in text and "Safety plan: accepted" in text and "OFFICIAL-SENSITIVE" in text
    # The document title (shown by viewers and in file lists) names no child.
    raw_title = response.content.split(b"/Title", 1)[1].split(b"<", 1)[1].split(b">", 1)[0]
    title = bytes.fromhex(raw_title.decode()).decode("utf-16")
    assert title == f"Lantern handover report · city-cce · {NIGHT}"
    downloads = await _downloads(db)
    assert {d.detail["format"] for d in downloads} == {"pdf"}


async def test_the_pdf_is_for_the_team_only(client, night, make_user):
    police = await make_user("police", station="euston-street")
    other = await make_user("day_team", teams_=["city-cse"])
    for person in (police, other):
        response = await client.get(
            "/api/v1/handover/report.pdf", params={"team": "city-cce", "night": NIGHT}, headers=person.headers
        )
        assert response.status_code == 403
