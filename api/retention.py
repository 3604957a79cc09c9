"""Retention: what is kept, for how long, and the purge that applies it.

Two kinds of rows go:

- housekeeping, on a schedule: finished jobs (done or cancelled after
  `retention_jobs_done_days`, failed after `retention_jobs_failed_days`) and every table in
  `EXPIRING` past its own expiry column (idempotency keys past their window; a table of revoked
  tokens joins with one line there);
- children's records, by the retention table (settings `retention_child_*`): a young person's
  file (the person and every row that refers to them through foreign keys: incidents,
  indicators, timeline, pages, deliveries, acknowledgements, support offers and notes with their
  versions, handover items and clocks, possible matches) goes as a whole once the child has
  reached `retention_child_until_age` (`retention_looked_after_until_age` when looked after)
  AND `retention_child_years_after_last_involvement` years have passed since the last
  involvement, whichever is later.

Audit rows older than `retention_audit_years` whose child is no longer held are counted only:
the audit trail may become hash-chained (deleting rows would break the chain), so their removal
waits for a chain-aware design (see the README).

`purge(dry_run=True)` counts what would go and changes nothing; a real purge writes one audit
event `retention.purge` with the counts per table (numbers and table names only). Deletes run
in short batches, one transaction each, so intake never waits long behind them (on SQLite the
API and the worker share one connection).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

import api.models  # noqa: F401 - every table, so a file's foreign keys are all known
from api.audit import service as audit
from api.audit.models import AuditEvent
from api.auth import throttle
from api.auth.models import SessionRevocation
from api.db import Database, rows_affected, table_of, utcnow
from api.handover.models import HandoverItem, NrmConsideration
from api.incidents.models import IdempotencyRecord, Incident, TimelineEvent
from api.jobs.models import Job, JobState
from api.jobs.service import enqueue
from api.people.models import YoungPerson
from api.referrals.models import Referral
from api.settings import Settings
from api.support.models import HandoverNote, SupportOffer

log = logging.getLogger("lantern.retention")

PURGE_JOB = "retention.purge"
AUDIT_ACTION = "retention.purge"
AUDIT_ACTOR = "lantern-retention"
BATCH_ROWS = 500
BATCH_PEOPLE = 50


@dataclass(frozen=True)
class Expiring:
    """A table whose rows go once `column` (an expiry instant) has passed."""

    table: Table
    column: Column


# Rows that carry their own expiry. A new table of this kind (revoked tokens) is one line here:
#     Expiring(RevokedToken.__table__, RevokedToken.__table__.c.expires_at),
EXPIRING: list[Expiring] = [
    Expiring(table_of(IdempotencyRecord), table_of(IdempotencyRecord).c.expires_at),
    Expiring(table_of(SessionRevocation), table_of(SessionRevocation).c.expires_at),
]

# What counts as involvement with a child, besides the person's own record: the latest of
# these instants over the child's incidents.
INVOLVEMENT: list[tuple[Any, Any]] = [
    (Incident.id, Incident.reported_at),
    (Incident.id, Incident.updated_at),
    (TimelineEvent.incident_id, TimelineEvent.at),
    (SupportOffer.incident_id, SupportOffer.updated_at),
    (HandoverNote.incident_id, HandoverNote.updated_at),
    (HandoverItem.incident_id, HandoverItem.updated_at),
    (NrmConsideration.incident_id, NrmConsideration.updated_at),
    (Referral.incident_id, Referral.updated_at),
]


@dataclass(frozen=True)
class Rule:
    """One line of the retention table, as `lantern purge` prints it."""

    rows: str
    keep: str
    source: str


def retention_table(settings: Settings) -> list[Rule]:
    s = settings
    placeholder = "placeholder for the DPO to confirm"
    return [
        Rule(
            "young people, incidents and everything about them (support offers, notes, "
            "timeline, pages, deliveries, handover items, clocks, NRM decisions, referrals)",
            f"until the {s.retention_child_until_age}th birthday or "
            f"{s.retention_child_years_after_last_involvement} years after the last involvement, "
            "whichever is later (birthday estimated from the apparent age when the date of "
            "birth is unknown)",
            "IRMS Retention Guidelines for Local Government, children's social care case "
            f"records; {placeholder}",
        ),
        Rule(
            "the same, for a child who is looked after",
            f"until the {s.retention_looked_after_until_age}th birthday (and the rule above)",
            f"Care Planning, Placement and Case Review (England) Regulations 2010, reg. 50; {placeholder}",
        ),
        Rule(
            "audit rows",
            f"{s.retention_audit_years} years, and as long as their child is held; "
            "counted only, never deleted yet (the trail may be hash-chained)",
            placeholder,
        ),
        Rule(
            "finished jobs",
            f"done or cancelled: {s.retention_jobs_done_days:g} days; failed: "
            f"{s.retention_jobs_failed_days:g} days",
            "operational (no personal data; kept for investigating a night)",
        ),
        Rule("idempotency keys", "until their window ends (`expires_at`, at least 7 days)", "api-contract"),
        Rule(
            "token revocations",
            "until the last token they cover has expired (`expires_at`)",
            "operational (a revocation outliving its tokens protects nothing)",
        ),
    ]


@dataclass
class PurgeReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    # Audit rows past their retention: counted, never deleted here.
    audit_events_due: int = 0
    complete: bool = True

    def add(self, table: str, count: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# -- dates ------------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _add_years_dt(instant: datetime, years: int) -> datetime:
    moved = add_years(instant.date(), years)
    return instant.replace(year=moved.year, month=moved.month, day=moved.day)


# -- the schedule -----------------------------------------------------------------------------


def period_of(now: datetime, interval_seconds: float) -> int:
    return int(now.timestamp() // interval_seconds)


async def schedule(session: AsyncSession, now: datetime, interval_seconds: float) -> bool:
    """Enqueue this period's purge job (once across every worker: a dedupe key per period)."""
    period = period_of(now, interval_seconds)
    job_id = await enqueue(
        session, PURGE_JOB, {"period": period}, run_at=now, dedupe_key=f"{PURGE_JOB}:{period}"
    )
    return job_id is not None


