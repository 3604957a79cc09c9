"""Retention: children's files past the retention table go whole, everything younger stays,
finished jobs and expired idempotency keys are tidied, a dry run changes nothing, and every
purge leaves its own audit event with counts only. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

import api.models  # noqa: F401 - every table in the metadata
from api import retention
from api.audit import service as audit
from api.audit.models import AuditEvent
from api.handover.models import Clock, HandoverEvent, HandoverItem
from api.incidents.models import (
    IdempotencyRecord,
    Incident,
    IncidentIndicator,
    IncidentTeam,
    TimelineEvent,
)
from api.jobs.models import Job
from api.paging.models import Acknowledgement, Delivery, Page
from api.people.models import PossibleMatch, YoungPerson
from api.support.models import HandoverNote, HandoverNoteVersion, SupportOffer, SupportOfferVersion
from tests.launcher import run_lantern
from workers.runtime import Worker

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
# The names planted in the files: none may reach an audit event or the command's output.
SURNAME = "Wiśniewska-Retention"

# One row per table for each purged file (A and E below), one possible match between A and B.
FILE_TABLES = (
    "young_people",
    "incidents",
    "incident_teams",
    "incident_indicators",
    "timeline_events",
    "support_offers",
    "support_offer_versions",
    "handover_notes",
    "handover_note_versions",
    "handover_items",
    "handover_events",
    "clocks",
    "pages",
    "deliveries",
    "acknowledgements",
)
EXPECTED = {table: 2 for table in FILE_TABLES} | {
    "possible_matches": 1,
    "jobs": 2,
    "idempotency_records": 1,
}


def years_ago(years: float, *, days: int = 0) -> datetime:
    return NOW - timedelta(days=round(365.25 * years) + days)


def born(age: int) -> date:
    return retention.add_years(TODAY, -age) - timedelta(days=10)


@dataclass
class Seeded:
    files: dict[str, uuid.UUID]  # label -> young person id
    incidents: dict[str, uuid.UUID]
    jobs: dict[str, uuid.UUID]
    idempotency: dict[str, uuid.UUID]


async def _file(
    db,
    world,
    reporter,
    label: str,
    *,
    involved: datetime,
    date_of_birth: date | None = None,
    apparent_age: int | None = None,
    legal_status: str = "none",
    person_created: datetime | None = None,
    offer_updated: datetime | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A child's whole file, every row dated `involved` unless told otherwise."""
    team = world.teams["city-cce"]
    async with db.session() as session:
        person = YoungPerson(
            first_name=f"Child {label}",
            last_name=SURNAME,
            match_name=f"child {label} retention".lower(),
            date_of_birth=date_of_birth,
            apparent_age=apparent_age,
            legal_status=legal_status,
            created_at=person_created or involved,
            updated_at=person_created or involved,
        )
        session.add(person)
        await session.flush()
        incident = Incident(
            reference=f"LAN-RET-{uuid.uuid4().hex[:8].upper()}",
            kind="missing_return",
            state="closed",
            priority="P2",
            occurred_at=involved,
            reported_at=involved,
            updated_at=involved,
            reporter_id=reporter.id,
            station_id=world.stations["euston-street"].id,
            young_person_id=person.id,
            location_description="Near the canal",
            circumstances=f"Seen with {SURNAME}",
        )
        session.add(incident)
        await session.flush()
        session.add(IncidentTeam(incident_id=incident.id, team_id=team.id, created_at=involved))
        session.add(
            IncidentIndicator(
                incident_id=incident.id,
                code="missing_repeat",
                category="cse",
                provenance="police",
                recorded_at=involved,
            )
        )
        session.add(TimelineEvent(incident_id=incident.id, action="incident.reported", at=involved))
        offer_id = uuid.uuid4()
        offer_at = offer_updated or involved
        offer = {
            "incident_id": incident.id,
            "kind": "return_home_interview",
            "outcome": "accepted",
            "offered_at": offer_at,
            "notes": SURNAME,
            "recorded_by_id": reporter.id,
            "received_at": offer_at,
        }
        session.add(SupportOffer(id=offer_id, updated_at=offer_at, **offer))
        note_id = uuid.uuid4()
        session.add(
            HandoverNote(
                id=note_id,
                incident_id=incident.id,
                text=SURNAME,
                recorded_by_id=reporter.id,
                received_at=involved,
                updated_at=involved,
            )
        )
        item = HandoverItem(
            incident_id=incident.id,
            team_id=team.id,
            state="closed",
            due_at=involved,
            created_at=involved,
            updated_at=involved,
        )
        session.add(item)
        session.add(
            Clock(
                incident_id=incident.id,
                kind="rhi_72h",
                label="RHI",
                source="statutory guidance",
                starts_at=involved,
                due_at=involved + timedelta(hours=72),
                created_at=involved,
                updated_at=involved,
            )
        )
        page = Page(
            incident_id=incident.id,
            team_id=team.id,
            policy={},
            state="acknowledged",
            started_at=involved,
            level_started_at=involved,
            updated_at=involved,
        )
        session.add(page)
        await session.flush()
        session.add(SupportOfferVersion(offer_id=offer_id, version=1, **offer))
        session.add(
            HandoverNoteVersion(
                note_id=note_id,
                version=1,
                incident_id=incident.id,
                text=SURNAME,
                recorded_by_id=reporter.id,
                received_at=involved,
            )
        )
        session.add(HandoverEvent(item_id=item.id, action="closed", at=involved))
        session.add(
            Delivery(page_id=page.id, user_id=reporter.id, channel="log", outcome="accepted", at=involved)
        )
        session.add(
            Acknowledgement(
                page_id=page.id, incident_id=incident.id, user_id=reporter.id, action="attend", at=involved
            )
        )
    return person.id, incident.id


