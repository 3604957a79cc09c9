"""Clocks an incident starts: statutory and local time limits, and when to warn about them.

Pure rules (domain reference, "Clocks the incident starts"): the caller gathers the facts into
``ClockFacts``, including ``now``; nothing here reads a clock. Statutory limits are elapsed time
(72 h is 72 real hours even across a clock change); the day-team limits are London wall time
through ``api.rota.hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from api.rota.hours import handover_due
from api.rota.schedule import require_aware

IncidentKind = Literal["missing_return", "arrest", "stop_conversation"]
ClockKind = Literal[
    "rhi_72h",
    "police_protection_72h",
    "pace_review",
    "bail_refused_transfer",
    "strategy_meeting",
    "handover",
]
ClockAlert = Literal["approaching", "overdue"]

INCIDENT_KINDS: frozenset[str] = frozenset({"missing_return", "arrest", "stop_conversation"})

RHI_WITHIN = timedelta(hours=72)
POLICE_PROTECTION_LIMIT = timedelta(hours=72)  # s46(6): cannot be extended
PACE_FIRST_REVIEW = timedelta(hours=6)
PACE_REVIEW_INTERVAL = timedelta(hours=9)
# Local practice, not statute: s38(6) says "as soon as practicable" and the real limit is the
# next court appearance, which we do not know at intake; 24 h keeps the transfer in front of
# the day team until someone records it as done or certified impracticable.
BAIL_REFUSED_TRANSFER_WITHIN = timedelta(hours=24)
REPEAT_MISSING_THRESHOLD = 3  # episodes in 30 days, this one included (local practice)
APPROACHING_FRACTION = (4, 5)  # warn at 80% of the way from start to due

_LABELS: dict[str, str] = {
    "rhi_72h": "Return home interview offered",
    "police_protection_72h": "Police protection ends",
    "pace_review": "PACE detention review",
    "bail_refused_transfer": "Charged child refused bail: move to local authority accommodation",
    "strategy_meeting": "Repeat missing: strategy meeting",
    "handover": "Handover to day team",
}
_SOURCES: dict[str, str] = {
    "rhi_72h": "DfE statutory guidance 2014",
    "police_protection_72h": "Children Act 1989 s46",
    "pace_review": "PACE Code C",
    "bail_refused_transfer": "PACE s38(6); 24 h is local practice",
    "strategy_meeting": "LSCP procedures (local practice)",
    "handover": "EDT protocols (local practice)",
}


@dataclass(frozen=True)
class ClockFacts:
    """What the clocks depend on. Datetimes must be aware; they are normalised to UTC.

    ``missing_episodes_30d`` counts missing episodes in the last 30 days including this one.
    """

    kind: IncidentKind
    occurred_at: datetime
    police_protection_started_at: datetime | None
    detained_at: datetime | None
    charged: bool
    bail_refused: bool
    missing_episodes_30d: int
    now: datetime

    def __post_init__(self) -> None:
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"kind must be one of {sorted(INCIDENT_KINDS)}, got {self.kind!r}")
        if self.missing_episodes_30d < 0:
            raise ValueError("missing_episodes_30d must not be negative")
        for name in ("occurred_at", "now", "police_protection_started_at", "detained_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_aware(name, value))


@dataclass(frozen=True)
class ClockSpec:
    """One clock: runs from ``starts_at`` and must be met by ``due_at`` (both UTC)."""

    kind: ClockKind
    label: str
    starts_at: datetime
    due_at: datetime
    source: str


def _spec(kind: ClockKind, starts_at: datetime, due_at: datetime) -> ClockSpec:
    return ClockSpec(kind, _LABELS[kind], starts_at, due_at, _SOURCES[kind])


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


def clocks_for(facts: ClockFacts) -> list[ClockSpec]:
    """Every clock the facts start, ordered by due time (then kind)."""
    occurred = facts.occurred_at
    clocks = [_spec("handover", occurred, handover_due(occurred))]
    if facts.kind == "missing_return":
        clocks.append(_spec("rhi_72h", occurred, occurred + RHI_WITHIN))
    if facts.police_protection_started_at is not None:
        began = facts.police_protection_started_at
        clocks.append(_spec("police_protection_72h", began, began + POLICE_PROTECTION_LIMIT))
    if facts.detained_at is not None:
        period_starts, due = next_pace_review(facts.detained_at, facts.now)
        clocks.append(_spec("pace_review", period_starts, due))
    if facts.charged and facts.bail_refused:
        clocks.append(
            _spec("bail_refused_transfer", occurred, occurred + BAIL_REFUSED_TRANSFER_WITHIN)
        )
    # The count is the caller's fact and includes this incident, whatever its kind (a child
    # arrested while reported missing is still a missing episode).
    if facts.missing_episodes_30d >= REPEAT_MISSING_THRESHOLD:
        clocks.append(_spec("strategy_meeting", occurred, handover_due(occurred)))
    return sorted(clocks, key=lambda c: (c.due_at, c.kind))


def clock_alert(
    spec: ClockSpec, now: datetime, has_owner: bool, *, met: bool = False
) -> ClockAlert | None:
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
