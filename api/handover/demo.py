"""Demo data for the morning handover: last night's reports, so the queues are not empty.

The reports and what happened to them (acknowledged, support recorded, updated after intake,
earlier episodes picked up and closed) are data here; api.flows.demo plays them through the
real flows.

`_updates` are changes after intake through the PATCH flow: (who, body, who of a newly routed
team takes its page). Kai is charged at 03:00 and refused bail (the s38(6) action starts and the
worker holding the page hears the priority went up); Jordan tells the worker about an older
"girlfriend" who gives him money (triage routes the CSE team too, which is paged).
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
            "_updates": [
                ("worker.cce", {"indicators": [{"code": "REL-CONTROLLING-ADULT"}]}, "worker.cse"),
            ],
            "_note": "Home by 03:30 with mum. He would not say where he had been; on the way he "
            "talked about an older 'girlfriend' who gives him money (added as disclosed, CSE team "
            "paged). RHI needed.",
        },
        {
            "kind": "arrest",
            "occurred_at": _at(evening, 23, 50),
            "police_reference": "DEMO-0002",
            "young_person": {
                "first_name": "Kai",
                "last_name": "Whitlock",
                "date_of_birth": "2009-08-19",
                "responsible_area": "leicestershire",
            },
            "location": {"description": "Flat above Narborough Road takeaway", "area": "leicester-city"},
            # County lines: drugs and cash, far from home, at a trap house. Lantern raises
            # "Consider an NRM referral" and, as he is charged, the s45 defence flag; the day
            # team cannot close the item until the NRM decision is recorded.
            "indicators": [
                {"code": "ITM-DRUGS-CASH", "provenance": "observed"},
                {"code": "MOV-OUT-OF-AREA", "provenance": "observed"},
                {"code": "MOV-DRUG-SUPPLY-ADDRESS", "provenance": "intelligence"},
            ],
            "custody": {
                "status": "in_custody",
                "detained_at": _at(evening, 23, 55),
                "appropriate_adult_present": True,
            },
            "_ack": ("worker.cce", "phoning", None),
            "_offers": [("appropriate_adult", "attended"), ("accommodation", "accepted")],
            "_updates": [
                ("custody.euston", {"charged_at": _at(morning, 3, 0), "bail_refused": True}, None),
            ],
            "_note": "Charged at 03:00, bail refused. s38(6): duty manager arranged an emergency foster "
            "placement; transferred at 04:30. Lack of a bed is never a reason to keep a child in the cells.",
            "_close": ("bail_refused_transfer", {"outcome": "transferred"}, timedelta(hours=4, minutes=40)),
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


# Detentions at Euston Street this month (issue 15's custody report): (child, minutes from the
# spread's start to the detention, minutes held, minutes until the appropriate adult arrived,
# what happened at charge). Each is placed at max(now - days ago, a share of the month so far),
# so the current month's report always has them (squeezed into the day on the 1st).
CUSTODY_CHILDREN: tuple[tuple[dict[str, Any], int, float, int, int, str | None], ...] = (
    (
        {"first_name": "Tyler", "last_name": "Brennan", "date_of_birth": "2009-05-14", "gender": "male"},
        24,
        0.15,
        9 * 60,
        75,
        "transferred",
    ),
    (
        {"first_name": "Ellie", "last_name": "Marsh", "date_of_birth": "2010-11-02", "gender": "female"},
        19,
        0.3,
        5 * 60,
        140,
        None,
    ),
    (
        {"first_name": "Reece", "last_name": "Adeyemi", "date_of_birth": "2008-12-30", "gender": "male"},
        14,
        0.45,
        20 * 60,
        50,
        "certified_impracticable",
    ),
    (
        {"first_name": "Nathan", "last_name": "Cole", "date_of_birth": "2011-07-21", "gender": "male"},
        9,
        0.6,
        4 * 60,
        95,
        None,
    ),
    (
        {"first_name": "Sofia", "last_name": "Nowak", "date_of_birth": "2010-03-09", "gender": "female"},
        4,
        0.75,
        7 * 60,
        210,
        None,
    ),
)
# The ground for the certificate: one of the permitted grounds (never "no bed").
CERTIFIED_GROUND = "court_appearance_imminent"


def custody_this_month(now: datetime, month_starts_at: datetime) -> list[dict[str, Any]]:
    """The demo's detentions at Euston Street in the current (London) month, already ended
    (released, or transferred) unless that would be after `now`; each with its custody events as
    the police send them (`_events`) and the s38(6) outcome when bail was refused (`_s38`)."""
    out = []
    for n, (child, days, share, held, aa_wait, charge) in enumerate(CUSTODY_CHILDREN, start=1):
        detained = max(now - timedelta(days=days), month_starts_at + (now - month_starts_at) * share)
        detained = detained.replace(microsecond=0)
        ends = detained + timedelta(minutes=held)
        events: dict[str, Any] = {}
        arrived = detained + timedelta(minutes=aa_wait)
        if arrived < now:
            events["appropriate_adult_arrived_at"] = arrived
        if charge is not None and detained + timedelta(hours=2) < now:
            events["charged_at"] = detained + timedelta(hours=2)
            events["bail_refused"] = True
        if ends < now:
            events["transferred_at" if charge == "transferred" else "released_at"] = ends
        out.append(
            {
                "kind": "arrest",
                "occurred_at": detained - timedelta(minutes=20),
                "police_reference": f"DEMO-C{n:03d}",
                "young_person": child,
                "location": {"description": "Leicester city centre", "area": "leicester-city"},
                "indicators": [{"code": "ITM-DRUGS-CASH", "provenance": "observed"}],
                "custody": {"status": "in_custody", "detained_at": detained},
                "_events": events,
                "_s38": charge,
                "_ends": ends,
            }
        )
    return out