# -- the purge --------------------------------------------------------------------------------


async def purge(
    database: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    records: bool = True,
    trigger: str = "command",
    time_budget_seconds: float | None = None,
) -> PurgeReport:
    """Apply the retention table at `now`. With `dry_run`, count only and change nothing.

    With `time_budget_seconds`, stop between batches once it is spent (the report says
    `complete=False`; the next run carries on).
    """
    now = now or utcnow()
    report = PurgeReport(dry_run=dry_run)
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    try:
        await _purge_jobs(database, settings, now, report, deadline)
        for expiring in EXPIRING:
            await _purge_where(database, expiring.table, expiring.column < now, report, deadline)
        if not dry_run:  # sign-in failures no longer counted by the throttle
            async with database.session() as session:
                report.add("signin_failures", await throttle.purge_stale(session, settings, now))
        if records:
            people = await due_young_people(database, settings, now)
            report.audit_events_due = await _count_audit_due(database, settings, now, people)
            await _purge_people(database, people, report, deadline)
        else:
            report.audit_events_due = await _count_audit_due(database, settings, now, [])
    except BaseException:
        report.complete = False
        if not dry_run and report.total:
            await _record(database, report, trigger, outcome="error")
        raise
    if not dry_run:
        await _record(database, report, trigger)
        log.info(
            "retention purge",
            extra={"counts": report.counts, "complete": report.complete, "trigger": trigger},
        )
    return report


