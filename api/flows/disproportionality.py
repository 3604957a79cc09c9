"""The disproportionality view: does the response fall unevenly on some children?

Incidents (priority, custody outcome, indicators) counted by the young person's ethnic group and
sex (people, equality monitoring), per calendar quarter, over the incidents of the manager's
teams; small numbers suppressed (api/monitoring/suppression.py) before anything leaves. A read
model above incidents and people; the read is audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import cast, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import ValidationFailed
from api.incidents.access import team_scope
from api.incidents.models import PRIORITIES, Incident, IncidentIndicator
from api.incidents.schemas import CustodyStatus
from api.monitoring.schemas import (
    CategoryOut,
    CountRow,
    DisproportionalityOut,
    IndicatorRefOut,
    Measure,
    QuarterOut,
)
from api.monitoring.suppression import THRESHOLD, suppress
from api.people.models import YoungPerson
from api.people.monitoring import ETHNIC_GROUPS, NOT_RECORDED, SEXES, ethnic_group, sex_group
from api.triage.catalogue import codes_meaning, newest_entry

LONDON = ZoneInfo("Europe/London")
# Indicators where adultification shows: a child seen as an offender rather than exploited.
DEFAULT_INDICATORS = (
    "ITM-DRUGS-CASH",
    "ITM-WEAPON",
    "MOV-OUT-OF-AREA",
    "REL-KNOWN-EXPLOITERS",
    "REL-CONTROLLING-ADULT",
    "HRM-EXPLOITER-VIOLENCE-DEBT",
)
CUSTODY_KEYS = (*get_args(CustodyStatus), NOT_RECORDED)
TOTAL = "total"
SUPPRESSION_NOTE = (
    f"Counts from 1 to {THRESHOLD - 1} are shown as <{THRESHOLD}. So that no total gives one back "
    f"by subtraction, further counts in the same row or column are shown as <{THRESHOLD} too "
    "(secondary suppression); such a count may be larger, or zero."
)

Quarter = tuple[int, int]


def quarter_of(day: date) -> Quarter:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(quarter: Quarter) -> date:
    year, q = quarter
    return date(year, 3 * (q - 1) + 1, 1)


def next_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    return (year + 1, 1) if q == 4 else (year, q + 1)


def last_quarters(today: date, count: int) -> list[Quarter]:
    """``count`` calendar quarters ending with today's, oldest first."""
    quarters = [quarter_of(today)]
    while len(quarters) < count:
        year, q = quarters[0]
        quarters.insert(0, (year - 1, 4) if q == 1 else (year, q - 1))
    return quarters


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _columns() -> list[str]:
    return [
        *(f"ethnicity:{g.code}" for g in ETHNIC_GROUPS),
        *(f"sex:{s.code}" for s in SEXES),
        TOTAL,
    ]


def _lines(row_keys: Sequence[str], partitions: Sequence[Sequence[str]]) -> list[list[tuple[str, str]]]:
    """Every set of cells that adds up to a shown total: each row by ethnicity and by sex (with
    the row's total), and each column of a partition of the incidents (with the incidents)."""
    ethnicity = [f"ethnicity:{g.code}" for g in ETHNIC_GROUPS]
    sexes = [f"sex:{s.code}" for s in SEXES]
    lines = []
    for row in row_keys:
        lines.append([*((row, c) for c in ethnicity), (row, TOTAL)])
        lines.append([*((row, c) for c in sexes), (row, TOTAL)])
    for parts in partitions:
        for column in _columns():
            lines.append([*((p, column) for p in parts), ("incidents", column)])
    return lines


