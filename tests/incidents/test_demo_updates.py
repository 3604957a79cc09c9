"""`lantern demo` shows incidents changing after intake (issue 12): a police update at 03:00
(charged, bail refused) starts the s38(6) action and re-pages on the raised priority; a worker's
disclosure re-triages and pages a newly routed team. Run twice, it adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from api.demo import load_demo
from api.handover.demo import last_night
from api.handover.models import Clock
from api.incidents.models import Incident, IncidentIndicator, TimelineEvent
from api.jobs.models import Job
from api.paging.escalation import DELIVERY_JOB
from api.paging.models import Page
from api.teams.models import Team
from tests.handover_helpers import LONDON


async def test_the_demo_night_shows_a_3am_charge_and_a_disclosure_that_routes_a_new_team(settings, db):
    await load_demo(settings)
    async with db.session() as session:
        once = len(list((await session.execute(select(Incident.id))).scalars()))
    await load_demo(settings)
    morning = last_night(datetime.now(UTC)) + timedelta(days=1)
    three = datetime(morning.year, morning.month, morning.day, 3, 0, tzinfo=LONDON).astimezone(UTC)
    async with db.session() as session:
        incidents = list((await session.execute(select(Incident))).scalars())
        assert len(incidents) == once, "a second demo load adds nothing"
        # The handover demo's five reports (the places demo adds other children's, DEMO-P...,
        # and the custody report's detentions this month, DEMO-C...).
        handover_demo = [
            i for i in incidents if not any(r.startswith(("DEMO-P", "DEMO-C")) for r in i.police_references)
        ]
        assert len(handover_demo) == 5
        kai = next(i for i in incidents if "DEMO-0002" in i.police_references)
        jordan = next(i for i in incidents if "DEMO-0001" in i.police_references)

        # Kai: charged at 03:00 with bail refused, through the update flow.
        assert kai.charged and kai.bail_refused and kai.charged_at == three and kai.priority == "P1"
        [update] = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == kai.id, TimelineEvent.action == "custody.updated"
                )
            )
        ).scalars()
        assert update.detail["events"] == ["charged", "bail_refused"] and update.police_visible
        triaged = [
            e.detail["priority"]
            for e in (
                await session.execute(
                    select(TimelineEvent)
                    .where(
                        TimelineEvent.incident_id == kai.id, TimelineEvent.action.like("incident.%triaged")
                    )
                    .order_by(TimelineEvent.at)
                )
            ).scalars()
        ]
        assert triaged[0] != "P1", "the charge must be what raises the priority"
        s38 = (
            await session.execute(
                select(Clock).where(Clock.incident_id == kai.id, Clock.kind == "bail_refused_transfer")
            )
        ).scalar_one()
        assert s38.starts_at == three and s38.outcome == "transferred"
        raised = [
            j
            for j in (await session.execute(select(Job).where(Job.kind == DELIVERY_JOB))).scalars()
            if (j.payload.get("message") or {}).get("alert") == "priority_raised"
            and j.payload["message"]["incident_id"] == str(kai.id)
        ]
        assert raised, "the worker holding Kai's page is not told the priority went up"

        # Jordan: a disclosure to the worker routes the CSE team, which is paged and takes it.
        disclosed = (
            await session.execute(
                select(IncidentIndicator).where(
                    IncidentIndicator.incident_id == jordan.id,
                    IncidentIndicator.provenance == "worker_disclosed",
                )
            )
        ).scalar_one()
        assert disclosed.code == "REL-CONTROLLING-ADULT"
        cse = (await session.execute(select(Team).where(Team.slug == "city-cse"))).scalar_one()
        page = (
            await session.execute(select(Page).where(Page.incident_id == jordan.id, Page.team_id == cse.id))
        ).scalar_one()
        assert page.state == "acknowledged"
        assert (
            await session.execute(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.incident_id == jordan.id, TimelineEvent.action == "indicators.disclosed")
            )
        ).scalar_one() == 1
