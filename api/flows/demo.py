"""The demo night played through the real flows: police report through intake (triage, paging,
handover items, clocks), the on-call worker acknowledges and records support, the incidents
change after intake through the update flow (a charge with bail refused at 03:00, a disclosure
to the worker that routes a new team, whose worker takes the page), and two earlier
missing episodes of the same child were picked up and closed by the day team weeks ago (so the
pattern and the repeat-missing review flag show). Skipped when the demo custody account has reported
anything already, so `lantern demo` runs twice safely. The reports: api.handover.demo.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.dependencies import Actor
from api.auth.models import Membership, User
from api.db import utcnow
from api.flows.intake import report_incident
from api.flows.partner_concerns import report_concern
from api.flows.updates import update_incident
from api.handover import contents, nrm
from api.handover import service as handover
from api.handover.demo import CERTIFIED_GROUND, custody_this_month, earlier_episodes, last_night, reports
from api.handover.models import HandoverItem
from api.hubs import service as hubs
from api.hubs.models import HubDecision
from api.hubs.schemas import DecisionIn
from api.hubs.weeks import week_of
from api.incidents.models import Incident
from api.incidents.schemas import IncidentCreate, IncidentUpdate
from api.paging.acknowledgements import acknowledge
from api.partners.models import PartnerConcern
from api.partners.schemas import ConcernIn, ConcernIndicatorIn
from api.people.models import YoungPerson
from api.places import demo as places_demo
from api.places.models import IncidentPerson, PersonOfConcern
from api.referrals import service as referrals
from api.referrals.models import Referral
from api.reports.months import month_of, month_start
from api.rota.schedule import LONDON
from api.support import service as support
from api.support.schemas import HandoverNoteIn, SupportOfferIn
from api.teams.models import Area, Team


async def _actor(session: AsyncSession, username: str) -> Actor | None:
    user = (await session.execute(select(User).where(col(User.username) == username))).scalar_one_or_none()
    if user is None:
        return None
    team_ids = (
        await session.execute(select(col(Membership.team_id)).where(col(Membership.user_id) == user.id))
    ).scalars()
    return Actor(user=user, roles=frozenset(user.roles), team_ids=frozenset(team_ids))


async def _report(session: AsyncSession, police: Actor, spec: dict[str, Any]) -> Incident:
    fields = {k: v for k, v in spec.items() if not k.startswith("_")}
    body = IncidentCreate.model_validate({"police_station": "euston-street", **fields})
    return (await report_incident(session, police, body)).incident


async def last_nights_incidents(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook (see api.demo.DEMO_HOOKS)."""
    police = await _actor(session, "custody.euston")
    day = await _actor(session, "day.cce")
    if police is None or day is None:
        return
    reported = await session.execute(
        select(col(Incident.id)).where(col(Incident.reporter_id) == police.id).limit(1)
    )
    if reported.first() is not None:
        return
    evening = last_night(utcnow())

    for spec in earlier_episodes(evening):
        incident = await _report(session, police, spec)
        await _closed_by_day_teams(session, incident, [day])

    for spec in reports(evening):
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
        for username, change, new_team_worker in spec.get("_updates", []):
            await _update(session, incident, username, change, new_team_worker, acked_at)
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


