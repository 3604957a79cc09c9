"""Demo data for the morning handover: last night's reports, so the queues are not empty.

The reports and what happened to them (acknowledged, support recorded, earlier episodes picked
up and closed) are data here; api.flows.demo plays them through the real flows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from api.rota.schedule import LONDON

JORDAN = {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "2010-04-02"}


def last_night(now: datetime) -> date:
    """The London date on which the most recent complete night (to 03:30) began."""
    local = now.astimezone(LONDON)
    evening = local.date() - timedelta(days=1)
    if local.time() < time(3, 30):  # the night is still going on: show the one before
        evening -= timedelta(days=1)
    return evening


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def reports(evening: date) -> list[dict[str, Any]]:
    morning = evening + timedelta(days=1)
    return [
        {
            "kind": "missing_return",
            "occurred_at": _at(morning, 1, 40),
            "police_reference": "DEMO-0001",
            "young_person": {**JORDAN, "la_reference": "LCC-48213", "legal_status": "child_in_need"},
            "location": {"description": "Leicester railway station, platform 2", "area": "leicester-city"},
            "indicators": [
                {"code": "MOV-OUT-OF-AREA", "provenance": "observed"},
                {"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"},
                {"code": "ITM-MULTIPLE-PHONES", "provenance": "observed"},
            ],
            "people_present": [{"role": "peer", "description": "Older boy known as 'Tee'"}],
            "circumstances": "Found by BTP after a 3-day missing episode; two phones and £340 in cash.",
            "custody_status": "released",
            "_ack": ("worker.cce", "attending", 25),
            "_offers": [("safe_transport", "accepted"), ("return_home_conversation", "declined")],
            "_note": "Home by 03:30 with mum. He would not say where he had been. RHI needed.",
        },
        {
            "kind": "arrest",
            "occurred_at": _at(evening, 23, 50),
            "police_reference": "DEMO-0002",
            "young_person": {"first_name": "Kai", "last_name": "Whitlock", "date_of_birth": "2009-08-19"},
            "location": {"description": "Flat above Narborough Road takeaway", "area": "leicester-city"},
            "indicators": [
                {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
                {"code": "MOV-DRUG-SUPPLY-ADDRESS", "provenance": "intelligence"},
            ],
            "custody": {
                "status": "in_custody",
                "detained_at": _at(evening, 23, 55),
                "charged": True,
                "bail_refused": True,
                "appropriate_adult_present": True,
            },
            "_ack": ("worker.cce", "phoning", None),
            "_offers": [("appropriate_adult", "attended"), ("accommodation", "accepted")],
            "_note": "Charged, bail refused. s38(6): duty manager arranged an emergency foster placement; "
            "transferred at 01:20. Lack of a bed is never a reason to keep a child in the cells.",
            "_close": ("bail_refused_transfer", {"outcome": "transferred"}, timedelta(hours=1, minutes=30)),
        },
        {
            "kind": "stop_conversation",
            "occurred_at": _at(evening, 22, 15),
            "police_reference": "DEMO-0003",
            "young_person": {"first_name": "Amira", "last_name": "Hussain", "date_of_birth": "2011-02-11"},
            "location": {"description": "Car park behind the Highcross cinema", "area": "leicester-city"},
            "indicators": [
                {"code": "MOV-VEHICLE-UNKNOWN-ADULT", "provenance": "observed"},
                {"code": "REL-CONTROLLING-ADULT", "provenance": "disclosed"},
            ],
            "people_present": [{"role": "adult", "description": "Man in his 20s, grey Audi"}],
            "custody": {"status": "police_protection", "police_protection_started_at": _at(evening, 22, 30)},
            "_ack": ("worker.cse", "attending", 20),
            "_offers": [("safety_plan", "accepted")],
            "_note": None,
        },
    ]


def earlier_episodes(evening: date) -> list[dict[str, Any]]:
    return [
        {
            "kind": "missing_return",
            "occurred_at": _at(evening - timedelta(days=days), 23, 30),
            "police_reference": f"DEMO-E{days:03d}",
            "young_person": JORDAN,
            "location": {"description": "Leicester railway station", "area": "leicester-city"},
            "indicators": [{"code": "MOV-OUT-OF-AREA", "provenance": "observed"}],
            "custody_status": "released",
        }
        for days in (21, 9)
    ]
