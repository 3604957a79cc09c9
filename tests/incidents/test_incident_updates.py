"""PATCH /api/v1/incidents/{id}: an incident changes after intake (issue 12).

Police record custody events for their own station's incidents; workers add indicators disclosed
to them. Triage re-runs, a newly routed team is paged, a raised priority is announced to whoever
holds the pages, clocks start from the events. Real HTTP through the app, on both databases.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.handover.models import Clock, HandoverItem
from api.incidents.models import Incident, IncidentIndicator, IncidentTeam, TimelineEvent
from api.jobs.models import Job
from api.paging.escalation import DELIVERY_JOB, LEVEL_JOB
from api.paging.models import Page
from tests.incident_payloads import report
from tests.platform.test_unit_of_work import failing_commits

LONDON = ZoneInfo("Europe/London")


def _last_3am() -> datetime:
    """03:00 London on the most recent night that is at least an hour ago."""
    now = datetime.now(LONDON)
    at = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if at > now - timedelta(hours=1):
        at -= timedelta(days=1)
    return at.astimezone(UTC)


@pytest.fixture
async def other_station(world, make_user):
    return await make_user("police", station="loughborough")


async def _report(client, police, **overrides) -> dict:
    response = await client.post("/api/v1/incidents", json=report(**overrides), headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _version(db, incident_id: str) -> int:
    async with db.session() as session:
        return (await session.get(Incident, uuid.UUID(incident_id))).version


async def _patch(client, person, incident_id: str, body: dict, version: int | str | None):
    headers = dict(person.headers)
    if version is not None:
        headers["If-Match"] = f'"{version}"' if isinstance(version, int) else version
    return await client.patch(f"/api/v1/incidents/{incident_id}", json=body, headers=headers)


async def _count(db, model, *where) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return (await session.execute(query)).scalar_one()


async def test_police_charge_with_bail_refused_at_3am_starts_s38_and_repages_on_raised_priority(
    client, db, world, custody, make_user
):
    three = _last_3am()
    created = await _report(
        client,
        custody,
        kind="arrest",
        occurred_at=(three - timedelta(hours=2)).isoformat(),
        custody_status="in_custody",
        indicators=[{"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"}],
        young_person={"first_name": "Ellis", "last_name": "Ward", "date_of_birth": "2010-06-01"},
    )
    assert created["priority"] != "P1", created
    incident_id = created["id"]
    team = created["teams"][0]["slug"]
    # The routed team's worker takes the page: the one holding it when the priority goes up.
    worker = await make_user("worker", teams_=[team])
    ack = await client.post(
        f"/api/v1/incidents/{incident_id}/acknowledge",
        json={"action": "phoning"},
        headers=worker.headers,
    )
    assert ack.status_code == 200, ack.text
    version = await _version(db, incident_id)

    response = await _patch(
        client, custody, incident_id, {"charged_at": three.isoformat(), "bail_refused": True}, version
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["priority"] == "P1" and body["previous_priority"] == created["priority"]
    assert body["version"] == version + 1
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert set(body["changes"]) == {"charged", "bail_refused"}

    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(incident_id))
        assert incident.charged and incident.bail_refused and incident.charged_at == three
        assert incident.custody["status"] == "charged_refused_bail"
        s38 = (
            await session.execute(
                select(Clock).where(Clock.incident_id == incident.id, Clock.kind == "bail_refused_transfer")
            )
        ).scalar_one()
        assert s38.starts_at == three and s38.met_at is None
        # Who and when, on the timeline, police-visible.
        event = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident.id, TimelineEvent.action == "custody.updated"
                )
            )
        ).scalar_one()
        assert event.actor_id == custody.id and event.police_visible
        assert event.detail["events"] == ["charged", "bail_refused"]
        # The page holder is told the priority went up: a job with ids and priorities only.
        jobs = [
            j
            for j in (await session.execute(select(Job).where(Job.kind == DELIVERY_JOB))).scalars()
            if (j.payload.get("message") or {}).get("alert") == "priority_raised"
        ]
        assert [j.payload["user_id"] for j in jobs] == [str(worker.id)]
        message = jobs[0].payload["message"]
        assert set(message) == {
            "type",
            "alert",
            "incident_id",
            "reference",
            "priority",
            "previous_priority",
        }
        assert message["priority"] == "P1"
        # The s38(6) action is due before the next handover: the managers are paged for it.
        before = [
            j
            for j in (await session.execute(select(Job).where(Job.kind == "page.managers"))).scalars()
            if j.payload.get("clock_kind") == "bail_refused_transfer"
        ]
        assert before, "the s38(6) action due before handover pages no manager"
        audited = (
            await session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "incident.update", AuditEvent.resource_id == incident.id)
            )
        ).scalar_one()
        assert audited == 1

    # Police see their event on the status view, and the version to send next.
    status = await client.get(f"/api/v1/incidents/{incident_id}/status", headers=custody.headers)
    assert status.status_code == 200
    assert status.json()["version"] == version + 1
    assert any(e["action"] == "custody.updated" for e in status.json()["timeline"])


async def test_a_workers_disclosure_retriages_and_pages_the_newly_routed_team(
    client, db, world, custody, make_user
):
    created = await _report(
        client, custody, indicators=[{"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"}]
    )
    incident_id = created["id"]
    before = {t["slug"] for t in created["teams"]}
    assert "city-cse" not in before, created
    worker = await make_user("worker", teams_=[next(iter(before))])
    version = await _version(db, incident_id)

    response = await _patch(
        client, worker, incident_id, {"indicators": [{"code": "REL-CONTROLLING-ADULT"}]}, version
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [t["slug"] for t in body["new_teams"]] == ["city-cse"]
    assert {t["slug"] for t in body["teams"]} == before | {"city-cse"}

    cse = world.teams["city-cse"].id
    async with db.session() as session:
        iid = uuid.UUID(incident_id)
        indicator = (
            await session.execute(
                select(IncidentIndicator).where(
                    IncidentIndicator.incident_id == iid, IncidentIndicator.code == "REL-CONTROLLING-ADULT"
                )
            )
        ).scalar_one()
        assert indicator.provenance == "worker_disclosed" and indicator.recorded_by_id == worker.id
        page = (
            await session.execute(select(Page).where(Page.incident_id == iid, Page.team_id == cse))
        ).scalar_one()
        assert page.state == "active"
        jobs = list(
            (
                await session.execute(
                    select(Job).where(Job.kind == LEVEL_JOB, Job.dedupe_key.like(f"%{page.id}%"))
                )
            ).scalars()
        )
        assert len(jobs) == 1
        assert (
            await session.execute(
                select(HandoverItem).where(HandoverItem.incident_id == iid, HandoverItem.team_id == cse)
            )
        ).scalar_one()
        assert (
            await session.execute(
                select(IncidentTeam).where(IncidentTeam.incident_id == iid, IncidentTeam.team_id == cse)
            )
        ).scalar_one()
        disclosed = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == iid, TimelineEvent.action == "indicators.disclosed"
                )
            )
        ).scalar_one()
        assert disclosed.actor_id == worker.id and not disclosed.police_visible
    # The other teams' pages were not started again.
    assert await _count(db, Page, Page.incident_id == uuid.UUID(incident_id)) == len(before) + 1


async def test_a_stale_or_missing_if_match_changes_nothing(client, db, world, custody):
    created = await _report(client, custody, kind="arrest", custody_status="in_custody")
    version = await _version(db, created["id"])
    body = {"charged_at": datetime.now(UTC).isoformat(), "bail_refused": True}

    stale = await _patch(client, custody, created["id"], body, version + 1)
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.headers["ETag"] == f'"{version}"'
    missing = await _patch(client, custody, created["id"], body, None)
    assert missing.status_code == 428, missing.text
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert await _version(db, created["id"]) == version
    assert await _count(db, Clock, Clock.kind == "bail_refused_transfer") == 0


async def test_police_of_another_station_get_404(client, db, world, custody, other_station):
    created = await _report(client, custody, kind="arrest", custody_status="in_custody")
    version = await _version(db, created["id"])
    response = await _patch(
        client, other_station, created["id"], {"released_at": datetime.now(UTC).isoformat()}, version
    )
    assert response.status_code == 404, response.text
    unknown = await _patch(
        client, custody, str(uuid.uuid4()), {"released_at": datetime.now(UTC).isoformat()}, 1
    )
    assert unknown.status_code == 404
    assert await _version(db, created["id"]) == version


async def test_an_unknown_indicator_is_422_naming_the_field(client, db, world, custody, make_user):
    created = await _report(client, custody)
    worker = await make_user("worker", teams_=[created["teams"][0]["slug"]])
    version = await _version(db, created["id"])
    response = await _patch(
        client,
        worker,
        created["id"],
        {"indicators": [{"code": "REL-CONTROLLING-ADULT"}, {"code": "NOT-A-CODE"}]},
        version,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["indicators.1.code"]
    # Nor may police add indicators, or workers record custody events.
    police = await _patch(
        client, custody, created["id"], {"indicators": [{"code": "REL-CONTROLLING-ADULT"}]}, version
    )
    assert police.status_code == 422 and police.json()["errors"][0]["field"] == "indicators"
    assert await _version(db, created["id"]) == version
    assert await _count(db, IncidentIndicator, IncidentIndicator.provenance == "worker_disclosed") == 0


async def test_nothing_is_half_written_when_the_commit_fails(client, db, world, custody, make_user):
    created = await _report(
        client, custody, indicators=[{"code": "ITM-UNEXPLAINED-MONEY", "provenance": "observed"}]
    )
    iid = uuid.UUID(created["id"])
    worker = await make_user("worker", teams_=[created["teams"][0]["slug"]])
    version = await _version(db, created["id"])
    counts = {
        model: await _count(db, model)
        for model in (IncidentIndicator, IncidentTeam, Page, Job, TimelineEvent, HandoverItem, Clock)
    }
    with failing_commits(db) as left:
        response = await _patch(
            client, worker, created["id"], {"indicators": [{"code": "REL-CONTROLLING-ADULT"}]}, version
        )
    assert left["n"] == 0, "the injected failure was not reached"
    assert response.status_code == 503, response.text
    for model, before in counts.items():
        assert await _count(db, model) == before, model.__name__
    async with db.session() as session:
        incident = await session.get(Incident, iid)
        assert incident.version == version and incident.priority == created["priority"]
    # The same request again, once the database is back, goes through once.
    again = await _patch(
        client, worker, created["id"], {"indicators": [{"code": "REL-CONTROLLING-ADULT"}]}, version
    )
    assert again.status_code == 200, again.text


async def test_transfer_meets_the_s38_action_and_returning_home_starts_the_rhi(client, db, world, custody):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    created = await _report(
        client,
        custody,
        kind="arrest",
        occurred_at=start.isoformat(),
        custody_status="in_custody",
        was_missing=True,
    )
    iid = uuid.UUID(created["id"])
    steps = [
        {"charged_at": (start + timedelta(hours=1)).isoformat(), "bail_refused": True},
        {"transferred_at": (start + timedelta(hours=2)).isoformat()},
        {"returned_home_at": (start + timedelta(hours=3)).isoformat()},
    ]
    first = await _version(db, created["id"])
    for step in steps:
        response = await _patch(client, custody, created["id"], step, await _version(db, created["id"]))
        assert response.status_code == 200, response.text
    async with db.session() as session:
        clocks = {
            c.kind: c
            for c in (await session.execute(select(Clock).where(Clock.incident_id == iid))).scalars()
        }
    s38 = clocks["bail_refused_transfer"]
    assert s38.outcome == "transferred" and s38.met_at == start + timedelta(hours=2)
    assert s38.met_by_id == custody.id
    rhi = clocks["rhi_72h"]
    assert rhi.starts_at == start + timedelta(hours=3) and rhi.due_at == start + timedelta(hours=75)
    assert await _version(db, created["id"]) == first + len(steps)  # one version per update
