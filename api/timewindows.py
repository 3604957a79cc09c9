"""How far from now a date or time in a request may be: one window per kind of input.

Every date and time a client sends is checked against a window around the server's clock
before anything uses it, so a year 1 or 9999 never reaches date arithmetic (an
OverflowError, a 500) and a 1970 `occurred_at` never pages anyone. Outside its window a
value is a 422 naming the field. The table is repeated in the README ("Input limits").

Use the annotated types in schemas and in `Query(...)` parameters:

    occurred_at: IncidentInstant
    night: Annotated[ReportNight, Query()]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, NaiveDatetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Window:
    """A span around now: `past` back and `future` ahead (both inclusive)."""

    past: timedelta
    future: timedelta
    describe: str

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        return now - self.past, now + self.future

    def check_instant(self, value: datetime) -> datetime:
        """An aware instant. Offsets are taken into account; a value whose UTC form does
        not exist (year 1 east of Greenwich, year 9999 west of it) is outside too."""
        try:
            as_utc = value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError(f"out of range: must be {self.describe}") from None
        low, high = self.bounds(_now())
        if not low <= as_utc <= high:
            raise ValueError(f"must be {self.describe}")
        return value

    def check_wall_time(self, value: datetime) -> datetime:
        """A naive wall-clock time (Europe/London); compared with UTC now, which is close
        enough for windows measured in years."""
        low, high = self.bounds(_now())
        if not low.replace(tzinfo=None) <= value <= high.replace(tzinfo=None):
            raise ValueError(f"must be {self.describe}")
        return value

    def check_day(self, value: date) -> date:
        low, high = self.bounds(_now())
        if not low.date() <= value <= high.date():
            raise ValueError(f"must be {self.describe}")
        return value


# What happened: reported within a year, never more than a clock's drift in the future.
INCIDENT = Window(
    timedelta(days=365), timedelta(minutes=10), "within the last 365 days and at most 10 minutes ahead"
)
# Custody times (detention, police protection) are part of the same report.
CUSTODY = INCIDENT
# A support offer is captured on a phone at the time; the outbox may hold it offline over
# a long weekend, and a phone clock may run ahead (flagged `client_time_suspect`).
SUPPORT_OFFER = Window(
    timedelta(days=14), timedelta(days=2), "within the last 14 days and at most 2 days ahead"
)
# The night of a handover report: within what is kept, and at most tomorrow.
REPORT_NIGHT = Window(
    timedelta(days=400), timedelta(days=1), "within the last 400 days and not after tomorrow"
)
# Rota instants and wall times: rotations, overrides, on-call questions, shift lists.
ROTA = Window(timedelta(days=5 * 366), timedelta(days=5 * 366), "within 5 years of now")
# Filters of incident lists and searches: everything Lantern can hold, and not beyond tomorrow.
SEARCH = Window(
    timedelta(days=30 * 366), timedelta(days=1), "within the last 30 years and not after tomorrow"
)

IncidentInstant = Annotated[AwareDatetime, AfterValidator(INCIDENT.check_instant)]
CustodyInstant = Annotated[AwareDatetime, AfterValidator(CUSTODY.check_instant)]
OfferInstant = Annotated[AwareDatetime, AfterValidator(SUPPORT_OFFER.check_instant)]
ReportNight = Annotated[date, AfterValidator(REPORT_NIGHT.check_day)]
RotaInstant = Annotated[AwareDatetime, AfterValidator(ROTA.check_instant)]
RotaWallTime = Annotated[NaiveDatetime, AfterValidator(ROTA.check_wall_time)]
SearchInstant = Annotated[AwareDatetime, AfterValidator(SEARCH.check_instant)]

# For the README table and its test: (input, window).
WINDOWS: list[tuple[str, Window]] = [
    ("incident `occurred_at`", INCIDENT),
    ("custody `detained_at`, `police_protection_started_at`", CUSTODY),
    ("support offer `offered_at` (PUT and sync)", SUPPORT_OFFER),
    ("handover report `night`", REPORT_NIGHT),
    ("rota `start_local`, `ends_local`, shift `starts_at`/`ends_at`, `from`/`to`, on-call `at`", ROTA),
    ("incident list and search `from`/`to`", SEARCH),
]
