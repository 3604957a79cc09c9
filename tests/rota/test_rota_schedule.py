"""On-call resolution across hand-offs, clock changes, overrides and gaps (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from api.rota import schedule
from api.rota.schedule import (
    LONDON,
    Override,
    Rotation,
    Slot,
    coverage,
    local_to_utc,
    on_call,
)

ALICE, BEN, CHLOE, DEV, ESME = (uuid.uuid4() for _ in range(5))
TEAM_OF_THREE = [ALICE, BEN, CHLOE]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args: int) -> datetime:
    """A London wall time as a UTC instant, built by zoneinfo directly (not the code under test).

    Returned in UTC because Python subtracts two datetimes sharing a tzinfo as wall times,
    which would hide the very hour these tests are about.
    """
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


def rotation(
    members: list[uuid.UUID],
    start_local: datetime,
    length: timedelta,
    level: str = "primary",
    ends_local: datetime | None = None,
) -> Rotation:
    return Rotation(uuid.uuid4(), level, members, start_local, length, ends_local)


def assert_contiguous(slots: list[Slot], start: datetime, end: datetime) -> None:
    assert slots, "coverage of a non-empty window must not be empty"
    assert slots[0].starts_at == start
    assert slots[-1].ends_at == end
    for before, after in zip(slots, slots[1:], strict=False):
        assert before.ends_at == after.starts_at, (before, after)
        assert before.starts_at < before.ends_at
    assert sum((s.ends_at - s.starts_at for s in slots), timedelta()) == end - start


def assert_exactly_one_on_call_everywhere(
    rotations: list[Rotation], slots: list[Slot], step: timedelta
) -> None:
    """Sample every ``step``: one person on call, the same one the covering slot names."""
    for slot in slots:
        assert len(slot.user_ids) == 1, slot
        assert slot.source == "rotation"
    instant = slots[0].starts_at
    index = 0
    while instant < slots[-1].ends_at:
        while slots[index].ends_at <= instant:
            index += 1
        who = on_call(rotations, [], "primary", instant)
        assert who == slots[index].user_ids, instant
        instant += step


# --- the documented choice for wall times that do not exist or happen twice ---------------


def test_nonexistent_spring_wall_time_is_read_with_the_winter_offset() -> None:
    # 2026-03-29 01:30 never happens in London; fold=0 reads it as GMT.
    assert local_to_utc(datetime(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 1, 30)
    assert local_to_utc(datetime(2026, 3, 29, 1, 30)).astimezone(LONDON).hour == 2


def test_ambiguous_autumn_wall_time_is_its_first_occurrence() -> None:
    # 2026-10-25 01:30 happens twice; the first (BST) is 00:30 UTC.
    assert local_to_utc(datetime(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 0, 30)


# --- daylight saving: no gap, no overlap -----------------------------------------------------


@pytest.mark.parametrize(
    ("change_day", "expected_hours"),
    [((2026, 3, 29), 23), ((2026, 10, 25), 25)],
    ids=["march", "october"],
)
def test_daily_rota_handing_off_at_1700_stretches_across_the_clock_change(
    change_day: tuple[int, int, int], expected_hours: int
) -> None:
    rota = rotation(TEAM_OF_THREE, datetime(2026, 1, 5, 17, 0), timedelta(days=1))
    start = london(*change_day) - timedelta(days=4)
    end = london(*change_day) + timedelta(days=4)

    slots = coverage([rota], [], "primary", start, end)

    assert_contiguous(slots, start, end)
    assert_exactly_one_on_call_everywhere([rota], slots, timedelta(minutes=10))
    # Every inner boundary is a 17:00 London hand-off, whatever the offset that day.
    for slot in slots[1:]:
        local = slot.starts_at.astimezone(LONDON)
        assert (local.hour, local.minute) == (17, 0)
    # The shift that starts at 17:00 the day before the change is one hour short or long.
    year, month, day = change_day
    eve = london(year, month, day - 1, 17)
    [changing] = [s for s in slots if s.starts_at == eve]
    assert changing.ends_at - changing.starts_at == timedelta(hours=expected_hours)


@pytest.mark.parametrize(
    ("change_day", "handoff_utc", "handoff_shift_hours"),
    [
        # 01:30 does not exist on 29 March: hand-off at 01:30 GMT (02:30 BST); that shift runs
        # to 01:30 BST next day, 23 h.
        ((2026, 3, 29), utc(2026, 3, 29, 1, 30), 23),
        # 01:30 happens twice on 25 October: hand-off at the first (00:30 UTC); that shift runs
        # to 01:30 GMT next day, 25 h.
        ((2026, 10, 25), utc(2026, 10, 25, 0, 30), 25),
    ],
    ids=["march", "october"],
)
def test_daily_rota_handing_off_at_0130_inside_the_changing_hour(
    change_day: tuple[int, int, int], handoff_utc: datetime, handoff_shift_hours: int
) -> None:
    rota = rotation(TEAM_OF_THREE, datetime(2026, 1, 5, 1, 30), timedelta(days=1))
    start = london(*change_day) - timedelta(days=3)
    end = london(*change_day) + timedelta(days=3)

    slots = coverage([rota], [], "primary", start, end)

    assert_contiguous(slots, start, end)
    assert_exactly_one_on_call_everywhere([rota], slots, timedelta(minutes=5))
    [handoff] = [s for s in slots if s.starts_at == handoff_utc]
    [before] = [s for s in slots if s.ends_at == handoff_utc]
    assert before.user_ids != handoff.user_ids
    assert before.ends_at - before.starts_at == timedelta(hours=24)
    assert handoff.ends_at - handoff.starts_at == timedelta(hours=handoff_shift_hours)


def test_second_occurrence_of_0130_in_october_belongs_to_the_new_shift() -> None:
    rota = rotation(TEAM_OF_THREE, datetime(2026, 10, 24, 1, 30), timedelta(days=1))
    # 01:15 GMT on 25 October (01:15 UTC) reads as wall time 01:15, before "01:30", but the
    # hand-off already happened at the first 01:30 (00:30 UTC).
    assert on_call([rota], [], "primary", utc(2026, 10, 25, 0, 29)) == [ALICE]
    assert on_call([rota], [], "primary", utc(2026, 10, 25, 0, 30)) == [BEN]
    assert on_call([rota], [], "primary", utc(2026, 10, 25, 1, 15)) == [BEN]
    assert on_call([rota], [], "primary", utc(2026, 10, 26, 1, 29)) == [BEN]
    assert on_call([rota], [], "primary", utc(2026, 10, 26, 1, 30)) == [CHLOE]


@pytest.mark.parametrize(
    ("night_before", "night_hours"),
    [((2026, 3, 28), 11), ((2026, 10, 24), 13)],
    ids=["march", "october"],
)
def test_twelve_hour_rota_night_shift_absorbs_the_clock_change(
    night_before: tuple[int, int, int], night_hours: int
) -> None:
    rota = rotation([ALICE, BEN], datetime(2026, 1, 1, 8, 0), timedelta(hours=12))
    start = london(*night_before) - timedelta(days=2)
    end = london(*night_before) + timedelta(days=3)

    slots = coverage([rota], [], "primary", start, end)

    assert_contiguous(slots, start, end)
    assert_exactly_one_on_call_everywhere([rota], slots, timedelta(minutes=10))
    for slot in slots[1:]:
        local = slot.starts_at.astimezone(LONDON)
        assert (local.hour, local.minute) in {(8, 0), (20, 0)}
    night_starts = london(*night_before, 20, 0).astimezone(UTC)
    [night] = [s for s in slots if s.starts_at == night_starts]
    assert night.ends_at - night.starts_at == timedelta(hours=night_hours)
    day_shifts = [s for s in slots if s.starts_at.astimezone(LONDON).hour == 8]
    assert all(s.ends_at - s.starts_at == timedelta(hours=12) for s in day_shifts[:-1])


def test_weekly_rota_started_years_ago_names_the_right_member_cheaply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = datetime(2015, 1, 5, 9, 0)  # a Monday
    rota = rotation([ALICE, BEN, CHLOE, DEV], started, timedelta(weeks=1))
    conversions = 0
    real = schedule.local_to_utc

    def counting(wall: datetime) -> datetime:
        nonlocal conversions
        conversions += 1
        return real(wall)

    monkeypatch.setattr(schedule, "local_to_utc", counting)
    at = london(2026, 7, 15, 12, 0)  # a Wednesday in BST
    weeks = (at.date() - started.date()).days // 7

    assert on_call([rota], [], "primary", at) == [[ALICE, BEN, CHLOE, DEV][weeks % 4]]
    slots = coverage([rota], [], "primary", at, at + timedelta(weeks=3))
    assert [s.user_ids[0] for s in slots] == [[ALICE, BEN, CHLOE, DEV][(weeks + i) % 4] for i in range(4)]
    assert conversions < 100  # ~600 weeks have passed; no walking from the start


def test_hourly_rota_from_decades_ago_resolves_without_walking() -> None:
    rota = rotation([ALICE, BEN], datetime(1996, 3, 31, 0, 0), timedelta(hours=1))
    at = utc(2026, 6, 1, 10, 30)  # 11:30 BST
    hours_elapsed_on_the_wall = (datetime(2026, 6, 1, 11, 30) - datetime(1996, 3, 31)) // (timedelta(hours=1))
    assert on_call([rota], [], "primary", at) == [[ALICE, BEN][hours_elapsed_on_the_wall % 2]]


# --- overrides ------------------------------------------------------------------------------


def test_override_replaces_the_rotation_for_its_interval_only() -> None:
    rota = rotation([ALICE, BEN], datetime(2026, 6, 1, 9, 0), timedelta(weeks=1))
    cover = Override(DEV, "primary", utc(2026, 6, 3, 18, 0), utc(2026, 6, 3, 22, 0))

    assert on_call([rota], [cover], "primary", utc(2026, 6, 3, 17, 59)) == [ALICE]
    assert on_call([rota], [cover], "primary", utc(2026, 6, 3, 18, 0)) == [DEV]
    assert on_call([rota], [cover], "primary", utc(2026, 6, 3, 21, 59)) == [DEV]
    assert on_call([rota], [cover], "primary", utc(2026, 6, 3, 22, 0)) == [ALICE]

    slots = coverage([rota], [cover], "primary", utc(2026, 6, 3), utc(2026, 6, 4))
    assert [(s.starts_at, s.ends_at, s.user_ids, s.source) for s in slots] == [
        (utc(2026, 6, 3), utc(2026, 6, 3, 18), [ALICE], "rotation"),
        (utc(2026, 6, 3, 18), utc(2026, 6, 3, 22), [DEV], "override"),
        (utc(2026, 6, 3, 22), utc(2026, 6, 4), [ALICE], "rotation"),
    ]


def test_overlapping_overrides_put_everyone_on_call_in_the_order_given() -> None:
    rota = rotation([ALICE], datetime(2026, 6, 1, 9, 0), timedelta(days=1))
    first = Override(DEV, "primary", utc(2026, 6, 3, 18), utc(2026, 6, 3, 22))
    second = Override(ESME, "primary", utc(2026, 6, 3, 20), utc(2026, 6, 3, 23))
    again = Override(DEV, "primary", utc(2026, 6, 3, 20), utc(2026, 6, 3, 21))

    assert on_call([rota], [first, second, again], "primary", utc(2026, 6, 3, 20, 30)) == [
        DEV,
        ESME,
    ]
    slots = coverage([rota], [first, second, again], "primary", utc(2026, 6, 3), utc(2026, 6, 4))
    assert [(s.starts_at.hour, s.ends_at.hour, s.user_ids) for s in slots[1:-1]] == [
        (18, 20, [DEV]),
        (20, 22, [DEV, ESME]),
        (22, 23, [ESME]),
    ]


def test_override_at_the_other_level_changes_nothing_here() -> None:
    rota = rotation([ALICE, BEN], datetime(2026, 6, 1, 9, 0), timedelta(weeks=1))
    secondary_cover = Override(DEV, "secondary", utc(2026, 6, 3), utc(2026, 6, 4))

    assert on_call([rota], [secondary_cover], "primary", utc(2026, 6, 3, 12)) == [ALICE]
    assert on_call([rota], [secondary_cover], "secondary", utc(2026, 6, 3, 12)) == [DEV]
    assert on_call([rota], [], "secondary", utc(2026, 6, 3, 12)) == []


def test_override_fills_a_gap_in_the_rota() -> None:
    rota = rotation([ALICE], datetime(2026, 6, 1, 9, 0), timedelta(days=1), ends_local=datetime(2026, 6, 5))
    cover = Override(DEV, "primary", utc(2026, 6, 5, 12), utc(2026, 6, 6))
    slots = coverage([rota], [cover], "primary", utc(2026, 6, 4), utc(2026, 6, 6))
    assert [(s.source, s.user_ids) for s in slots] == [
        ("rotation", [ALICE]),
        ("none", []),
        ("override", [DEV]),
    ]
    assert slots[1].starts_at == london(2026, 6, 5).astimezone(UTC)
    assert slots[1].ends_at == utc(2026, 6, 5, 12)


# --- several rotations, gaps ----------------------------------------------------------------


def test_rotations_at_the_same_level_running_together_are_a_union() -> None:
    city = rotation([ALICE, BEN], datetime(2026, 6, 1, 17, 0), timedelta(days=1))
    county = rotation([CHLOE, BEN, ALICE], datetime(2026, 6, 1, 17, 0), timedelta(days=1))
    managers = rotation([DEV], datetime(2026, 6, 1, 17, 0), timedelta(days=1), "secondary")

    assert on_call([city, county, managers], [], "primary", utc(2026, 6, 1, 20)) == [
        ALICE,
        CHLOE,
    ]
    # Days two and three: the same person on both rotations is reported once.
    assert on_call([city, county], [], "primary", utc(2026, 6, 2, 20)) == [BEN]
    assert on_call([city, county], [], "primary", utc(2026, 6, 3, 20)) == [ALICE]
    slots = coverage([city, county, managers], [], "primary", utc(2026, 6, 2), utc(2026, 6, 5))
    assert [s.user_ids for s in slots] == [[ALICE, CHLOE], [BEN], [ALICE], [BEN, CHLOE]]
    assert [s.starts_at.astimezone(LONDON).hour for s in slots[1:]] == [17, 17, 17]


def test_gaps_before_after_and_between_rotations_are_reported_as_empty_slots() -> None:
    nights = rotation(
        [ALICE, BEN],
        datetime(2026, 6, 1, 17, 0),
        timedelta(hours=16),
        ends_local=datetime(2026, 6, 2, 9, 0),
    )
    next_night = rotation(
        [CHLOE],
        datetime(2026, 6, 2, 17, 0),
        timedelta(hours=16),
        ends_local=datetime(2026, 6, 3, 9),
    )
    start, end = london(2026, 6, 1, 12), london(2026, 6, 3, 12)

    slots = coverage([nights, next_night], [], "primary", start, end)

    assert_contiguous(slots, start, end)
    assert [(s.starts_at.astimezone(LONDON).hour, s.source, s.user_ids) for s in slots] == [
        (12, "none", []),
        (17, "rotation", [ALICE]),
        (9, "none", []),
        (17, "rotation", [CHLOE]),
        (9, "none", []),
    ]
    assert on_call([nights, next_night], [], "primary", london(2026, 6, 2, 12)) == []


def test_rotation_without_members_leaves_the_level_uncovered() -> None:
    empty = rotation([], datetime(2026, 6, 1, 9, 0), timedelta(days=1))
    slots = coverage([empty], [], "primary", utc(2026, 6, 2), utc(2026, 6, 3))
    assert [(s.starts_at, s.ends_at, s.user_ids, s.source) for s in slots] == [
        (utc(2026, 6, 2), utc(2026, 6, 3), [], "none")
    ]


def test_one_person_rota_is_one_slot_not_one_per_hand_off() -> None:
    solo = rotation([ALICE], datetime(2026, 6, 1, 9, 0), timedelta(days=1))
    slots = coverage([solo], [], "primary", utc(2026, 6, 2), utc(2026, 6, 9))
    assert len(slots) == 1 and slots[0].user_ids == [ALICE]


def test_coverage_of_an_empty_window_is_empty_and_answers_in_utc() -> None:
    rota = rotation([ALICE, BEN], datetime(2026, 6, 1, 9, 0), timedelta(days=1))
    at = datetime(2026, 6, 2, 12, tzinfo=timezone(timedelta(hours=5)))
    assert coverage([rota], [], "primary", at, at) == []
    slots = coverage([rota], [], "primary", at, at + timedelta(hours=1))
    assert slots[0].starts_at == utc(2026, 6, 2, 7) and slots[0].starts_at.tzinfo is UTC


# --- bad input ------------------------------------------------------------------------------


def test_naive_instants_are_rejected() -> None:
    rota = rotation([ALICE], datetime(2026, 6, 1, 9, 0), timedelta(days=1))
    naive = datetime(2026, 6, 2, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call([rota], [], "primary", naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage([rota], [], "primary", naive, utc(2026, 6, 3))
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage([rota], [], "primary", utc(2026, 6, 1), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Override(ALICE, "primary", naive, utc(2026, 6, 3))


def test_malformed_rotations_and_overrides_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        rotation([ALICE], london(2026, 6, 1, 9), timedelta(days=1))
    with pytest.raises(ValueError, match="at least"):
        rotation([ALICE], datetime(2026, 6, 1, 9), timedelta(minutes=30))
    with pytest.raises(ValueError, match="after start_local"):
        rotation([ALICE], datetime(2026, 6, 1, 9), timedelta(days=1), ends_local=datetime(2026, 6, 1))
    with pytest.raises(ValueError, match="level"):
        rotation([ALICE], datetime(2026, 6, 1, 9), timedelta(days=1), level="tertiary")
    with pytest.raises(ValueError, match="after starts_at"):
        Override(ALICE, "primary", utc(2026, 6, 3), utc(2026, 6, 3))
    with pytest.raises(ValueError, match="before start"):
        coverage([], [], "primary", utc(2026, 6, 3), utc(2026, 6, 2))
