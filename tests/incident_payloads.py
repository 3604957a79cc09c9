"""Request bodies for incident tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def report(**overrides):
    body = {
        "kind": "missing_return",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "police_station": "euston-street",
        "police_reference": "LP-2026-0042",
        "young_person": {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2011-04-02"},
        "location": {"description": "Found at Leicester railway station", "area": "leicester-city"},
        "indicators": [
            {"code": "MOV-OUT-OF-AREA", "provenance": "observed"},
            {"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"},
        ],
        "circumstances": "Found by BTP after a 3-day missing episode.",
        "custody_status": "released",
    }
    for key, value in overrides.items():
        body[key] = value
    return body