def _spent(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


async def _record(database: Database, report: PurgeReport, trigger: str, outcome: str = "ok") -> None:
    """The purge's own audit event: counts per table, nothing about anyone."""
    async with database.session() as session:
        audit.record(
            session,
            None,
            AUDIT_ACTION,
            resource_type="retention",
            username=AUDIT_ACTOR,
            outcome=outcome,
            detail={
                "trigger": trigger,
                "counts": {table: count for table, count in sorted(report.counts.items()) if count},
                "total": report.total,
                "audit_events_due_not_deleted": report.audit_events_due,
                "complete": report.complete,
            },
        )


async def _purge_jobs(
    database: Database, settings: Settings, now: datetime, report: PurgeReport, deadline: float | None
) -> None:
    jobs = table_of(Job)
    ended = func.coalesce(jobs.c.finished_at, jobs.c.created_at)
    condition = or_(
        and_(
            jobs.c.state.in_((JobState.DONE, JobState.CANCELLED)),
            ended < now - timedelta(days=settings.retention_jobs_done_days),
        ),
        and_(
            jobs.c.state == JobState.FAILED, ended < now - timedelta(days=settings.retention_jobs_failed_days)
        ),
    )
    await _purge_where(database, jobs, condition, report, deadline)


async def _purge_where(
    database: Database, table: Table, condition: ColumnElement[bool], report: PurgeReport, deadline
) -> None:
    """Count, or delete in batches of BATCH_ROWS (one short transaction each)."""
    name = table.name
    if report.dry_run:
        async with database.session() as session:
            count = (
                await session.execute(select(func.count()).select_from(table).where(condition))
            ).scalar_one()
        report.add(name, count)
        return
    [key] = table.primary_key.columns
    report.add(name, 0)
    while not _spent(deadline):
        async with database.session() as session:
            batch = select(key).where(condition).limit(BATCH_ROWS).scalar_subquery()
            deleted = rows_affected(
                await session.execute(
                    delete(table).where(key.in_(batch)).execution_options(synchronize_session=False)
                )
            )
        report.add(name, deleted)
        if deleted < BATCH_ROWS:
            return
    report.complete = False


# -- children's records -----------------------------------------------------------------------


async def due_young_people(database: Database, settings: Settings, now: datetime) -> list[uuid.UUID]:
    """The young people whose whole file is past retention at `now`."""
    years_after = settings.retention_child_years_after_last_involvement
    involvement_cutoff = _add_years_dt(now, -years_after)
    today = now.astimezone(UTC).date()
    born_by = add_years(today, -settings.retention_child_until_age)
    born_by_looked_after = add_years(today, -settings.retention_looked_after_until_age)
    person = table_of(YoungPerson).c
    looked_after = person.legal_status == "looked_after"
    candidates_query = (
        select(person.id, person.date_of_birth, person.apparent_age, person.legal_status, person.created_at)
        .where(
            person.created_at < involvement_cutoff,
            person.updated_at < involvement_cutoff,
            or_(
                person.date_of_birth.is_(None),
                and_(~looked_after, person.date_of_birth <= born_by),
                and_(looked_after, person.date_of_birth <= born_by_looked_after),
            ),
        )
        .order_by(person.id)
    )
    async with database.session() as session:
        candidates = (await session.execute(candidates_query)).all()
    old_enough = [row.id for row in candidates if _age_reached(row, settings, today)]
    due: list[uuid.UUID] = []
    for start in range(0, len(old_enough), BATCH_ROWS):
        batch = old_enough[start : start + BATCH_ROWS]
        latest = await _last_involvement(database, batch)
        due.extend(pid for pid in batch if latest.get(pid) is None or latest[pid] < involvement_cutoff)
    return due


def _age_reached(row: Any, settings: Settings, today: date) -> bool:
    until = (
        settings.retention_looked_after_until_age
        if row.legal_status == "looked_after"
        else settings.retention_child_until_age
    )
    if row.date_of_birth is not None:
        born = row.date_of_birth
    else:
        # Unknown date of birth: the latest birth the record allows (the apparent age when it
        # was created, else a newborn then), so the estimate never shortens retention.
        born = add_years(row.created_at.astimezone(UTC).date(), -(row.apparent_age or 0))
    return add_years(born, until) <= today


async def _last_involvement(database: Database, people: Sequence[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    latest: dict[uuid.UUID, datetime] = {}
    async with database.session() as session:
        for incident_column, at in INVOLVEMENT:
            query = select(col(Incident.young_person_id), func.max(at)).where(
                col(Incident.young_person_id).in_(people)
            )
            if incident_column is not Incident.id:
                query = query.join(incident_column.class_, incident_column == Incident.id)
            for person_id, instant in (
                await session.execute(query.group_by(col(Incident.young_person_id)))
            ).all():
                if instant is not None and (person_id not in latest or instant > latest[person_id]):
                    latest[person_id] = instant
    return latest


def _dependent_tables(root: Table) -> list[Table]:
    """`root` and every table that refers to it through foreign keys, directly or not:
    parents before children."""
    tables = root.metadata.sorted_tables
    closure = {root}
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table not in closure and any(fk.column.table in closure for fk in table.foreign_keys):
                closure.add(table)
                changed = True
    return [table for table in tables if table in closure]


def _conditions(root: Table, ids: Sequence[uuid.UUID]) -> list[tuple[Table, ColumnElement[bool]]]:
    """For each table of a file rooted at `root`, the rows that belong to the people `ids`."""
    tables = _dependent_tables(root)
    conditions: dict[Table, ColumnElement[bool]] = {root: root.c.id.in_(ids)}
    for table in tables[1:]:
        parts = []
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent not in conditions:
                continue
            if parent is root and fk.column is root.c.id:
                parts.append(fk.parent.in_(ids))
            else:
                parts.append(fk.parent.in_(select(fk.column).where(conditions[parent])))
        conditions[table] = or_(*parts)
    return [(table, conditions[table]) for table in tables]


async def _purge_people(
    database: Database, people: list[uuid.UUID], report: PurgeReport, deadline: float | None
) -> None:
    root = table_of(YoungPerson)
    for table in _dependent_tables(root):
        report.add(table.name, 0)
    for start in range(0, len(people), BATCH_PEOPLE):
        if _spent(deadline):
            report.complete = False
            return
        batch = people[start : start + BATCH_PEOPLE]
        conditions = _conditions(root, batch)
        async with database.session() as session:
            if report.dry_run:
                for table, condition in conditions:
                    count = await session.execute(select(func.count()).select_from(table).where(condition))
                    report.add(table.name, count.scalar_one())
            else:
                # Children first: every row still exists while the rows that refer to it go.
                for table, condition in reversed(conditions):
                    result = await session.execute(
                        delete(table).where(condition).execution_options(synchronize_session=False)
                    )
                    report.add(table.name, rows_affected(result))


async def _count_audit_due(
    database: Database, settings: Settings, now: datetime, people: list[uuid.UUID]
) -> int:
    """Audit rows past `retention_audit_years` about no child, or about a child no longer held
    (or about to go in this purge)."""
    events = table_of(AuditEvent).c
    person = table_of(YoungPerson).c
    old = events.at < _add_years_dt(now, -settings.retention_audit_years)
    not_held = or_(events.young_person_id.is_(None), ~exists().where(person.id == events.young_person_id))
    async with database.session() as session:
        total = (
            await session.execute(select(func.count()).select_from(table_of(AuditEvent)).where(old, not_held))
        ).scalar_one()
        for start in range(0, len(people), BATCH_ROWS):
            batch = people[start : start + BATCH_ROWS]
            total += (
                await session.execute(
                    select(func.count())
                    .select_from(table_of(AuditEvent))
                    .where(old, events.young_person_id.in_(batch))
                )
            ).scalar_one()
    return total
