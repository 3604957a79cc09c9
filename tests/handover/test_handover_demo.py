"""`lantern demo`: a day-team user opens the queue, sees last night's items with their clocks,
picks one up and prints the report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from api.demo import DEMO_PASSWORD, load_demo
from api.handover.demo import last_night
from api.incidents.models import Incident
from tests.handover_helpers import LONDON


async def _sign_in(client, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_last_night_is_the_most_recent_complete_night():
    assert last_night(datetime(2026, 11, 30, 14, 0, tzinfo=LONDON)).isoformat() == "2026-11-29"
    assert last_night(datetime(2026, 11, 30, 3, 45, tzinfo=LONDON)).isoformat() == "2026-11-29"
    assert last_night(datetime(2026, 11, 30, 2, 0, tzinfo=LONDON)).isoformat() == "2026-11-28"


async def test_the_demo_day_team_sees_last_nights_items_with_their_clocks(client, settings, db):
    await load_demo(settings)
    await load_demo(settings)  # safe to run twice: nothing is added the second time
    async with db.session() as session:
        assert (
            await session.execute(select(func.count()).select_from(Incident))
        ).scalar_one() == 19  # five detentions this month

    headers = await _sign_in(client, "day.cce")
    items = (await client.get("/api/v1/handover", params={"team": "city-cce"}, headers=headers)).json()[
        "items"
    ]
    assert len(items) == 2
    for item in items:
        assert item["state"] == "awaiting_pickup"
        assert item["open_clocks"], item["incident"]["reference"]
        assert item["pages"] and item["pages"][0]["acknowledged_at"]
        assert item["support_offers"]
    jordan = next(i for i in items if i["young_person"]["first_name"] == "Jordan")
    assert "repeat_missing_review" in {c["kind"] for c in jordan["open_clocks"]}
    # The charged child refused bail: the s38(6) action closed from the fixed list, never with
    # "no bed" as a reason; the appropriate adult attended (a child cannot decline one).
    kai = next(i for i in items if i["young_person"]["first_name"] == "Kai")
    transfer = next(c for c in kai["clocks"] if c["kind"] == "bail_refused_transfer")
    assert transfer["met"] and transfer["outcome"] == "transferred"
    assert kai["incident"]["priority"] == "P1"
    assert {(o["kind"], o["outcome"]) for o in kai["support_offers"]} >= {("appropriate_adult", "attended")}
    notes = " ".join(n["text"] for n in kai["handover_notes"])
    assert "No LA bed available" not in notes and "certificate needed" not in notes
    assert jordan["young_person"]["missing_episodes_30d"] == 3
    assert jordan["handover_notes"]

    picked = await client.post(f"/api/v1/handover/{items[0]['id']}/pickup", headers=headers)
    assert picked.status_code == 200
    evening = last_night(datetime.now(UTC)).isoformat()
    report = await client.get(
        "/api/v1/handover/report",
        params={"team": "city-cce", "night": evening},
        headers=headers,
    )
    assert report.status_code == 200
    assert all(i["incident"]["reference"] in report.text for i in items)


async def test_the_demo_county_lines_arrest_needs_an_nrm_decision_and_the_unknown_child_is_referred(
    client, settings
):
    """Issue 13, done when: the county-lines arrest shows the NRM prompt and cannot be closed
    without a decision; an unknown child's incident has a front-door referral with its clock,
    the PDF and the JSON."""
    await load_demo(settings)
    day = await _sign_in(client, "day.cce")
    items = (await client.get("/api/v1/handover", params={"team": "city-cce"}, headers=day)).json()["items"]
    kai = next(i for i in items if i["young_person"]["first_name"] == "Kai")
    nrm = kai["nrm"]
    assert nrm["prompt"] == "Consider an NRM referral" and nrm["needs_decision"]
    assert "Drugs or cash with travel out of area (county lines)" in nrm["reasons"]
    assert "Found at a trap house, or a home taken over by exploiters (cuckooing)" in nrm["reasons"]
    assert "no consent" in nrm["consent_note"]
    assert nrm["s45_flag"].startswith("Possible Modern Slavery Act s45 defence")
    assert (await client.post(f"/api/v1/handover/{kai['id']}/pickup", headers=day)).status_code == 200
    refused = await client.post(f"/api/v1/handover/{kai['id']}/close", json={"note": "done"}, headers=day)
    assert refused.status_code == 409
    decided = await client.post(
        f"/api/v1/incidents/{kai['incident']['id']}/nrm/decision",
        json={"decision": "referred", "referral_reference": "NRM-DEMO-1", "referred_on": kai["due_at"][:10]},
        headers=day,
    )
    assert decided.status_code == 200, decided.text
    closed = await client.post(f"/api/v1/handover/{kai['id']}/close", json={"note": "done"}, headers=day)
    assert closed.status_code == 200, closed.text

    # Amira: nobody knew her; the referral goes to the front door with its clock.
    cse = await _sign_in(client, "day.cse")
    amira = next(
        i
        for i in (await client.get("/api/v1/handover", params={"team": "city-cse"}, headers=cse)).json()[
            "items"
        ]
        if i["young_person"]["first_name"] == "Amira"
    )
    referral = await client.get(f"/api/v1/incidents/{amira['incident']['id']}/referral", headers=cse)
    assert referral.status_code == 200, referral.text
    document = referral.json()
    assert document["route"] == "not_known" and document["receiving"]["kind"] == "front_door"
    assert "referral_decision" in {c["kind"] for c in amira["open_clocks"]}
    pdf = await client.get(f"/api/v1/referrals/{document['id']}/referral.pdf", headers=cse)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    exported = await client.get(f"/api/v1/referrals/{document['id']}/referral.json", headers=cse)
    assert exported.status_code == 200 and exported.json()["id"] == document["id"]