async def disproportionality(
    session: AsyncSession,
    actor: Actor,
    *,
    quarters: int,
    indicators: Sequence[str] | None,
    today: date | None = None,
) -> DisproportionalityOut:
    """The counts, suppressed; ValidationFailed for an indicator code no catalogue knows."""
    codes = list(dict.fromkeys(indicators or DEFAULT_INDICATORS))
    unknown = [(i, c) for i, c in enumerate(codes) if newest_entry(c) is None]
    if unknown:
        raise ValidationFailed(
            "Unknown indicator codes",
            errors=[{"field": f"indicator.{i}", "message": f"unknown indicator '{c}'"} for i, c in unknown],
        )
    today = today or utcnow().astimezone(LONDON).date()
    wanted = last_quarters(today, quarters)
    since = _london_midnight(quarter_start(wanted[0]))
    until = _london_midnight(quarter_start(next_quarter(wanted[-1])))
    in_range = (
        col(Incident.occurred_at) >= since,
        col(Incident.occurred_at) < until,
        team_scope(actor),
    )
    incidents = (
        await session.execute(
            select(
                col(Incident.id),
                col(Incident.occurred_at),
                col(Incident.priority),
                col(Incident.custody),
                col(YoungPerson.ethnicity),
                col(YoungPerson.sex),
            )
            .join(YoungPerson, col(YoungPerson.id) == col(Incident.young_person_id))
            .where(*in_range)
        )
    ).all()
    counted = {c: code for code in codes for c in codes_meaning(code)}
    flagged: dict[object, set[str]] = {}
    for incident_id, code in (
        await session.execute(
            select(col(IncidentIndicator.incident_id), col(IncidentIndicator.code))
            .join(Incident, col(Incident.id) == col(IncidentIndicator.incident_id))
            .where(*in_range, col(IncidentIndicator.code).in_(list(counted)))
        )
    ).all():
        flagged.setdefault(incident_id, set()).add(counted[code])

    priority_rows = [f"priority:{p}" for p in PRIORITIES]
    custody_rows = [f"custody:{c}" for c in CUSTODY_KEYS]
    indicator_rows = [f"indicator:{c}" for c in codes]
    row_keys = ["incidents", *priority_rows, *custody_rows, *indicator_rows]
    per_quarter: dict[Quarter, Counter[tuple[str, str]]] = {q: Counter() for q in wanted}
    for incident_id, occurred_at, priority, custody, ethnicity, sex in incidents:
        quarter = quarter_of(occurred_at.astimezone(LONDON).date())
        if quarter not in per_quarter:
            continue
        status = (custody or {}).get("status") or NOT_RECORDED
        status = status if status in CUSTODY_KEYS else NOT_RECORDED
        rows = ["incidents", f"priority:{priority}", f"custody:{status}"]
        rows += [f"indicator:{c}" for c in sorted(flagged.get(incident_id, ()))]
        columns = [f"ethnicity:{ethnic_group(ethnicity)}", f"sex:{sex_group(sex)}", TOTAL]
        for row in rows:
            for column in columns:
                per_quarter[quarter][(row, column)] += 1

    lines = _lines(row_keys, [priority_rows, custody_rows])
    labels = _row_labels(codes)
    out_quarters = []
    for quarter in wanted:
        counts = per_quarter[quarter]
        cells = {(r, c): counts[(r, c)] for r in row_keys for c in _columns()}
        shown = suppress(cells, lines)
        starts = quarter_start(quarter)
        out_quarters.append(
            QuarterOut(
                quarter=f"{quarter[0]}-Q{quarter[1]}",
                starts_on=starts,
                ends_on=quarter_start(next_quarter(quarter)) - timedelta(days=1),
                rows=[
                    CountRow(
                        measure=_measure(row),
                        key=row.partition(":")[2],
                        label=labels[row],
                        ethnicity={g.code: shown[(row, f"ethnicity:{g.code}")] for g in ETHNIC_GROUPS},
                        sex={s.code: shown[(row, f"sex:{s.code}")] for s in SEXES},
                        total=shown[(row, TOTAL)],
                    )
                    for row in row_keys
                ],
            )
        )
    audit.record(
        session,
        actor,
        "monitoring.disproportionality.read",
        resource_type="report",
        detail={"quarters": [q.quarter for q in out_quarters], "indicators": codes},
    )
    return DisproportionalityOut(
        ethnic_groups=[CategoryOut(code=g.code, label=g.label) for g in ETHNIC_GROUPS],
        sexes=[CategoryOut(code=s.code, label=s.label) for s in SEXES],
        indicators=[
            IndicatorRefOut(code=c, label=labels[f"indicator:{c}"], counts_also=codes_meaning(c)[1:])
            for c in codes
        ],
        quarters=out_quarters,
        suppression=SUPPRESSION_NOTE,
    )


def _measure(row: str) -> Measure:
    return cast(Measure, row.partition(":")[0])


def _row_labels(codes: Sequence[str]) -> dict[str, str]:
    labels = {"incidents": "Incidents"}
    labels.update({f"priority:{p}": f"Priority {p}" for p in PRIORITIES})
    labels.update({f"custody:{c}": "Custody: " + c.replace("_", " ") for c in CUSTODY_KEYS})
    for code in codes:
        entry = newest_entry(code)
        labels[f"indicator:{code}"] = entry.label if entry else code
    return labels