async def _seed(db, world, make_user) -> Seeded:
    police = await make_user("police", station="euston-street")
    files, incidents = {}, {}
    for label, kwargs in {
        # Past both limits: goes.
        "A": {"involved": years_ago(7), "date_of_birth": born(30)},
        # An adult now, but involved a year ago (the person's own row is old): stays.
        "B": {"involved": years_ago(1), "date_of_birth": born(30), "person_created": years_ago(9)},
        # Old file, but a support offer changed two years ago: stays.
        "B2": {"involved": years_ago(8), "date_of_birth": born(30), "offer_updated": years_ago(2)},
        # Seven years since the last involvement, but not yet 25: stays.
        "C": {"involved": years_ago(7), "date_of_birth": born(20)},
        # Looked after: kept to the 75th birthday.
        "D": {"involved": years_ago(7), "date_of_birth": born(30), "legal_status": "looked_after"},
        # No date of birth, looked 15 twelve years ago (about 27 now): goes.
        "E": {"involved": years_ago(12), "apparent_age": 15},
        # No date of birth, looked 10 seven years ago (about 17 now): stays.
        "F": {"involved": years_ago(7), "apparent_age": 10},
    }.items():
        files[label], incidents[label] = await _file(db, world, police, label, **kwargs)

    async with db.session() as session:
        session.add(PossibleMatch(young_person_id=files["B"], candidate_id=files["A"], reason="name"))
        jobs = {
            "done_old": Job(kind="test.noop", state="done", finished_at=NOW - timedelta(days=30)),
            "done_recent": Job(kind="test.noop", state="done", finished_at=NOW - timedelta(days=1)),
            "failed_month": Job(kind="test.noop", state="failed", finished_at=NOW - timedelta(days=30)),
            "failed_old": Job(kind="test.noop", state="failed", finished_at=NOW - timedelta(days=100)),
            "pending_old": Job(
                kind="test.noop",
                state="pending",
                run_at=NOW - timedelta(days=100),
                created_at=NOW - timedelta(days=100),
            ),
        }
        session.add_all(jobs.values())
        keys = {
            "expired": IdempotencyRecord(
                actor_id=police.id,
                scope="incidents.create",
                key="k1",
                request_hash="h",
                status_code=201,
                created_at=NOW - timedelta(days=9),
                expires_at=NOW - timedelta(days=1),
            ),
            "live": IdempotencyRecord(
                actor_id=police.id,
                scope="incidents.create",
                key="k2",
                request_hash="h",
                status_code=201,
                created_at=NOW - timedelta(days=4),
                expires_at=NOW + timedelta(days=4),
            ),
        }
        session.add_all(keys.values())
        # Audit rows: old and about nobody, old and about A (who goes), old about B (held),
        # recent and about nobody. The first two are due; none is deleted.
        for at, person in (
            (years_ago(8), None),
            (years_ago(8), files["A"]),
            (years_ago(8), files["B"]),
            (years_ago(1), None),
        ):
            # Through the audit service, so the rows join the hash chain like any other.
            event = audit.record(session, None, "incident.read", young_person_id=person, username="x")
            event.at = at
    return Seeded(files, incidents, {k: j.id for k, j in jobs.items()}, {k: r.id for k, r in keys.items()})