async def a_partners_concern(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook: a residential home's concern about a park in Loughborough, with CCE signs,
    which reaches the county CCE hub's queue (P2: not paged). Once only."""
    partner = await _actor(session, "partner.home")
    if partner is None:
        return
    reported = await session.execute(
        select(col(PartnerConcern.id)).where(col(PartnerConcern.reporter_id) == partner.id).limit(1)
    )
    if reported.first() is not None:
        return
    body = ConcernIn(
        organisation="residential_home",
        about="place",
        area="leicestershire",
        location="Southfields Park, Loughborough (the skate park after dark)",
        indicators=[
            ConcernIndicatorIn(code="REL-KNOWN-EXPLOITERS"),
            ConcernIndicatorIn(code="ITM-MULTIPLE-PHONES"),
        ],
        observed_at=utcnow() - timedelta(hours=18),
        details="Two of our young people came back from the park with new phones; older lads "
        "in a car wait by the skate park most evenings.",
    )
    await report_concern(session, partner, body)


async def _closed_by_day_teams(session: AsyncSession, incident: Incident, closers: list[Actor]) -> None:
    """An earlier report, long dealt with: an NRM action raised on it was decided (referred),
    the front door received the referral the next morning and decided on early help, each day
    team picked up and closed its item, and the clocks were met (a return home interview by an
    independent service)."""
    decider = closers[0]
    next_day = incident.occurred_at + timedelta(hours=20)
    raised = await nrm.consideration_of(session, incident.id)
    if raised is not None and raised.decision is None:
        await nrm.decide(
            session,
            decider,
            incident,
            decision="referred",
            referral_reference=f"NRM-DEMO-{incident.reference[-6:]}",
            referred_on=next_day.astimezone(LONDON).date(),
            reason=None,
            now=next_day,
        )
    referral = (
        await session.execute(select(Referral).where(col(Referral.incident_id) == incident.id))
    ).scalar_one()
    morning = referral.decision_due_at - timedelta(hours=2)
    await referrals.record_receipt(
        session, decider, referral, received_at=morning, received_by="MASH duty desk", now=morning
    )
    await referrals.record_decision(
        session,
        decider,
        referral,
        decision="early_help",
        decided_at=morning + timedelta(hours=1),
        decided_by="MASH team manager",
        note=None,
        now=morning + timedelta(hours=1),
    )
    for item in (
        await session.execute(select(HandoverItem).where(col(HandoverItem.incident_id) == incident.id))
    ).scalars():
        closer = next((c for c in closers if item.team_id in c.team_ids), None)
        if closer is not None:
            picked = item.due_at + timedelta(minutes=12)
            await handover.pick_up(session, closer, item, now=picked)
            await handover.close(
                session, closer, item, "RHI offered and done; no disclosure. Watch for repeat.", now=picked
            )
    for clock in await contents.clocks_of(session, incident.id):
        if not clock.met:
            # A return home interview closes as completed by an independent service.
            interview = clock.kind == "rhi_72h"
            await handover.mark_met(
                session,
                closers[0],
                clock,
                detention_ended=True,
                outcome="completed" if interview else None,
                by="Independent return home interview service" if interview else None,
                independent=True if interview else None,
                now=incident.occurred_at + timedelta(hours=30),
            )


async def places_and_peers(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook after last night's reports: other children's reports over the past weeks
    (at the demo places, closed since), the persons of concern seen with Jordan, and who was
    present at his reports. Skipped once any person of concern exists."""
    police = await _actor(session, "custody.euston")
    closers = [a for a in [await _actor(session, "day.cce"), await _actor(session, "day.cse")] if a]
    worker = await _actor(session, "worker.cce")
    if police is None or worker is None or len(closers) < 2:
        return
    if (await session.execute(select(col(PersonOfConcern.id)).limit(1))).first() is not None:
        return
    evening = last_night(utcnow())
    for spec in places_demo.earlier_reports(evening):
        await _closed_by_day_teams(session, await _report(session, police, spec), closers)

    city = (await session.execute(select(Area).where(col(Area.slug) == "leicester-city"))).scalar_one()
    concerns = places_demo.persons_of_concern(city.id, worker.id)
    session.add_all(concerns.values())
    await session.flush()
    reported = {
        ref: incident
        for incident in (
            await session.execute(select(Incident).where(col(Incident.reporter_id) == police.id))
        ).scalars()
        for ref in incident.police_references
    }
    kai = next((i.young_person_id for ref, i in reported.items() if ref == "DEMO-0002"), None)
    for ref, present in places_demo.PRESENT.items():
        incident = reported.get(ref)
        if incident is None:
            continue
        for who in present:
            if who == "KAI":
                if kai is not None:
                    session.add(
                        IncidentPerson(incident_id=incident.id, young_person_id=kai, created_by_id=worker.id)
                    )
            else:
                session.add(
                    IncidentPerson(
                        incident_id=incident.id,
                        person_of_concern_id=concerns[who].id,
                        role="adult",
                        created_by_id=worker.id,
                    )
                )
    await session.flush()


async def a_hub_meeting(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook after the places: last week's city CCE hub meeting decided a context
    assessment for Leon (seen at Abbey Park), owned by the CCE day team and due two weeks
    later, so this week's pack shows it to follow up. Once only (any decision skips it)."""
    coordinator = await _actor(session, "coordinator.hubs")
    day = await _actor(session, "day.cce")
    team = teams.get("city-cce")
    if coordinator is None or day is None or team is None:
        return
    if (await session.execute(select(col(HubDecision.id)).limit(1))).first() is not None:
        return
    leon = (
        (
            await session.execute(
                select(col(YoungPerson.id)).where(
                    col(YoungPerson.first_name) == "Leon", col(YoungPerson.last_name) == "Barker"
                )
            )
        )
        .scalars()
        .first()
    )
    if leon is None:
        return
    last_week = week_of(utcnow()).shifted(-1)
    meeting = datetime.combine(last_week.monday + timedelta(days=2), time(10, 0), tzinfo=LONDON)
    body = DecisionIn(
        young_person_id=leon,
        kind="context_assessment",
        owner_id=day.id,
        due_on=meeting.date() + timedelta(days=14),
        week=str(last_week),
        note="Assess Abbey Park with the park wardens and the neighbourhood team.",
    )
    await hubs.record_decision(session, coordinator, team, body, now=meeting)


async def detentions_this_month(session: AsyncSession, teams: dict[str, Team]) -> None:
    """The demo hook after the hub meeting: five children detained at Euston Street this month
    (api.handover.demo.custody_this_month), so the month's custody report has figures: the
    appropriate adult's arrival, a charge with bail refused and a transfer, another with the
    transfer certified impracticable (a permitted ground), releases; the CCE worker took each page
    and the day team closed each item. Once only (skipped when the first child exists)."""
    police = await _actor(session, "custody.euston")
    worker = await _actor(session, "worker.cce")
    manager = await _actor(session, "manager.duty")
    closers = [a for a in [await _actor(session, "day.cce"), await _actor(session, "day.cse")] if a]
    if police is None or worker is None or manager is None or not closers:
        return
    specs = custody_this_month(utcnow(), month_start(month_of(utcnow())))
    first = specs[0]["young_person"]
    known = await session.execute(
        select(col(YoungPerson.id)).where(
            col(YoungPerson.first_name) == first["first_name"],
            col(YoungPerson.last_name) == first["last_name"],
        )
    )
    if known.first() is not None:
        return
    for spec in specs:
        incident = await _report(session, police, spec)
        acked_at = spec["occurred_at"] + timedelta(minutes=8)
        await acknowledge(
            session,
            incident.id,
            worker.user,
            action="phoning",
            eta_minutes=None,
            team_ids=worker.team_ids,
            is_admin=False,
            now=acked_at,
        )
        events = spec["_events"]
        for keys in (("appropriate_adult_arrived_at",), ("charged_at", "bail_refused"), ("released_at",)):
            change = {k: events[k] for k in keys if k in events}
            if change:
                await _update(session, incident, "custody.euston", change, None, acked_at)
        if "transferred_at" in events:
            await _update(
                session,
                incident,
                "custody.euston",
                {"transferred_at": events["transferred_at"]},
                None,
                acked_at,
            )
        for clock in await contents.clocks_of(session, incident.id):
            if clock.kind == "bail_refused_transfer" and not clock.met:
                certified = spec["_s38"] == "certified_impracticable"
                await handover.mark_met(
                    session,
                    manager,
                    clock,
                    outcome=spec["_s38"],
                    ground=CERTIFIED_GROUND if certified else None,
                    now=min(spec["_ends"], utcnow()),
                )
        await session.flush()
        await _closed_by_day_teams(session, incident, closers)


async def _update(
    session: AsyncSession,
    incident: Incident,
    username: str,
    change: dict[str, Any],
    new_team_worker: str | None,
    acked_at,
) -> None:
    """A change after intake through the update flow (as PATCH does it); the worker of a newly
    routed team takes its page."""
    actor = await _actor(session, username)
    if actor is None:
        return
    await session.flush()
    version = (
        await session.execute(select(col(Incident.version)).where(col(Incident.id) == incident.id))
    ).scalar_one()
    result = await update_incident(
        session, actor, incident.id, IncidentUpdate.model_validate(change), version
    )
    worker = await _actor(session, new_team_worker) if new_team_worker else None
    if worker is not None and result.new_teams:
        await acknowledge(
            session,
            incident.id,
            worker.user,
            action="phoning",
            eta_minutes=None,
            team_ids=worker.team_ids,
            is_admin=False,
            now=acked_at + timedelta(minutes=50),
        )
