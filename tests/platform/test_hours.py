"""Working days, out-of-hours windows and the 09:00 handover in England (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from api.rota.hours import (
    handover_due,
    is_bank_holiday,
    is_out_of_hours,
    is_working_day,
    next_working_day,
    out_of_hours_windows,
)

# Built from zoneinfo directly so the expectations do not lean on the module under test.
LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    """A London wall time as a UTC instant."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- bank holidays and working days ---------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 25),  # Christmas Day, a Friday
        date(2026, 12, 28),  # Boxing Day falls on Saturday: substitute Monday
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
        date(2026, 5, 4),  # early May bank holiday
        date(2026, 5, 25),  # spring bank holiday
        date(2026, 8, 31),  # summer bank holiday (England: last Monday of August)
        date(2027, 12, 27),  # Christmas on Saturday 2027: substitute Monday
        date(2027, 12, 28),  # and Boxing Day's substitute Tuesday
    ],
)
def test_english_bank_holidays_are_known(day: date) -> None:
    assert is_bank_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 3, 17),  # St Patrick's Day: Northern Ireland only
        date(2026, 8, 3),  # Scotland's summer bank holiday
        date(2026, 11, 30),  # St Andrew's Day: Scotland only
        date(2026, 12, 24),  # Christmas Eve is a normal Thursday
    ],
)
def test_holidays_of_the_other_nations_are_working_days_in_england(day: date) -> None:
    assert not is_bank_holiday(day)
    assert is_working_day(day)


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 6, 6))  # Saturday
    assert not is_working_day(date(2026, 6, 7))  # Sunday
    assert is_working_day(date(2026, 6, 8))  # Monday


def test_next_working_day_skips_weekends_and_bank_holidays() -> None:
    assert next_working_day(date(2026, 6, 3)) == date(2026, 6, 4)
    assert next_working_day(date(2026, 6, 5)) == date(2026, 6, 8)
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert next_working_day(date(2027, 12, 24)) == date(2027, 12, 29)


def test_a_datetime_is_not_taken_for_a_calendar_day() -> None:
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 6, 3, 23, 30, tzinfo=UTC))


# --- out of hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (london(2026, 6, 3, 8, 59), True),
        (london(2026, 6, 3, 9, 0), False),
        (london(2026, 6, 3, 16, 59), False),
        (london(2026, 6, 3, 17, 0), True),
        (london(2026, 6, 6, 12, 0), True),  # Saturday
        (london(2026, 5, 4, 12, 0), True),  # early May bank holiday
        (utc(2026, 7, 1, 8, 30), False),  # 09:30 BST: office hours although 08:30 UTC
        (utc(2026, 1, 14, 8, 30), True),  # 08:30 GMT
        (utc(2026, 7, 1, 16, 30), True),  # 17:30 BST
        (datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=5))), False),  # 10:00 BST
    ],
)
def test_out_of_hours_follows_london_wall_time(at: datetime, expected: bool) -> None:
    assert is_out_of_hours(at) is expected


# --- handover due ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incident_at", "due"),
    [
        # Tuesday 23:00 -> Wednesday 09:00
        (london(2026, 6, 2, 23, 0), london(2026, 6, 3, 9, 0)),
        # Wednesday 02:00 -> the same Wednesday 09:00
        (london(2026, 6, 3, 2, 0), london(2026, 6, 3, 9, 0)),
        # Wednesday 08:59 still this morning; 09:00 is office hours -> Thursday
        (london(2026, 6, 3, 8, 59), london(2026, 6, 3, 9, 0)),
        (london(2026, 6, 3, 9, 0), london(2026, 6, 4, 9, 0)),
        # office hours, 11:00 Wednesday -> Thursday 09:00
        (london(2026, 6, 3, 11, 0), london(2026, 6, 4, 9, 0)),
        # Friday 18:00, Saturday 02:00, Sunday 23:59 -> Monday 09:00
        (london(2026, 6, 5, 18, 0), london(2026, 6, 8, 9, 0)),
        (london(2026, 6, 6, 2, 0), london(2026, 6, 8, 9, 0)),
        (london(2026, 6, 7, 23, 59), london(2026, 6, 8, 9, 0)),
        # Monday 03:00 -> that Monday
        (london(2026, 6, 8, 3, 0), london(2026, 6, 8, 9, 0)),
        # early May: Friday 1 May evening and bank-holiday Monday night -> Tuesday 5 May
        (london(2026, 5, 1, 18, 0), london(2026, 5, 5, 9, 0)),
        (london(2026, 5, 4, 3, 0), london(2026, 5, 5, 9, 0)),
        # Christmas 2026: Christmas Eve evening -> Tuesday 29 December (Boxing Day substitute)
        (london(2026, 12, 24, 17, 30), london(2026, 12, 29, 9, 0)),
        (london(2026, 12, 28, 8, 0), london(2026, 12, 29, 9, 0)),
        # Easter 2027 is also the clocks-forward weekend: Thursday evening GMT -> Tuesday BST
        (london(2027, 3, 25, 19, 0), london(2027, 3, 30, 9, 0)),
        (london(2027, 3, 29, 23, 0), london(2027, 3, 30, 9, 0)),
        # clocks-forward weekend 2026 (29 March) and clocks-back weekend (25 October)
        (london(2026, 3, 27, 22, 0), london(2026, 3, 30, 9, 0)),
        (london(2026, 10, 23, 18, 0), london(2026, 10, 26, 9, 0)),
        # during the repeated hour itself: 01:30 GMT on 25 October
        (utc(2026, 10, 25, 1, 30), london(2026, 10, 26, 9, 0)),
    ],
)
def test_handover_is_due_at_0900_on_the_working_day_ending_the_window(
    incident_at: datetime, due: datetime
) -> None:
    assert handover_due(incident_at) == due


