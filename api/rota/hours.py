"""Office hours, out-of-hours windows and working days in England.

Out of hours is weekdays 17:00-09:00 Europe/London, and all of weekends and bank holidays in
England. The day team takes over at 09:00 on a working day. Pure time logic: no clock is read;
every function is given its instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from api.rota.schedule import LONDON, require_aware

OFFICE_OPENS = time(9, 0)
OFFICE_CLOSES = time(17, 0)

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # One immutable set per year: the holidays object itself grows lazily as years are asked
    # for, which is not something to share between threads.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def _check_date(d: date) -> None:
    # A datetime is a date too; accepting one would silently take its (possibly UTC) date.
    if isinstance(d, datetime):
        raise TypeError("pass a date (the Europe/London calendar day), not a datetime")


def is_bank_holiday(d: date) -> bool:
    """Whether ``d`` is a bank holiday in England, substitute days included."""
    _check_date(d)
    return d in _bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday in England."""
    _check_date(d)
    return d.weekday() < 5 and not is_bank_holiday(d)


def next_working_day(d: date) -> date:
    """The first working day strictly after ``d``."""
    _check_date(d)
    d += _ONE_DAY
    while not is_working_day(d):
        d += _ONE_DAY
    return d


def _at_london(d: date, wall: time) -> datetime:
    # 09:00 and 17:00 always exist exactly once in London, so no fold question arises.
    return datetime.combine(d, wall, tzinfo=LONDON).astimezone(UTC)


def is_out_of_hours(at: datetime) -> bool:
    """Whether instant ``at`` falls outside office hours (09:00-17:00 London on a working day)."""
    local = require_aware("at", at).astimezone(LONDON)
    if not is_working_day(local.date()):
        return True
    return not OFFICE_OPENS <= local.time() < OFFICE_CLOSES


def handover_due(at: datetime) -> datetime:
    """When the day team must have an incident that happened at ``at``: aware UTC.

    09:00 London on the working day that ends the out-of-hours window containing ``at``: the
    same day when ``at`` is before 09:00 on a working day, otherwise the next working day
    (office hours included: 11:00 Wednesday is due 09:00 Thursday).
    """
    local = require_aware("at", at).astimezone(LONDON)
    day = local.date()
    if not (is_working_day(day) and local.time() < OFFICE_OPENS):
        day = next_working_day(day)
    return _at_london(day, OFFICE_OPENS)


def received_at(at: datetime) -> datetime:
    """When something sent at ``at`` reaches an office: ``at`` itself during office hours,
    otherwise the next opening (09:00 London on the next working day), in UTC."""
    at = require_aware("at", at)
    return at.astimezone(UTC) if not is_out_of_hours(at) else handover_due(at)


def one_working_day_after(at: datetime) -> datetime:
    """One working day from ``at``: counted from when an office receives it (``received_at``)
    to the same London wall time on the next working day (weekends and bank holidays in
    England skipped), in UTC. A referral made on a Friday night before a bank holiday Monday
    is received at 09:00 on Tuesday and due at 09:00 on Wednesday."""
    received = received_at(at).astimezone(LONDON)
    day = next_working_day(received.date())
    return datetime.combine(day, received.time().replace(tzinfo=None), tzinfo=LONDON).astimezone(UTC)


def out_of_hours_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Out-of-hours windows within ``[start, end)``, in UTC, clipped to it, in order.

    Adjacent out-of-hours stretches are one window: Friday 17:00 to Monday 09:00 (or Tuesday
    09:00 over a bank holiday) comes back as a single pair.
    """
    start = require_aware("start", start)
    end = require_aware("end", end)
    if end < start:
        raise ValueError("end must not be before start")
    windows: list[tuple[datetime, datetime]] = []
    cursor = start  # the earliest instant not yet known to be inside office hours
    day = start.astimezone(LONDON).date()
    last_day = end.astimezone(LONDON).date()
    while day <= last_day and cursor < end:
        if is_working_day(day):
            opens, closes = _at_london(day, OFFICE_OPENS), _at_london(day, OFFICE_CLOSES)
            if opens > cursor:
                windows.append((cursor, min(opens, end)))
            cursor = max(cursor, closes)
        day += _ONE_DAY
    if cursor < end:
        windows.append((cursor, end))
    return windows
