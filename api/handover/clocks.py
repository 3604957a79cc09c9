"""Clocks an incident starts: statutory and local time limits, and when to warn about them.

Pure rules (domain reference, "Clocks the incident starts"): the caller gathers the facts into
``ClockFacts``, including ``now``; nothing here reads a clock. Statutory limits are elapsed time
(72 h is 72 real hours even across a clock change); the day-team limits are London wall time
through ``api.rota.hours``.

- Return home interview: within 72 h of the child's return home or to their placement (the
  return-home event when known, else the release or return), for any incident in which the
  child had been missing; never while the child is still held (a child found and then kept in
  custody returns later). Closed only as completed (by whom, independent of the child's care
  or not) or declined by the child; a "return home conversation" never meets it.
- Police protection (s46): ends 72 h after it began; the local authority informed; a strategy
  discussion; the s47 outcome, recorded from a fixed list.
- Charged and refused bail (PACE s38(6)): an immediate action, closed only with an outcome
  from a fixed list; "no accommodation available" is never a ground (Code C note 16D).
- PACE reviews and the 24 h detention limit are police duties: ``custody_information`` shows
  them to the worker, counted from ``detained_at``; they are never day-team clocks.
- A disclosed sexual assault starts the time-limited health offers (emergency contraception,
  PEPSE, a SARC referral), counted from the assault when its time is known, else the report.
- Child-only clocks (RHI, s46, s38(6)) never start for an adult (a care leaver of 18 to 25).
- ``due_before_handover``: the clocks that fall due before the day team can act.
- A strategy meeting about a place sets a review date: ``strategy_review_clock`` runs to the end
  of that day (London); the meeting row keeps it (api.places.strategy), not the clocks table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from api.rota.hours import handover_due, one_working_day_after
from api.rota.schedule import LONDON, require_aware

IncidentKind = Literal["missing_return", "arrest", "stop_conversation"]
ClockKind = Literal[
    "handover",
    "rhi_72h",
    "police_protection_72h",
    "s46_la_informed",
    "s46_strategy_discussion",
    "s47_outcome",
    "bail_refused_transfer",
    "repeat_missing_review",
    "emergency_contraception",
    "pepse",
    "sarc_referral",
    "pace_review",  # rows from before these rules only: never started any more
    "referral_decision",
    "strategy_review",
    "hub_decision",
]
ClockAlert = Literal["approaching", "overdue"]

INCIDENT_KINDS: frozenset[str] = frozenset({"missing_return", "arrest", "stop_conversation"})
# Statuses in which police still hold the child: no return home yet.
HELD_STATUSES: frozenset[str] = frozenset({"in_custody", "charged_refused_bail", "police_protection"})
CHILD_ONLY_CLOCKS: frozenset[str] = frozenset(
    {
        "rhi_72h",
        "police_protection_72h",
        "s46_la_informed",
        "s46_strategy_discussion",
        "s47_outcome",
        "bail_refused_transfer",
    }
)

RHI_WITHIN = timedelta(hours=72)
POLICE_PROTECTION_LIMIT = timedelta(hours=72)  # s46(6): cannot be extended
# No statute gives the strategy discussion an hour count; local practice here is 24 h, and
# never later than the end of police protection (the decision it informs is needed by then).
STRATEGY_DISCUSSION_WITHIN = timedelta(hours=24)
IMMEDIATE = timedelta(0)  # s38(6) transfer; the local authority told of police protection
PACE_FIRST_REVIEW = timedelta(hours=6)
PACE_REVIEW_INTERVAL = timedelta(hours=9)
PACE_DETENTION_LIMIT = timedelta(hours=24)  # PACE s41, before any superintendent extension
# Health windows, from the assault (BASHH/BHIVA PEP guideline 2021; FSRH emergency
# contraception guideline 2017, amended 2023; FFLM forensic time frames).
PEPSE_WITHIN = timedelta(hours=72)
EC_LEVONORGESTREL_WITHIN = timedelta(hours=72)
EC_ULIPRISTAL_WITHIN = timedelta(hours=120)  # also the copper IUD
SARC_FORENSIC_WINDOW = timedelta(days=7)
REPEAT_MISSING_THRESHOLD = 3  # episodes in 30 days, this one included (local practice)
APPROACHING_FRACTION = (4, 5)  # warn at 80% of the way from start to due

_LABELS: dict[str, str] = {
    "handover": "Handover to day team",
    "rhi_72h": "Return home interview carried out (independent of the child's care)",
    "police_protection_72h": "Police protection ends",
    "s46_la_informed": "Police protection: local authority informed",
    "s46_strategy_discussion": "Police protection: strategy discussion held",
    "s47_outcome": "Police protection: s47 enquiry outcome recorded",
    "bail_refused_transfer": "Charged child refused bail: transfer to local authority accommodation now",
    "repeat_missing_review": "Repeat missing: local review (not the statutory strategy discussion)",
    "emergency_contraception": "Emergency contraception offered (levonorgestrel within 72 h; "
    "ulipristal or copper IUD within 120 h)",
    "emergency_contraception_late": "Emergency contraception offered (72 h passed: ulipristal or "
    "copper IUD within 120 h)",
    "pepse": "HIV post-exposure prophylaxis (PEPSE) offered within 72 h",
    "sarc_referral": "Sexual assault referral centre (SARC) referral within the forensic window",
    "pace_review": "PACE detention review",
    "referral_decision": "Front door decision on the referral (within one working day)",
    "strategy_review": "Strategy meeting about a place: review held by the agreed date",
    "hub_decision": "Hub meeting decision carried out",
}
_SOURCES: dict[str, str] = {
    "handover": "EDT protocols (local practice)",
    "rhi_72h": "DfE statutory guidance on children who run away or go missing 2014",
    "police_protection_72h": "Children Act 1989 s46(6)",
    "s46_la_informed": "Children Act 1989 s46(3)",
    "s46_strategy_discussion": "Working Together 2023; 24 h is local practice",
    "s47_outcome": "Children Act 1989 s47; Working Together 2023",
    "bail_refused_transfer": "PACE s38(6); Code C note 16D; Concordat on Children in Custody 2017",
    "repeat_missing_review": "LSCP procedures (local practice)",
    "emergency_contraception": "FSRH emergency contraception guideline (2017, amended 2023)",
    "pepse": "BASHH/BHIVA UK guideline for HIV post-exposure prophylaxis 2021",
    "sarc_referral": "FFLM forensic time frames (up to 7 days; shorter for some samples)",
    "pace_review": "PACE Code C",
    "referral_decision": "Working Together to Safeguard Children 2023: a decision within one working day",
    "strategy_review": "The strategy meeting's agreed review date (local practice)",
    "hub_decision": "Weekly hub meeting (local practice): the owner and due date the meeting set",
}

# --- How a clock may be closed --------------------------------------------------------------

RHI_OUTCOMES = ("completed", "declined")
RHI_STEPS = ("offered", "accepted", *RHI_OUTCOMES)
S38_OUTCOMES = ("transferred", "secure_accommodation_requested", "certified_impracticable")
# "Impracticable" means circumstances that make the transfer physically impossible (Code C
# note 16D; the 2017 Concordat): these are the grounds a certificate may give.
S38_PERMITTED_GROUNDS = ("extreme_weather", "court_appearance_imminent", "transfer_physically_impossible")
S38_REFUSED_GROUNDS: dict[str, str] = {
    "no_accommodation_available": "lack of accommodation never makes a transfer impracticable "
    "(PACE Code C note 16D; Concordat on Children in Custody 2017)",
    "no_secure_accommodation": "lack of secure accommodation never makes a transfer impracticable "
    "(PACE Code C note 16D)",
    "child_behaviour": "the child's behaviour is not a ground (PACE Code C note 16D)",
    "nature_of_offence": "the nature of the offence is not a ground (PACE Code C note 16D)",
}
S47_OUTCOMES = (
    "not_substantiated",
    "child_in_need_plan",
    "initial_child_protection_conference",
    "emergency_protection_order_sought",
    "enquiries_continue_with_safety_plan",
)
# Clocks met only by recording something elsewhere (POST /clocks/{id}/met refuses them).
MET_ELSEWHERE: dict[str, str] = {
    "referral_decision": "met when the receiving team's decision is recorded on the referral "
    "(POST /api/v1/referrals/{id}/decision)",
}
OUTCOMES: dict[str, tuple[str, ...]] = {
    "rhi_72h": RHI_OUTCOMES,
    "bail_refused_transfer": S38_OUTCOMES,
    "s47_outcome": S47_OUTCOMES,
}


@dataclass(frozen=True)
class ClockFacts:
    """What the clocks depend on. Datetimes must be aware; they are normalised to UTC.

    ``missing_episodes_30d`` counts missing episodes in the last 30 days including this one.
    ``was_missing``: the child had been missing (a ``missing_return`` implies it).
    ``custody_status``: intake's status; a held child has no return home yet.
    ``returned_home_at`` / ``released_at``: when the child went home or to their placement, and
    when police let them go; the return home interview counts from the first known of these.
    ``adult``: known to be 18 or over (a care leaver); child-only clocks never start.
    ``sexual_assault``: a sexual assault is disclosed; ``assault_at`` when it happened, if known.
    ``reported_at``: when police told us (defaults to ``now``).
    """

    kind: IncidentKind
    occurred_at: datetime
    police_protection_started_at: datetime | None
    detained_at: datetime | None
    charged: bool
    bail_refused: bool
    missing_episodes_30d: int
    now: datetime
    was_missing: bool = False
    custody_status: str | None = None
    returned_home_at: datetime | None = None
    released_at: datetime | None = None
    charged_at: datetime | None = None
    adult: bool = False
    sexual_assault: bool = False
    assault_at: datetime | None = None
    reported_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"kind must be one of {sorted(INCIDENT_KINDS)}, got {self.kind!r}")
        if self.missing_episodes_30d < 0:
            raise ValueError("missing_episodes_30d must not be negative")
        for name in (
            "occurred_at",
            "now",
            "police_protection_started_at",
            "detained_at",
            "returned_home_at",
            "released_at",
            "charged_at",
            "assault_at",
            "reported_at",
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_aware(name, value))
        if self.reported_at is None:
            object.__setattr__(self, "reported_at", self.now)

    @property
    def missing(self) -> bool:
        return self.was_missing or self.kind == "missing_return"


@dataclass(frozen=True)
class ClockSpec:
    """One clock: runs from ``starts_at`` and must be met by ``due_at`` (both UTC).

    ``met_at`` / ``met_note``: already met when it starts (the local authority is informed of
    police protection by the very report that records it).
    """

    kind: ClockKind
    label: str
    starts_at: datetime
    due_at: datetime
    source: str
    met_at: datetime | None = None
    met_note: str | None = None


def _spec(kind: ClockKind, starts_at: datetime, due_at: datetime, *, label: str | None = None) -> ClockSpec:
    return ClockSpec(kind, _LABELS[label or kind], starts_at, due_at, _SOURCES[kind])


def pace_review_times(detained_at: datetime, until: datetime) -> list[datetime]:
    """PACE review times for a detention, up to and including ``until``, in UTC.

    The first review is 6 h after detention, then every 9 h (elapsed time).
    """
    detained_at = require_aware("detained_at", detained_at)
    until = require_aware("until", until)
    times: list[datetime] = []
    review = detained_at + PACE_FIRST_REVIEW
    while review <= until:
        times.append(review)
        review += PACE_REVIEW_INTERVAL
    return times


def next_pace_review(detained_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The next PACE review due at or after ``now``, as ``(period_starts_at, due_at)``.

    ``period_starts_at`` is the detention (before the first review) or the previous review,
    so an alert can measure how far through the current period ``now`` is.
    """
    detained_at = require_aware("detained_at", detained_at)
    now = require_aware("now", now)
    first = detained_at + PACE_FIRST_REVIEW
    if now <= first:
        return detained_at, first
    # Ceiling division on timedeltas: reviews already passed strictly before now.
    periods = -(-(now - first) // PACE_REVIEW_INTERVAL)
    due = first + periods * PACE_REVIEW_INTERVAL
    return due - PACE_REVIEW_INTERVAL, due


def custody_information(
    custody_status: str | None, detained_at: datetime | None, now: datetime
) -> dict[str, Any] | None:
    """PACE times shown to the worker for information (police duties, not day-team clocks).

    Counted from ``detained_at`` only: never guessed from the incident's time. None when the
    child is not detained; when police said "in custody" without the time detention was
    authorised, the answer asks for it.
    """
    now = require_aware("now", now)
    if detained_at is None:
        if custody_status in {"in_custody", "charged_refused_bail"}:
            return {
                "detained_at": None,
                "ask_police": "The time detention was authorised (PACE reviews and the 24-hour "
                "limit count from it)",
                "source": "PACE Code C; s40, s41 (police duties, for information)",
            }
        return None
    detained_at = require_aware("detained_at", detained_at)
    _, next_review = next_pace_review(detained_at, now)
    return {
        "detained_at": detained_at.isoformat(),
        "first_review_at": (detained_at + PACE_FIRST_REVIEW).isoformat(),
        "next_review_at": next_review.isoformat(),
        "detention_limit_at": (detained_at + PACE_DETENTION_LIMIT).isoformat(),
        "source": "PACE Code C; s40, s41 (police duties, for information)",
    }


def rhi_starts_at(facts: ClockFacts) -> datetime | None:
    """When the return home interview's 72 h start, or None when there is no return yet.

    The return-home event when known; otherwise the release; otherwise, for a child police
    no longer hold, the incident's time (found and taken home). A child still held (custody,
    charged and refused bail, police protection) has not returned: no clock until they do.
    """
    if not facts.missing or facts.adult:
        return None
    if facts.returned_home_at is not None:
        return facts.returned_home_at
    if facts.released_at is not None:
        return facts.released_at
    if facts.custody_status in HELD_STATUSES or facts.police_protection_started_at is not None:
        return None
    if facts.charged and facts.bail_refused:
        return None
    return facts.occurred_at


def _police_protection(facts: ClockFacts) -> list[ClockSpec]:
    began = facts.police_protection_started_at
    if began is None:
        return []
    ends = began + POLICE_PROTECTION_LIMIT
    informed = _spec("s46_la_informed", began, began + IMMEDIATE)
    reported = facts.reported_at or facts.now
    return [
        _spec("police_protection_72h", began, ends),
        # The police report in Lantern reaches the local authority's out-of-hours service: the
        # s46(3) duty is met by it, and the gap since police protection began stays visible.
        ClockSpec(
            informed.kind,
            informed.label,
            informed.starts_at,
            informed.due_at,
            informed.source,
            met_at=max(reported, began),
            met_note="Informed by the police report in Lantern",
        ),
        _spec("s46_strategy_discussion", began, min(began + STRATEGY_DISCUSSION_WITHIN, ends)),
        _spec("s47_outcome", began, ends),
    ]


def _health_offers(facts: ClockFacts) -> list[ClockSpec]:
    """Time-limited offers after a disclosed sexual assault; windows already closed are left out."""
    if not facts.sexual_assault:
        return []
    start = facts.assault_at or facts.reported_at or facts.now
    now = facts.now
    clocks: list[ClockSpec] = []
    if now <= start + EC_LEVONORGESTREL_WITHIN:
        clocks.append(_spec("emergency_contraception", start, start + EC_LEVONORGESTREL_WITHIN))
    elif now <= start + EC_ULIPRISTAL_WITHIN:
        clocks.append(
            _spec(
                "emergency_contraception",
                start,
                start + EC_ULIPRISTAL_WITHIN,
                label="emergency_contraception_late",
            )
        )
    if now <= start + PEPSE_WITHIN:
        clocks.append(_spec("pepse", start, start + PEPSE_WITHIN))
    if now <= start + SARC_FORENSIC_WINDOW:
        clocks.append(_spec("sarc_referral", start, start + SARC_FORENSIC_WINDOW))
    return clocks


def clocks_for(facts: ClockFacts) -> list[ClockSpec]:
    """Every clock the facts start, ordered by due time (then kind)."""
    occurred = facts.occurred_at
    clocks = [_spec("handover", occurred, handover_due(occurred))]
    rhi_start = rhi_starts_at(facts)
    if rhi_start is not None:
        clocks.append(_spec("rhi_72h", rhi_start, rhi_start + RHI_WITHIN))
    if not facts.adult:
        clocks.extend(_police_protection(facts))
        if facts.charged and facts.bail_refused:
            charged = facts.charged_at or facts.reported_at or facts.now
            clocks.append(_spec("bail_refused_transfer", charged, charged + IMMEDIATE))
    # The count is the caller's fact and includes this incident when the child had been missing,
    # whatever its kind (a child arrested while reported missing is still a missing episode).
    if facts.missing_episodes_30d >= REPEAT_MISSING_THRESHOLD:
        clocks.append(_spec("repeat_missing_review", occurred, handover_due(occurred)))
    clocks.extend(_health_offers(facts))
    return sorted(clocks, key=lambda c: (c.due_at, c.kind))


def referral_clock(referred_at: datetime) -> ClockSpec:
    """The front door's decision on a referral: one working day from the referral (counted
    from when the office receives it: ``api.rota.hours.one_working_day_after``)."""
    referred_at = require_aware("referred_at", referred_at)
    return _spec("referral_decision", referred_at, one_working_day_after(referred_at))


def strategy_review_clock(recorded_at: datetime, review_on: date) -> ClockSpec:
    """A place's strategy meeting review: from when the meeting is recorded to the end of the
    agreed review date (midnight London after it; a wall-clock date, so summer time counts)."""
    recorded_at = require_aware("recorded_at", recorded_at)
    next_day = review_on + timedelta(days=1)
    due = datetime(next_day.year, next_day.month, next_day.day, tzinfo=LONDON).astimezone(UTC)
    return _spec("strategy_review", recorded_at, due)


def hub_decision_clock(decided_at: datetime, due_at: datetime, label: str) -> ClockSpec:
    """A decision of the weekly hub meeting: its owner carries it out by the date the meeting
    set (``due_at``: 17:00 London on that date, chosen by the caller)."""
    decided_at = require_aware("decided_at", decided_at)
    due_at = require_aware("due_at", due_at)
    return ClockSpec("hub_decision", label, decided_at, due_at, _SOURCES["hub_decision"])


def due_before_handover(clocks: Sequence[ClockSpec], next_handover: datetime) -> list[ClockSpec]:
    """The open clocks that fall due strictly before ``next_handover``, soonest first.

    Nobody on the day team can act on these in time: the on-call manager must. The handover
    clock itself and clocks already met are left out.
    """
    next_handover = require_aware("next_handover", next_handover)
    due = [
        c
        for c in clocks
        if c.kind != "handover" and c.met_at is None and require_aware("due_at", c.due_at) < next_handover
    ]
    return sorted(due, key=lambda c: (c.due_at, c.kind))


def next_handover(now: datetime) -> datetime:
    """The next time a day team takes over (09:00 London, next working day; bank holidays known)."""
    return handover_due(now)


def closure_problems(
    kind: str,
    *,
    outcome: str | None,
    ground: str | None = None,
    by: str | None = None,
    independent: bool | None = None,
) -> list[tuple[str, str]]:
    """Why a clock may not be closed this way, as ``(field, message)`` pairs; empty when it may.

    The return home interview closes only as ``completed`` (naming who did it and whether they
    are independent of the child's care) or ``declined`` by the child; the s38(6) action only
    with an outcome from ``S38_OUTCOMES`` (a certificate of impracticability with a permitted
    ground); the s47 outcome from ``S47_OUTCOMES``. Other clocks take no outcome.
    """
    if kind in MET_ELSEWHERE:
        return [("clock_id", MET_ELSEWHERE[kind])]
    allowed = OUTCOMES.get(kind)
    problems: list[tuple[str, str]] = []
    if allowed is None:
        if outcome is not None:
            problems.append(("outcome", "this clock takes no outcome"))
        if ground is not None:
            problems.append(("ground", "only a certificate of impracticability takes a ground"))
        return problems
    if outcome is None:
        return [("outcome", f"required: one of {', '.join(allowed)}")]
    if kind == "rhi_72h" and outcome in {"return_home_conversation", "offered", "accepted"}:
        message = (
            "a return home conversation does not meet the return home interview"
            if outcome == "return_home_conversation"
            else f"'{outcome}' is a step, not an outcome: the interview is met when completed or declined"
        )
        return [("outcome", message)]
    if outcome not in allowed:
        return [("outcome", f"must be one of {', '.join(allowed)}")]
    if kind == "rhi_72h" and outcome == "completed":
        if not by:
            problems.append(("by", "required: who carried out the return home interview"))
        if independent is None:
            problems.append(("independent", "required: whether they are independent of the child's care"))
    if kind == "bail_refused_transfer":
        if outcome == "certified_impracticable":
            if ground is None:
                problems.append(("ground", f"required: one of {', '.join(S38_PERMITTED_GROUNDS)}"))
            elif ground in S38_REFUSED_GROUNDS:
                problems.append(("ground", S38_REFUSED_GROUNDS[ground]))
            elif ground not in S38_PERMITTED_GROUNDS:
                problems.append(("ground", f"must be one of {', '.join(S38_PERMITTED_GROUNDS)}"))
        elif ground is not None:
            problems.append(("ground", "only a certificate of impracticability takes a ground"))
    elif ground is not None:
        problems.append(("ground", "only a certificate of impracticability takes a ground"))
    return problems


def clock_alert(spec: ClockSpec, now: datetime, has_owner: bool, *, met: bool = False) -> ClockAlert | None:
    """Whether an open clock needs attention at ``now``.

    ``overdue`` once ``now`` is past ``due_at`` and the clock is not met, owner or not;
    ``approaching`` when at least 80% of the way from ``starts_at`` to ``due_at`` and nobody
    owns it; otherwise None. A met clock never alerts.
    """
    now = require_aware("now", now)
    if met:
        return None
    if now > spec.due_at:
        return "overdue"
    if has_owner:
        return None
    numerator, denominator = APPROACHING_FRACTION
    # Integer timedelta arithmetic: exact at the 80% boundary, and a zero-length clock is
    # approaching as soon as it starts.
    if (now - spec.starts_at) * denominator >= (spec.due_at - spec.starts_at) * numerator:
        return "approaching"
    return None
