"""Clocks an incident starts, and when they warn (no database, no real clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.handover.clocks import (
    ClockFacts,
    ClockSpec,
    clock_alert,
    clocks_for,
    custody_information,
    pace_review_times,
)

LONDON = ZoneInfo("Europe/London")
HOURS = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


# Wednesday 3 June 2026, 01:40 BST: the night in the design document.
NIGHT = london(2026, 6, 3, 1, 40)


def facts(kind: str = "arrest", **changes: object) -> ClockFacts:
    plain = ClockFacts(
        kind=kind,
        occurred_at=NIGHT,
        police_protection_started_at=None,
        detained_at=None,
        charged=False,
        bail_refused=False,
        missing_episodes_30d=0,
        now=NIGHT,
    )
    return replace(plain, **changes)


def by_kind(clocks: list[ClockSpec]) -> dict[str, ClockSpec]:
    kinds = [c.kind for c in clocks]
    assert len(kinds) == len(set(kinds)), kinds
    return {c.kind: c for c in clocks}


# --- which clocks start ---------------------------------------------------------------------


def test_a_stop_conversation_only_starts_the_handover_clock() -> None:
    clocks = clocks_for(facts("stop_conversation"))
    assert [c.kind for c in clocks] == ["handover"]
    [handover] = clocks
    assert handover.starts_at == NIGHT
    assert handover.due_at == london(2026, 6, 3, 9, 0)  # 01:40 Wednesday -> 09:00 Wednesday
    assert handover.source and handover.label


def test_handover_after_a_friday_night_arrest_is_due_monday_morning() -> None:
    friday_night = london(2026, 6, 5, 22, 15)
    [handover] = clocks_for(facts(occurred_at=friday_night, now=friday_night))
    assert handover.due_at == london(2026, 6, 8, 9, 0)


def test_missing_return_offers_a_return_home_interview_within_72_hours() -> None:
    rhi = by_kind(clocks_for(facts("missing_return")))["rhi_72h"]
    assert rhi.starts_at == NIGHT
    assert rhi.due_at - rhi.starts_at == 72 * HOURS
    assert rhi.due_at == london(2026, 6, 6, 1, 40)


def test_seventy_two_hours_are_elapsed_hours_across_the_clock_change() -> None:
    # Friday 22:00 GMT before the clocks go forward: 72 real hours later is 23:00 BST Monday.
    occurred = london(2026, 3, 27, 22, 0)
    rhi = by_kind(clocks_for(facts("missing_return", occurred_at=occurred, now=occurred)))["rhi_72h"]
    assert rhi.due_at == utc(2026, 3, 30, 22, 0)
    assert rhi.due_at.astimezone(LONDON).hour == 23


def test_arrest_does_not_start_a_return_home_interview_clock() -> None:
    assert "rhi_72h" not in by_kind(clocks_for(facts("arrest")))


def test_police_protection_ends_72_hours_after_it_began() -> None:
    began = NIGHT + 20 * timedelta(minutes=1)
    clocks = by_kind(clocks_for(facts(police_protection_started_at=began)))
    protection = clocks["police_protection_72h"]
    assert protection.starts_at == began
    assert protection.due_at == utc(2026, 6, 6, 1, 0)  # 02:00 BST Saturday
    assert "Children Act 1989" in protection.source


def test_charged_child_refused_bail_starts_the_transfer_as_an_immediate_action() -> None:
    charged = NIGHT + 2 * HOURS
    clocks = by_kind(
        clocks_for(facts(detained_at=NIGHT, charged=True, bail_refused=True, charged_at=charged))
    )
    transfer = clocks["bail_refused_transfer"]
    assert transfer.starts_at == charged  # raised at charge, not at the arrest
    assert transfer.due_at == charged  # an immediate action, not a 24-hour clock
    assert "s38(6)" in transfer.source and "16D" in transfer.source
    # Without the time of charge, from when police told us.
    reported = NIGHT + 3 * HOURS
    clocks = by_kind(clocks_for(facts(charged=True, bail_refused=True, now=reported, reported_at=reported)))
    assert clocks["bail_refused_transfer"].starts_at == reported


@pytest.mark.parametrize(("charged", "bail_refused"), [(True, False), (False, True)])
def test_no_transfer_clock_without_both_charge_and_refusal(charged: bool, bail_refused: bool) -> None:
    clocks = clocks_for(facts(detained_at=NIGHT, charged=charged, bail_refused=bail_refused))
    assert "bail_refused_transfer" not in by_kind(clocks)


@pytest.mark.parametrize(("episodes", "flagged"), [(1, False), (2, False), (3, True), (7, True)])
def test_third_missing_episode_in_30_days_flags_a_repeat_missing_review(episodes: int, flagged: bool) -> None:
    saturday = london(2026, 6, 6, 3, 0)
    clocks = by_kind(
        clocks_for(facts("missing_return", occurred_at=saturday, now=saturday, missing_episodes_30d=episodes))
    )
    assert ("repeat_missing_review" in clocks) is flagged
    assert "strategy_meeting" not in clocks  # not to be mistaken for the statutory discussion
    if flagged:
        review = clocks["repeat_missing_review"]
        assert review.due_at == london(2026, 6, 8, 9, 0)  # Monday 09:00
        assert review.starts_at == saturday
        assert "not the statutory strategy discussion" in review.label


def test_clocks_come_back_in_due_order() -> None:
    clocks = clocks_for(
        facts(
            "missing_return",
            police_protection_started_at=NIGHT,
            detained_at=NIGHT,
            charged=True,
            bail_refused=True,
            missing_episodes_30d=3,
            returned_home_at=NIGHT + 5 * HOURS,
        )
    )
    assert {c.kind for c in clocks} == {
        "handover",
        "rhi_72h",
        "police_protection_72h",
        "s46_la_informed",
        "s46_strategy_discussion",
        "s47_outcome",
        "bail_refused_transfer",
        "repeat_missing_review",
    }
    dues = [c.due_at for c in clocks]
    assert dues == sorted(dues)
    assert all(c.due_at.tzinfo is UTC and c.starts_at.tzinfo is UTC for c in clocks)


# --- PACE reviews ---------------------------------------------------------------------------


def test_pace_reviews_are_six_hours_after_detention_then_every_nine() -> None:
    detained = utc(2026, 6, 3, 1, 0)
    times = pace_review_times(detained, detained + 40 * HOURS)
    assert [(t - detained) / HOURS for t in times] == [6, 15, 24, 33]
    assert pace_review_times(detained, detained + 5 * HOURS) == []
    assert pace_review_times(detained, detained + 6 * HOURS) == [detained + 6 * HOURS]


@pytest.mark.parametrize(
    ("hours_since_detention", "due_after"),
    [(0, 6), (2, 6), (6, 6), (6.01, 15), (14.5, 15), (15, 15), (19, 24), (50, 51)],
)
def test_pace_times_are_information_counted_from_detention_never_clocks(
    hours_since_detention: float, due_after: int
) -> None:
    detained = utc(2026, 6, 3, 1, 0)
    now = detained + hours_since_detention * HOURS
    assert "pace_review" not in by_kind(clocks_for(facts(detained_at=detained, now=now)))
    shown = custody_information("in_custody", detained, now)
    assert shown is not None
    assert shown["first_review_at"] == (detained + 6 * HOURS).isoformat()
    assert shown["next_review_at"] == (detained + due_after * HOURS).isoformat()
    assert shown["detention_limit_at"] == (detained + 24 * HOURS).isoformat()
    assert "information" in shown["source"]


def test_pace_times_are_never_guessed_from_the_incident_time() -> None:
    asked = custody_information("in_custody", None, NIGHT)
    assert asked is not None and asked["detained_at"] is None and "ask_police" in asked
    assert "next_review_at" not in asked
    assert custody_information("released", None, NIGHT) is None


def test_pace_reviews_count_real_hours_over_the_clock_change() -> None:
    detained = london(2026, 10, 24, 22, 0)  # Saturday 22:00 BST
    times = pace_review_times(detained, detained + 16 * HOURS)
    # 6 real hours later is 03:00 GMT, not 04:00: the repeated hour is counted once.
    assert [t.astimezone(LONDON).hour for t in times] == [3, 12]


# --- alerts ---------------------------------------------------------------------------------


def spec(starts_at: datetime, due_at: datetime) -> ClockSpec:
    return ClockSpec("rhi_72h", "Return home interview offered", starts_at, due_at, "test")


@pytest.mark.parametrize(
    ("hours_in", "has_owner", "expected"),
    [
        (0, False, None),
        (57.5, False, None),  # 79.9% of 72 h
        (57.6, False, "approaching"),  # exactly 80%
        (57.6, True, None),  # someone owns it: no nagging before it is due
        (72, False, "approaching"),  # due now, not yet overdue
        (72, True, None),
        (72.01, False, "overdue"),
        (72.01, True, "overdue"),  # an owner does not stop an overdue alert
        (200, True, "overdue"),
    ],
)
def test_alerts_at_80_percent_unowned_and_after_due_for_anyone(
    hours_in: float, has_owner: bool, expected: str | None
) -> None:
    starts = utc(2026, 6, 3, 0, 40)
    clock = spec(starts, starts + 72 * HOURS)
    assert clock_alert(clock, starts + hours_in * HOURS, has_owner) == expected


def test_a_met_clock_never_alerts() -> None:
    starts = utc(2026, 6, 3, 0, 40)
    clock = spec(starts, starts + 72 * HOURS)
    assert clock_alert(clock, starts + 100 * HOURS, False, met=True) is None
    assert clock_alert(clock, starts + 60 * HOURS, False, met=True) is None


def test_alerts_for_a_real_clock_from_the_night() -> None:
    [handover] = clocks_for(facts("stop_conversation"))  # 01:40 -> 09:00, 7 h 20 min
    span = handover.due_at - handover.starts_at
    assert clock_alert(handover, handover.starts_at + span * 0.79, has_owner=False) is None
    assert clock_alert(handover, london(2026, 6, 3, 7, 33), has_owner=False) == "approaching"
    assert clock_alert(handover, london(2026, 6, 3, 9, 1), has_owner=True) == "overdue"


def test_zero_length_clock_is_approaching_from_its_start() -> None:
    at = utc(2026, 6, 3, 12)
    assert clock_alert(spec(at, at), at, False) == "approaching"
    assert clock_alert(spec(at, at), at + timedelta(seconds=1), False) == "overdue"


# --- bad input ------------------------------------------------------------------------------


def test_naive_times_and_unknown_kinds_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        facts(occurred_at=datetime(2026, 6, 3, 1, 40))
    with pytest.raises(ValueError, match="timezone-aware"):
        facts(detained_at=datetime(2026, 6, 3, 1, 40))
    with pytest.raises(ValueError, match="kind"):
        facts("burglary")
    with pytest.raises(ValueError, match="negative"):
        facts(missing_episodes_30d=-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock_alert(spec(NIGHT, NIGHT + HOURS), datetime(2026, 6, 3, 3, 0), False)
    with pytest.raises(ValueError, match="timezone-aware"):
        pace_review_times(datetime(2026, 6, 3, 1, 0), NIGHT)