async def _row_counts(db) -> dict[str, int]:
    counts = {}
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = (await session.execute(select(func.count()).select_from(table))).scalar_one()
    return counts


async def _ids(db, model) -> set[uuid.UUID]:
    async with db.session() as session:
        return set((await session.execute(select(model.id))).scalars())


async def _purge_events(db) -> list[AuditEvent]:
    async with db.session() as session:
        return list(
            (
                await session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.action == retention.AUDIT_ACTION)
                    .order_by(AuditEvent.at)
                )
            ).scalars()
        )


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {table: count for table, count in counts.items() if count}


async def test_a_dry_run_counts_what_would_go_and_changes_nothing(db, world, make_user, settings):
    await _seed(db, world, make_user)
    before = await _row_counts(db)

    report = await retention.purge(db, settings, now=NOW, dry_run=True)

    assert _nonzero(report.counts) == EXPECTED
    assert report.audit_events_due == 2
    assert await _row_counts(db) == before  # audit trail included: a dry run writes nothing


async def test_the_purge_removes_old_files_whole_keeps_the_rest_and_audits_counts_only(
    db, world, make_user, settings
):
    seeded = await _seed(db, world, make_user)
    before = await _row_counts(db)
    dry = await retention.purge(db, settings, now=NOW, dry_run=True)

    report = await retention.purge(db, settings, now=NOW)

    assert _nonzero(report.counts) == EXPECTED == _nonzero(dry.counts)
    assert report.complete
    after = await _row_counts(db)
    for table, count in before.items():
        gone = EXPECTED.get(table, 0)
        if table == "audit_events":
            assert after[table] == count + 1, "audit rows are never deleted; the purge adds its own"
        else:
            assert after[table] == count - gone, table
    kept = {label for label in seeded.files if label not in ("A", "E")}
    assert await _ids(db, YoungPerson) == {seeded.files[label] for label in kept}
    assert await _ids(db, Incident) == {seeded.incidents[label] for label in kept}
    assert await _ids(db, Job) == {seeded.jobs[k] for k in ("done_recent", "failed_month", "pending_old")}
    assert await _ids(db, IdempotencyRecord) == {seeded.idempotency["live"]}

    [event] = await _purge_events(db)
    assert event.actor_username == retention.AUDIT_ACTOR and event.young_person_id is None
    assert event.detail["counts"] == EXPECTED
    assert event.detail["total"] == sum(EXPECTED.values())
    assert event.detail["audit_events_due_not_deleted"] == 2
    assert event.detail["trigger"] == "command"
    text = json.dumps(event.detail)
    assert SURNAME not in text and "Child" not in text
    assert not any(str(i) in text for i in seeded.files.values())

    again = await retention.purge(db, settings, now=NOW)
    assert _nonzero(again.counts) == {}
    assert len(await _purge_events(db)) == 2, "every purge writes its own event, even an empty one"


