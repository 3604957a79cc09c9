"""Demo data for the morning handover: a few incidents of last night, so the queues are not empty.

Everything goes through the real services: police report through intake (triage, paging,
handover items, clocks), the on-call worker acknowledges and records support, and two earlier
missing episodes of the same child were picked up and closed by the day team weeks ago (so
the pattern and the repeat-missing review flag show). Skipped when the demo custody account has
reported anything already, so `lantern demo` runs twice safely.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.dependencies import Actor
from api.auth.models import User
from api.db import utcnow
from api.incidents.models import Incident
from api.rota.schedule import LONDON
from api.teams.models import Membership, Team

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


def _reports(evening: date) -> list[dict[str, Any]]:
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
                {"code": "MOV-HOTEL-TRAPHOUSE", "provenance": "intelligence"},
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
                {"code": "REL-OLDER-PARTNER", "provenance": "disclosed"},
            ],
            "people_present": [{"role": "adult", "description": "Man in his 20s, grey Audi"}],
            "custody": {"status": "police_protection", "police_protection_started_at": _at(evening, 22, 30)},
            "_ack": ("worker.cse", "attending", 20),
            "_offers": [("safety_plan", "accepted")],
            "_note": None,
        },
    ]


def _earlier_episodes(evening: date) -> list[dict[str, Any]]:
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


async def _actor(session: AsyncSession, username: str) -> Actor | None:
    user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
    if user is None:
        return None
    team_ids = (
        await session.execute(select(Membership.team_id).where(Membership.user_id == user.id))
    ).scalars()
    return Actor(user=user, roles=frozenset(user.roles), team_ids=frozenset(team_ids))


async def _report(session: AsyncSession, police: Actor, spec: dict[str, Any]) -> Incident:
    from api.incidents.intake import report_incident
    from api.incidents.schemas import IncidentCreate

    fields = {k: v for k, v in spec.items() if not k.startswith("_")}
    body = IncidentCreate.model_validate({"police_station": "euston-street", **fields})
    return (await report_incident(session, police, body)).incident


async def last_nights_incidents(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (see api.demo.DEMO_HOOKS)."""
    from api.handover import contents
    from api.handover import service as handover
    from api.handover.models import HandoverItem
    from api.paging.acknowledgements import acknowledge
    from api.support import service as support
    from api.support.schemas import HandoverNoteIn, SupportOfferIn

    police = await _actor(session, "custody.euston")
    day = await _actor(session, "day.cce")
    if police is None or day is None:
        return
    reported = await session.execute(select(Incident.id).where(Incident.reporter_id == police.id).limit(1))
    if reported.first() is not None:
        return
    evening = last_night(utcnow())

    for spec in _earlier_episodes(evening):
        incident = await _report(session, police, spec)
        for item in (
            await session.execute(select(HandoverItem).where(HandoverItem.incident_id == incident.id))
        ).scalars():
            if item.team_id in day.team_ids:
                picked = item.due_at + timedelta(minutes=12)
                await handover.pick_up(session, day, item, now=picked)
                await handover.close(
                    session, day, item, "RHI offered and done; no disclosure. Watch for repeat.", now=picked
                )
        for clock in await contents.clocks_of(session, incident.id):
            if not clock.met:
                closing = (
                    {
                        "outcome": "completed",
                        "by": "Independent return home interview service",
                        "independent": True,
                    }
                    if clock.kind == "rhi_72h"
                    else {}
                )
                await handover.mark_met(
                    session,
                    day,
                    clock,
                    detention_ended=True,
                    now=incident.occurred_at + timedelta(hours=30),
                    **closing,
                )

    for spec in _reports(evening):
        incident = await _report(session, police, spec)
        username, action, eta = spec["_ack"]
        worker = await _actor(session, username)
        if worker is None:
            continue
        acked_at = spec["occurred_at"] + timedelta(minutes=8)
        await acknowledge(
            session,
            incident.id,
            worker.user,
            action=action,
            eta_minutes=eta,
            team_ids=worker.team_ids,
            is_admin=False,
            now=acked_at,
        )
        for kind, outcome in spec["_offers"]:
            offer = SupportOfferIn(kind=kind, outcome=outcome, offered_at=acked_at + timedelta(minutes=40))
            await support.put_support_offer(
                session, worker, incident_id=incident.id, offer_id=uuid.uuid4(), body=offer, if_match=None
            )
        if spec.get("_close"):
            manager = await _actor(session, "manager.duty")
            kind, closing, after = spec["_close"]
            for clock in await contents.clocks_of(session, incident.id):
                if manager is not None and clock.kind == kind and not clock.met:
                    await handover.mark_met(
                        session, manager, clock, now=spec["occurred_at"] + after, **closing
                    )
        if spec["_note"]:
            await support.put_handover_note(
                session,
                worker,
                incident_id=incident.id,
                note_id=uuid.uuid4(),
                body=HandoverNoteIn(text=spec["_note"]),
                if_match=None,
            )