def test_handover_due_is_utc_and_tracks_the_offset() -> None:
    summer = handover_due(london(2026, 6, 2, 23, 0))
    winter = handover_due(london(2026, 12, 1, 23, 0))
    assert summer.tzinfo is UTC and winter.tzinfo is UTC
    assert summer == utc(2026, 6, 3, 8, 0)  # 09:00 BST
    assert winter == utc(2026, 12, 2, 9, 0)  # 09:00 GMT
    # Friday evening before the clocks go forward: due Monday 09:00 BST, 08:00 UTC.
    assert handover_due(utc(2026, 3, 27, 18, 0)) == utc(2026, 3, 30, 8, 0)
    # Friday evening before the clocks go back: due Monday 09:00 GMT, 09:00 UTC.
    assert handover_due(utc(2026, 10, 23, 17, 0)) == utc(2026, 10, 26, 9, 0)


def test_handover_due_is_never_before_the_incident_and_always_a_working_morning() -> None:
    instant = utc(2026, 12, 20)
    while instant < utc(2027, 1, 10):
        due = handover_due(instant)
        local_due = due.astimezone(LONDON)
        assert due > instant
        assert (local_due.hour, local_due.minute) == (9, 0)
        assert is_working_day(local_due.date())
        # No working morning is skipped in between.
        day = instant.astimezone(LONDON).date() + timedelta(days=1)
        while day < local_due.date():
            assert not is_working_day(day)
            day += timedelta(days=1)
        instant += timedelta(minutes=37)


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        handover_due(datetime(2026, 6, 2, 23, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_out_of_hours(datetime(2026, 6, 2, 23, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        out_of_hours_windows(datetime(2026, 6, 1), utc(2026, 6, 2))


# --- windows for the rota view --------------------------------------------------------------


def test_windows_over_a_bank_holiday_weekend_are_merged_and_clipped() -> None:
    start, end = london(2026, 5, 1), london(2026, 5, 6)  # Friday 00:00 to Wednesday 00:00
    assert out_of_hours_windows(start, end) == [
        (london(2026, 5, 1), london(2026, 5, 1, 9)),
        (london(2026, 5, 1, 17), london(2026, 5, 5, 9)),
        (london(2026, 5, 5, 17), london(2026, 5, 6)),
    ]


def test_windows_starting_and_ending_inside_office_hours() -> None:
    start, end = london(2026, 6, 3, 12), london(2026, 6, 4, 12)
    assert out_of_hours_windows(start, end) == [(london(2026, 6, 3, 17), london(2026, 6, 4, 9))]
    assert out_of_hours_windows(london(2026, 6, 3, 10), london(2026, 6, 3, 16)) == []
    assert out_of_hours_windows(start, start) == []


def test_windows_starting_in_the_evening_start_where_asked() -> None:
    start, end = london(2026, 6, 3, 20), london(2026, 6, 4, 20)
    assert out_of_hours_windows(start, end) == [
        (london(2026, 6, 3, 20), london(2026, 6, 4, 9)),
        (london(2026, 6, 4, 17), london(2026, 6, 4, 20)),
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (london(2026, 3, 25), london(2026, 4, 2)),  # clocks forward
        (london(2026, 10, 21), london(2026, 10, 29)),  # clocks back
        (london(2026, 12, 21, 13, 7), london(2027, 1, 6, 4, 41)),  # Christmas, odd edges
    ],
)
def test_windows_agree_with_is_out_of_hours_at_every_step(start: datetime, end: datetime) -> None:
    windows = out_of_hours_windows(start, end)
    for (_, earlier_end), (later_start, _) in zip(windows, windows[1:], strict=False):
        assert earlier_end < later_start  # separate windows, never touching
    instant = start
    while instant < end:
        inside = any(s <= instant < e for s, e in windows)
        assert inside is is_out_of_hours(instant), instant
        instant += timedelta(minutes=15)
    for window_start, window_end in windows:
        assert window_start.tzinfo is UTC and window_end.tzinfo is UTC