async def test_the_retention_table_comes_from_settings(db, world, make_user, settings):
    seeded = await _seed(db, world, make_user)
    settings.retention_child_until_age = 18  # C (20) now past the age limit; F (about 17) not
    settings.retention_looked_after_until_age = 25  # D (30) as well

    report = await retention.purge(db, settings, now=NOW, dry_run=True)

    assert report.counts["young_people"] == 4  # A, C, D, E; F is still about 17
    due = set(await retention.due_young_people(db, settings, NOW))
    assert due == {seeded.files[label] for label in ("A", "C", "D", "E")}


async def test_the_worker_schedules_one_purge_per_period_and_it_tidies_jobs(db, world, make_user, settings):
    seeded = await _seed(db, world, make_user)
    settings.retention_purge_records = False  # the schedule may be told to tidy only
    first, second = Worker(db, settings, worker_id="w1"), Worker(db, settings, worker_id="w2")
    try:
        assert await first.schedule_retention(now=NOW) is True
        assert await first.schedule_retention(now=NOW + timedelta(seconds=5)) is False
        assert await second.schedule_retention(now=NOW) is False  # the period's job exists
        async with db.session() as session:
            [job] = (await session.execute(select(Job).where(Job.kind == retention.PURGE_JOB))).scalars()
        assert job.state == "pending"

        await first.drain(now=NOW)

        assert seeded.jobs["done_old"] not in await _ids(db, Job)
        assert seeded.idempotency["expired"] not in await _ids(db, IdempotencyRecord)
        assert seeded.files["A"] in await _ids(db, YoungPerson)  # records left to `lantern purge`
        [event] = await _purge_events(db)
        assert event.detail["trigger"] == "schedule"
        assert event.detail["counts"] == {"jobs": 2, "idempotency_records": 1}
        later = NOW + timedelta(seconds=settings.retention_interval_seconds)
        assert await first.schedule_retention(now=later) is True
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_purge_out_of_time_stops_between_batches_and_says_so(db, world, make_user, settings):
    await _seed(db, world, make_user)
    before = await _row_counts(db)
    report = await retention.purge(db, settings, now=NOW, time_budget_seconds=0)
    assert report.complete is False
    assert _nonzero(report.counts) == {}
    assert await _row_counts(db) == {**before, "audit_events": before["audit_events"] + 1}
    [event] = await _purge_events(db)
    assert event.detail["complete"] is False


@pytest.mark.slow
async def test_lantern_purge_reports_per_table_then_purges(db, world, make_user, settings, tmp_path):
    await _seed(db, world, make_user)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": settings.secret_key,
        "LANTERN_VAPID_PRIVATE_KEY": settings.vapid_private_key,
        "LANTERN_VAR_DIR": str(tmp_path / "var"),
        "LANTERN_LOG_LEVEL": "WARNING",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_lantern(list(args), env=env, cwd=tmp_path, timeout=60)

    before = await _row_counts(db)
    dry = await asyncio.to_thread(run, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would go" in dry.stdout
    for table, count in EXPECTED.items():
        assert f"{table} {count}" in " ".join(dry.stdout.split()), table
    assert SURNAME not in dry.stdout + dry.stderr
    assert await _row_counts(db) == before

    real = await asyncio.to_thread(run, "retention")  # the contract's name for the same command
    assert real.returncode == 0, real.stderr
    assert "Rows purged" in real.stdout
    assert await _ids(db, YoungPerson) and len(await _ids(db, YoungPerson)) == before["young_people"] - 2
    [event] = await _purge_events(db)
    assert event.detail["counts"] == EXPECTED
