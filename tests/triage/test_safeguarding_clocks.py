"""Corrected clocks and the bank-holiday table: pure tests, no database, no real clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.handover.clocks import (
    CHILD_ONLY_CLOCKS,
    S38_PERMITTED_GROUNDS,
    ClockFacts,
    ClockSpec,
    clocks_for,
    closure_problems,
    due_before_handover,
    next_handover,
    rhi_starts_at,
)
from api.rota.hours import is_bank_holiday

LONDON = ZoneInfo("Europe/London")
HOURS = timedelta(hours=1)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


NIGHT = london(2026, 6, 3, 1, 40)  # a Wednesday


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
    return {c.kind: c for c in clocks}


# --- Return home interview -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "changes", "starts"),
    [
        ("missing-return-not-held", {"kind": "missing_return", "custody_status": "released"}, NIGHT),
        ("missing-return-no-status", {"kind": "missing_return"}, NIGHT),
        (
            "found-then-held-in-custody",
            {"kind": "missing_return", "custody_status": "in_custody", "detained_at": NIGHT},
            None,
        ),
        (
            "found-then-released-at-10",
            {"kind": "missing_return", "custody_status": "in_custody", "released_at": NIGHT + 8 * HOURS},
            NIGHT + 8 * HOURS,
        ),
        (
            "return-home-event-wins",
            {
                "kind": "missing_return",
                "released_at": NIGHT + 8 * HOURS,
                "returned_home_at": NIGHT + 9 * HOURS,
            },
            NIGHT + 9 * HOURS,
        ),
        (
            "arrested-while-missing",
            {"kind": "arrest", "was_missing": True, "custody_status": "released"},
            NIGHT,
        ),
        (
            "arrested-while-missing-charged-refused-bail",
            {"kind": "arrest", "was_missing": True, "charged": True, "bail_refused": True},
            None,
        ),
        (
            "missing-in-police-protection",
            {"kind": "stop_conversation", "was_missing": True, "police_protection_started_at": NIGHT},
            None,
        ),
        ("arrest-never-missing", {"kind": "arrest", "custody_status": "released"}, None),
        ("care-leaver-adult", {"kind": "missing_return", "adult": True}, None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_rhi_counts_from_the_return_home_never_from_found_while_held(name, changes, starts):
    f = facts(**changes)
    assert rhi_starts_at(f) == starts
    rhi = by_kind(clocks_for(f)).get("rhi_72h")
    if starts is None:
        assert rhi is None
    else:
        assert rhi is not None and rhi.starts_at == starts and rhi.due_at == starts + 72 * HOURS
        assert "carried out" in rhi.label and "offered" not in rhi.label


# --- Police protection, s38(6), adults --------------------------------------------------------


def test_police_protection_tracks_the_local_authority_the_strategy_discussion_and_s47():
    began = NIGHT
    reported = NIGHT + 40 * timedelta(minutes=1)
    clocks = by_kind(
        clocks_for(facts(police_protection_started_at=began, now=reported, reported_at=reported))
    )
    assert clocks["police_protection_72h"].due_at == began + 72 * HOURS
    informed = clocks["s46_la_informed"]
    assert informed.due_at == began and informed.met_at == reported  # the report informs the LA
    assert clocks["s46_strategy_discussion"].due_at == began + 24 * HOURS
    assert clocks["s47_outcome"].due_at == began + 72 * HOURS
    assert "s47" in clocks["s47_outcome"].source


def test_child_only_clocks_never_start_for_an_adult_care_leaver():
    everything = dict(
        kind="missing_return",
        police_protection_started_at=NIGHT,
        charged=True,
        bail_refused=True,
        released_at=NIGHT + HOURS,
        missing_episodes_30d=3,
        sexual_assault=True,
    )
    child = {c.kind for c in clocks_for(facts(**everything))}
    adult = {c.kind for c in clocks_for(facts(**everything, adult=True))}
    assert CHILD_ONLY_CLOCKS <= child
    assert not (CHILD_ONLY_CLOCKS & adult)
    assert {"handover", "repeat_missing_review", "pepse", "sarc_referral", "emergency_contraception"} <= adult


# --- Health offers after a disclosed sexual assault -------------------------------------------


def test_health_offers_count_from_the_assault_when_known():
    assault = NIGHT - 20 * HOURS
    clocks = by_kind(clocks_for(facts(sexual_assault=True, assault_at=assault)))
    assert clocks["pepse"].due_at == assault + 72 * HOURS
    assert clocks["emergency_contraception"].due_at == assault + 72 * HOURS
    assert clocks["sarc_referral"].due_at == assault + 7 * 24 * HOURS
    assert all(clocks[k].starts_at == assault for k in ("pepse", "emergency_contraception", "sarc_referral"))
    assert "FSRH" in clocks["emergency_contraception"].source
    assert "BASHH" in clocks["pepse"].source


def test_health_offers_count_from_the_report_when_the_assault_time_is_unknown():
    reported = NIGHT + 30 * timedelta(minutes=1)
    clocks = by_kind(clocks_for(facts(sexual_assault=True, now=reported, reported_at=reported)))
    assert clocks["pepse"].starts_at == reported


def test_after_72_hours_only_ulipristal_and_the_sarc_remain():
    clocks = by_kind(clocks_for(facts(sexual_assault=True, assault_at=NIGHT - 90 * HOURS)))
    assert "pepse" not in clocks
    ec = clocks["emergency_contraception"]
    assert ec.due_at == NIGHT - 90 * HOURS + 120 * HOURS and "72 h passed" in ec.label
    assert "sarc_referral" in clocks
    gone = by_kind(clocks_for(facts(sexual_assault=True, assault_at=NIGHT - 8 * 24 * HOURS)))
    assert not {"pepse", "emergency_contraception", "sarc_referral"} & set(gone)


def test_no_health_offers_without_a_disclosed_sexual_assault():
    assert not {"pepse", "emergency_contraception", "sarc_referral"} & set(by_kind(clocks_for(facts())))


# --- Closing clocks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "problems"),
    [
        ("rhi_72h", {"outcome": "completed", "by": "RHI service", "independent": True}, []),
        ("rhi_72h", {"outcome": "completed", "by": "Foster carer", "independent": False}, []),
        ("rhi_72h", {"outcome": "declined"}, []),
        (
            "rhi_72h",
            {"outcome": "return_home_conversation"},
            [("outcome", "a return home conversation does not meet the return home interview")],
        ),
        ("rhi_72h", {"outcome": None}, [("outcome", "required: one of completed, declined")]),
        (
            "rhi_72h",
            {"outcome": "completed"},
            [
                ("by", "required: who carried out the return home interview"),
                ("independent", "required: whether they are independent of the child's care"),
            ],
        ),
        ("bail_refused_transfer", {"outcome": "transferred"}, []),
        ("bail_refused_transfer", {"outcome": "secure_accommodation_requested"}, []),
        *[
            ("bail_refused_transfer", {"outcome": "certified_impracticable", "ground": g}, [])
            for g in S38_PERMITTED_GROUNDS
        ],
        (
            "bail_refused_transfer",
            {"outcome": "certified_impracticable", "ground": "no_accommodation_available"},
            [
                (
                    "ground",
                    "lack of accommodation never makes a transfer impracticable "
                    "(PACE Code C note 16D; Concordat on Children in Custody 2017)",
                )
            ],
        ),
        (
            "bail_refused_transfer",
            {"outcome": "certified_impracticable"},
            [
                (
                    "ground",
                    "required: one of extreme_weather, court_appearance_imminent, "
                    "transfer_physically_impossible",
                )
            ],
        ),
        (
            "bail_refused_transfer",
            {"outcome": None},
            [
                (
                    "outcome",
                    "required: one of transferred, secure_accommodation_requested, certified_impracticable",
                )
            ],
        ),
        (
            "bail_refused_transfer",
            {"outcome": "kept_in_cells"},
            [
                (
                    "outcome",
                    "must be one of transferred, secure_accommodation_requested, certified_impracticable",
                )
            ],
        ),
        ("s47_outcome", {"outcome": "initial_child_protection_conference"}, []),
        (
            "s47_outcome",
            {"outcome": None},
            [
                (
                    "outcome",
                    "required: one of not_substantiated, child_in_need_plan, "
                    "initial_child_protection_conference, emergency_protection_order_sought, "
                    "enquiries_continue_with_safety_plan",
                )
            ],
        ),
        ("pepse", {"outcome": None}, []),
        ("pepse", {"outcome": "transferred"}, [("outcome", "this clock takes no outcome")]),
    ],
)
def test_clocks_close_only_with_a_permitted_outcome(kind, fields, problems):
    assert closure_problems(kind, **fields) == problems


# --- No clock falls due before someone can act: the bank-holiday table ------------------------

# (name, facts, the next handover, the clocks that must page the on-call manager)
BANK_HOLIDAYS = [
    (
        # Maundy Thursday 2 April 2026, 20:00: Good Friday and Easter Monday are bank holidays.
        "maundy-thursday-missing-return",
        facts("missing_return", occurred_at=london(2026, 4, 2, 20, 0), now=london(2026, 4, 2, 20, 30)),
        london(2026, 4, 7, 9, 0),
        [("rhi_72h", london(2026, 4, 5, 20, 0))],
    ),
    (
        "maundy-thursday-police-protection",
        facts(
            "stop_conversation",
            occurred_at=london(2026, 4, 2, 20, 0),
            police_protection_started_at=london(2026, 4, 2, 20, 0),
            now=london(2026, 4, 2, 20, 30),
        ),
        london(2026, 4, 7, 9, 0),
        [
            ("s46_strategy_discussion", london(2026, 4, 3, 20, 0)),
            ("police_protection_72h", london(2026, 4, 5, 20, 0)),
            ("s47_outcome", london(2026, 4, 5, 20, 0)),
        ],
    ),
    (
        # Friday 28 August 2026 before the late summer bank holiday (Monday 31 August).
        "friday-before-august-bank-holiday",
        facts(
            "stop_conversation",
            occurred_at=london(2026, 8, 28, 22, 30),
            police_protection_started_at=london(2026, 8, 28, 22, 30),
            now=london(2026, 8, 28, 23, 0),
        ),
        london(2026, 9, 1, 9, 0),
        [
            ("s46_strategy_discussion", london(2026, 8, 29, 22, 30)),
            ("police_protection_72h", london(2026, 8, 31, 22, 30)),
            ("s47_outcome", london(2026, 8, 31, 22, 30)),
        ],
    ),
    (
        # Christmas Eve, Thursday 24 December 2026, 20:00: Christmas Day, Boxing Day (a
        # Saturday) and its substitute Monday 28 December: the day team is back on Tuesday.
        "christmas-eve-missing-return",
        facts("missing_return", occurred_at=london(2026, 12, 24, 20, 0), now=london(2026, 12, 24, 20, 15)),
        london(2026, 12, 29, 9, 0),
        [("rhi_72h", london(2026, 12, 27, 20, 0))],
    ),
    (
        "christmas-night-charged-refused-bail",
        facts(
            "arrest",
            occurred_at=london(2026, 12, 25, 23, 0),
            charged=True,
            bail_refused=True,
            charged_at=london(2026, 12, 26, 2, 0),
            now=london(2026, 12, 26, 2, 10),
        ),
        london(2026, 12, 29, 9, 0),
        [("bail_refused_transfer", london(2026, 12, 26, 2, 0))],
    ),
    (
        # Counterpart: an ordinary Tuesday night; the RHI is due after Wednesday's handover.
        "ordinary-tuesday-missing-return",
        facts("missing_return", occurred_at=london(2026, 6, 2, 20, 0), now=london(2026, 6, 2, 20, 30)),
        london(2026, 6, 3, 9, 0),
        [],
    ),
    (
        # The repeat-missing review is due at the handover, not before: it never pages.
        "ordinary-night-repeat-missing",
        facts(
            "missing_return",
            occurred_at=london(2026, 6, 2, 20, 0),
            now=london(2026, 6, 2, 20, 30),
            missing_episodes_30d=4,
        ),
        london(2026, 6, 3, 9, 0),
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "clock_facts", "handover", "paged"), BANK_HOLIDAYS, ids=[b[0] for b in BANK_HOLIDAYS]
)
def test_clocks_due_before_the_next_handover_over_bank_holidays(name, clock_facts, handover, paged):
    assert next_handover(clock_facts.now) == handover
    due = due_before_handover(clocks_for(clock_facts), handover)
    assert [(c.kind, c.due_at) for c in due] == paged
    assert all(c.kind != "handover" and c.met_at is None for c in due)


def test_the_holidays_in_the_table_are_real_england_bank_holidays():
    from datetime import date

    for day in (
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),
    ):
        assert is_bank_holiday(day), day
    assert not is_bank_holiday(date(2026, 4, 2))  # Maundy Thursday is a working day


def test_a_clock_met_when_it_starts_never_pages():
    began = london(2026, 8, 28, 22, 30)
    clocks = clocks_for(facts(police_protection_started_at=began, now=began))
    informed = by_kind(clocks)["s46_la_informed"]
    assert informed.due_at < next_handover(began) and informed.met_at is not None
    assert "s46_la_informed" not in {c.kind for c in due_before_handover(clocks, next_handover(began))}
