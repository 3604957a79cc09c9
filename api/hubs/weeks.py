"""The hub's week: an ISO 8601 week ("2026-W49"), Monday 00:00 to the next Monday 00:00,
London time (so a Sunday-night incident after midnight belongs to the next week)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from api.rota.schedule import LONDON

WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"
_WEEK = re.compile(WEEK_PATTERN)


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.monday, time(0), tzinfo=LONDON)

    @property
    def ends_at(self) -> datetime:
        """The next Monday 00:00 London (exclusive)."""
        return datetime.combine(self.monday + timedelta(weeks=1), time(0), tzinfo=LONDON)

    def shifted(self, weeks: int) -> Week:
        return week_of_date(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def week_of_date(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number)


def week_of(at: datetime) -> Week:
    return week_of_date(at.astimezone(LONDON).date())


def parse_week(text: str) -> Week | None:
    """The week `text` names, or None when it is not a real ISO week."""
    if not _WEEK.match(text):
        return None
    year, number = int(text[:4]), int(text[6:])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    return Week(year, number)
