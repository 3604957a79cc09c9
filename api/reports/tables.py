"""A report's table: cases counted into rows, by age band, sex and ethnic group, suppressed; its
time figures and trend; each table as CSV (pure).

A case is one detention or one page or one handover item or one clock, with the child's age band,
sex and high-level ethnic group, and the set of rows it counts in. Rows that split another row
(`part_of`) add up to it: suppression treats each such column as a line, as it treats each row
by age band, by sex and by ethnic group (with the row's total). See api/monitoring/suppression.py.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from api.monitoring.schemas import CategoryOut, Count
from api.monitoring.suppression import HIDDEN, THRESHOLD, suppress
from api.people.monitoring import ETHNIC_GROUPS, SEXES
from api.reports.months import AGE_BANDS, MIN_CASES, median, percentile
from api.reports.schemas import BreakdownRow, TimeFigure, TrendMonth

TOTAL = "total"
SUPPRESSION_NOTE = (
    f"Counts from 1 to {THRESHOLD - 1} are shown as <{THRESHOLD}. So that no total gives one back "
    f"by subtraction, further counts in the same row or column are shown as <{THRESHOLD} too "
    "(secondary suppression); such a count may be larger, or zero. Medians and 90th percentiles "
    f"are shown only over {MIN_CASES} or more cases."
)
# Spreadsheet programs run cells that start with these as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowDef:
    key: str
    label: str
    part_of: str | None = None
    # Which split of ``part_of`` the row belongs to, when a row is split more than one way (the
    # detentions by hours held and by the wait for an appropriate adult): each split is a line.
    split: str | None = None


@dataclass(frozen=True)
class TimeDef:
    key: str
    label: str
    unit: Literal["minutes", "hours"]
    cases_row: str  # the row counting the cases the figure is over


@dataclass
class Case:
    age_band: str
    sex: str
    ethnicity: str
    rows: set[str]
    # Time figure key → the value (in the figure's unit) this case gives it.
    times: dict[str, float] = field(default_factory=dict)


def columns() -> list[str]:
    return [
        *(f"age:{code}" for code, _ in AGE_BANDS),
        *(f"sex:{s.code}" for s in SEXES),
        *(f"ethnicity:{g.code}" for g in ETHNIC_GROUPS),
        TOTAL,
    ]


def categories() -> dict[str, list[CategoryOut]]:
    return {
        "age_bands": [CategoryOut(code=c, label=label) for c, label in AGE_BANDS],
        "sexes": [CategoryOut(code=s.code, label=s.label) for s in SEXES],
        "ethnic_groups": [CategoryOut(code=g.code, label=g.label) for g in ETHNIC_GROUPS],
    }


def lines(rows: Sequence[RowDef]) -> list[list[tuple[str, str]]]:
    """Every set of cells that adds up to a shown total."""
    out: list[list[tuple[str, str]]] = []
    for prefix in ("age:", "sex:", "ethnicity:"):
        group = [c for c in columns() if c.startswith(prefix)]
        for row in rows:
            out.append([*((row.key, c) for c in group), (row.key, TOTAL)])
    splits = dict.fromkeys((r.part_of, r.split) for r in rows if r.part_of)
    for parent, split in splits:
        parts = [r.key for r in rows if (r.part_of, r.split) == (parent, split)]
        for column in columns():
            out.append([*((p, column) for p in parts), (str(parent), column)])
    return out


@dataclass
class Table:
    rows: list[BreakdownRow]
    times: list[TimeFigure]

    def total(self, key: str) -> Count:
        return next(r.total for r in self.rows if r.key == key)


def count(cases: Iterable[Case], rows: Sequence[RowDef]) -> dict[tuple[str, str], int]:
    """Every cell of the table (row key, column), before suppression."""
    counts: Counter[tuple[str, str]] = Counter()
    keys = {r.key for r in rows}
    for case in cases:
        cells = [f"age:{case.age_band}", f"sex:{case.sex}", f"ethnicity:{case.ethnicity}", TOTAL]
        for row in case.rows & keys:
            for column in cells:
                counts[(row, column)] += 1
    return {(r.key, c): counts[(r.key, c)] for r in rows for c in columns()}


def build(cases: Sequence[Case], rows: Sequence[RowDef], times: Sequence[TimeDef]) -> Table:
    """The month's table, suppressed, with its time figures."""
    values: dict[str, list[float]] = {t.key: [] for t in times}
    for case in cases:
        for key, value in case.times.items():
            values[key].append(value)
    shown = suppress(count(cases, rows), lines(rows))
    out_rows = [
        BreakdownRow(
            key=r.key,
            label=r.label,
            part_of=r.part_of,
            age_band={code: shown[(r.key, f"age:{code}")] for code, _ in AGE_BANDS},
            sex={s.code: shown[(r.key, f"sex:{s.code}")] for s in SEXES},
            ethnicity={g.code: shown[(r.key, f"ethnicity:{g.code}")] for g in ETHNIC_GROUPS},
            total=shown[(r.key, TOTAL)],
        )
        for r in rows
    ]
    out_times = []
    for t in times:
        cases_shown = shown[(t.cases_row, TOTAL)]
        found = values[t.key]
        enough = cases_shown != HIDDEN and len(found) >= MIN_CASES
        out_times.append(
            TimeFigure(
                key=t.key,
                label=t.label,
                unit=t.unit,
                cases=cases_shown,
                median=round(median(found), 1) if enough else None,
                p90=round(percentile(found, 0.9), 1) if enough else None,
            )
        )
    return Table(rows=out_rows, times=out_times)


def trend_point(month: str, table: Table, row_keys: Sequence[str], time_keys: Sequence[str]) -> TrendMonth:
    medians = {t.key: t.median for t in table.times}
    return TrendMonth(
        month=month,
        counts={k: table.total(k) for k in row_keys},
        times={k: medians[k] for k in time_keys},
    )


# --- CSV -----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(header: Sequence[str], body: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for line in body:
        writer.writerow([_cell(v) for v in line])
    return out.getvalue()


def breakdown_csv(rows: Sequence[BreakdownRow], cats: Mapping[str, list[CategoryOut]]) -> str:
    header = [
        "figure",
        "label",
        "part_of",
        *(f"Age: {c.label}" for c in cats["age_bands"]),
        *(f"Sex: {c.label}" for c in cats["sexes"]),
        *(f"Ethnic group: {c.label}" for c in cats["ethnic_groups"]),
        "Total",
    ]
    return _csv(
        header,
        (
            [
                r.key,
                r.label,
                r.part_of or "",
                *(r.age_band[c.code] for c in cats["age_bands"]),
                *(r.sex[c.code] for c in cats["sexes"]),
                *(r.ethnicity[c.code] for c in cats["ethnic_groups"]),
                r.total,
            ]
            for r in rows
        ),
    )


def times_csv(times: Sequence[TimeFigure]) -> str:
    return _csv(
        ["figure", "label", "unit", "cases", "median", "p90"],
        ([t.key, t.label, t.unit, t.cases, t.median, t.p90] for t in times),
    )


def trend_csv(
    trend: Sequence[TrendMonth], keys: Sequence[str], extra: Mapping[str, Mapping[str, object]]
) -> str:
    """One line per month: the trend's counts and medians (``extra``: further columns by month)."""
    extra_keys = list(dict.fromkeys(k for cols in extra.values() for k in cols))
    return _csv(
        ["month", *keys, *extra_keys],
        (
            [
                t.month,
                *(t.counts[k] if k in t.counts else t.times.get(k) for k in keys),
                *(extra.get(t.month, {}).get(k) for k in extra_keys),
            ]
            for t in trend
        ),
    )
