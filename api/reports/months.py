"""Calendar months in Europe/London, age bands and the time figures of the reports (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.people.service import age_on

LONDON = ZoneInfo("Europe/London")
TREND_MONTHS = 12
# Medians and percentiles are shown only over at least this many cases (as counts are).
MIN_CASES = 5

Month = tuple[int, int]

AGE_BANDS: tuple[tuple[str, str], ...] = (
    ("under_13", "Under 13"),
    ("13_15", "13 to 15"),
    ("16_17", "16 and 17"),
    ("18_plus", "18 and over"),
    ("unknown", "Age not known"),
)


def parse_month(text: str) -> Month:
    """`YYYY-MM` → (year, month); ValueError otherwise."""
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        raise ValueError("must be a month as YYYY-MM, such as 2026-11")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise ValueError("must be a month as YYYY-MM, such as 2026-11")
    return year, month


def month_label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def month_of(at: datetime) -> Month:
    local = at.astimezone(LONDON)
    return local.year, local.month


def next_month(month: Month) -> Month:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def previous_month(month: Month) -> Month:
    year, m = month
    return (year - 1, 12) if m == 1 else (year, m - 1)


def month_start(month: Month) -> datetime:
    """Midnight London on the month's first day, in UTC."""
    return datetime.combine(date(month[0], month[1], 1), time(0), tzinfo=LONDON).astimezone(UTC)


def months_ending(month: Month, count: int = TREND_MONTHS) -> list[Month]:
    """``count`` months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def age_band(date_of_birth: date | None, apparent_age: int | None, on: datetime) -> str:
    """The band of the child's age on the day (London) of ``on``; an apparent age when no date of
    birth is known."""
    if date_of_birth is not None:
        age: int | None = age_on(date_of_birth, on.astimezone(LONDON).date())
    else:
        age = apparent_age
    if age is None:
        return "unknown"
    if age < 13:
        return "under_13"
    if age < 16:
        return "13_15"
    if age < 18:
        return "16_17"
    return "18_plus"


def spans_midnight(start: datetime, end: datetime) -> bool:
    """Whether ``[start, end)`` holds a midnight in London (the child was held overnight)."""
    first = datetime.combine(start.astimezone(LONDON).date() + timedelta(days=1), time(0), tzinfo=LONDON)
    return end > first.astimezone(UTC)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of the values at
    or below it (the median is ``fraction`` 0.5 only for an odd count; see ``median``)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The middle value; the mean of the two middle values for an even count."""
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def band_of(minutes: float, bands: Sequence[tuple[str, float | None]]) -> str:
    """The first band whose upper limit (minutes, exclusive; None: no limit) is above ``minutes``."""
    for key, upper in bands:
        if upper is None or minutes < upper:
            return key
    raise ValueError("the last band must have no upper limit")


# How far back a report may be asked for.
OLDEST_YEARS = 10


def check_month(text: str, now: datetime) -> Month:
    """A month a report may be asked for: as YYYY-MM, not after the current month (London) and
    not more than ten years back; ValueError otherwise."""
    month = parse_month(text)
    current = month_of(now)
    if month > current:
        raise ValueError("must not be after the current month")
    if month < (current[0] - OLDEST_YEARS, current[1]):
        raise ValueError(f"must be within the last {OLDEST_YEARS} years")
    return month
