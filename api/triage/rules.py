"""Triage: which area, which teams, which priority, and why.

Pure rules: no database, no HTTP, no clock. The caller gathers the facts (indicators, age band,
areas, the active teams) into a ``TriageCase``; ``triage`` answers with a ``TriageOutcome``
whose reasons are short sentences built only from codes, catalogue labels, team slugs, area
names and age bands, never from anything typed about the child.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.triage.catalogue import PROVENANCES, Catalogue, load_catalogue

SPECIALIST_CATEGORIES = ("cse", "cce")  # also the order of teams and reasons
GENERAL = "general"

P1, P2, P3 = "P1", "P2", "P3"

CHILD_AGE_LIMIT = 13  # under this age is always P1
MANY_INDICATORS = 3  # this many distinct indicators make at least P2

HELD_AGAINST_WILL = "HRM-HELD-AGAINST-WILL"
DISCLOSED_ASSAULT = "HRM-DISCLOSED-ASSAULT"
HARM_GROUP = "harm"

_CATEGORY_NAMES = {"cse": "CSE", "cce": "CCE", "general": "General"}
_TEAM_NAMES = {"cse": "CSE team", "cce": "CCE team", "general": "general out-of-hours team"}
_AREA_SOURCES = (
    ("location_area", "the location"),
    ("responsible_area", "the responsible local authority"),
    ("station_area", "the police station"),
)


@dataclass(frozen=True)
class TeamRef:
    """An active team: ``specialism`` is cse, cce or general; ``area`` is an area slug."""

    id: uuid.UUID
    slug: str
    specialism: str
    area: str


@dataclass(frozen=True)
class ObservedIndicator:
    """An indicator recorded on an incident, with its category and provenance."""

    code: str
    category: str
    provenance: str


@dataclass(frozen=True)
class TriageCase:
    """The facts triage needs. ``teams`` is every active team in the system."""

    kind: str
    indicators: list[ObservedIndicator]
    age_years: int | None
    learning_disability: bool
    location_area: str | None
    responsible_area: str | None
    station_area: str | None
    teams: list[TeamRef]


@dataclass(frozen=True)
class TriageOutcome:
    """The triage answer. ``teams`` is empty only when ``needs_manager_review`` is set."""

    area: str | None
    categories: list[str]
    teams: list[TeamRef]
    priority: str
    reasons: list[str]
    needs_manager_review: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, team ids as strings, for storing on the incident."""
        return {
            "area": self.area,
            "categories": list(self.categories),
            "teams": [
                {"id": str(t.id), "slug": t.slug, "specialism": t.specialism, "area": t.area}
                for t in self.teams
            ],
            "priority": self.priority,
            "reasons": list(self.reasons),
            "needs_manager_review": self.needs_manager_review,
        }


def triage(
    case: TriageCase,
    *,
    area_names: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> TriageOutcome:
    """Decide the area, the teams to page and the priority of an incident, with reasons.

    Area: the location's area, else the young person's responsible local authority, else the
    police station's area.

    Teams: any ``cse`` indicator calls for the area's CSE team, any ``cce`` indicator for its
    CCE team (both when both); only ``general`` indicators, or none, call for the area's
    general team. A specialist team the area lacks falls back to the area's general team.
    Several active teams of one specialism in an area are all paged (ordered by slug) rather
    than guessing between them. When a wanted team cannot be found at all (no area, or no
    specialist and no general team), ``needs_manager_review`` is set so that the incident is
    flagged for managers, never dropped; teams found for the other category are still kept.

    Priority: P1 when the child is under 13, has a learning disability, discloses harm (a
    ``harm`` group indicator with provenance ``disclosed``, or ``HRM-DISCLOSED-ASSAULT`` with
    any provenance), or ``HRM-HELD-AGAINST-WILL`` is present. Otherwise P2 when any CSE or CCE
    indicator, or 3 or more distinct indicators, are present; otherwise P3. A child under 13 or
    with a learning disability is never P3 when any indicator is present.

    ``area_names`` maps area slugs to display names for the reasons (the slug is used when a
    name is missing); ``catalogue`` defaults to the shipped catalogue and supplies labels and
    groups. Codes are assumed valid (validation happens at intake); an unknown code still
    counts by its given category but is never quoted in a reason.
    """
    catalogue = catalogue or load_catalogue()
    names = area_names or {}
    indicators = _unique(case.indicators)

    area, area_reasons = _resolve_area(case, names)
    categories = _categories(indicators)
    teams, routing_reasons, needs_review = _route(area, categories, case.teams, names)
    priority, priority_reasons = _priority(case, indicators, catalogue)

    reasons = [
        *area_reasons,
        *_indicator_reasons(indicators, catalogue),
        *routing_reasons,
        *priority_reasons,
    ]
    return TriageOutcome(
        area=area,
        categories=categories,
        teams=teams,
        priority=priority,
        reasons=reasons,
        needs_manager_review=needs_review,
    )


def _unique(indicators: Sequence[ObservedIndicator]) -> list[ObservedIndicator]:
    # An indicator sent twice with the same provenance is one observation, not two.
    return list(dict.fromkeys(indicators))


def _area_name(area: str, names: Mapping[str, str]) -> str:
    return names.get(area, area)


def _resolve_area(case: TriageCase, names: Mapping[str, str]) -> tuple[str | None, list[str]]:
    for attribute, source in _AREA_SOURCES:
        area = getattr(case, attribute)
        if area:
            return area, [f"Area {_area_name(area, names)} from {source}"]
    return None, ["No area from the location, the responsible local authority or the station"]


def _categories(indicators: Sequence[ObservedIndicator]) -> list[str]:
    present = {i.category for i in indicators}
    specialist = [c for c in SPECIALIST_CATEGORIES if c in present]
    return specialist or [GENERAL]


def _teams_of(teams: Sequence[TeamRef], area: str, specialism: str) -> list[TeamRef]:
    return sorted(
        (t for t in teams if t.area == area and t.specialism == specialism),
        key=lambda t: (t.slug, str(t.id)),
    )


def _slugs(teams: Sequence[TeamRef]) -> str:
    return ", ".join(t.slug for t in teams)


def _route(
    area: str | None,
    categories: Sequence[str],
    all_teams: Sequence[TeamRef],
    names: Mapping[str, str],
) -> tuple[list[TeamRef], list[str], bool]:
    if area is None:
        return [], ["No team can be chosen without an area: flagged for manager review"], True

    area_name = _area_name(area, names)
    general_teams = _teams_of(all_teams, area, GENERAL)
    chosen: dict[uuid.UUID, TeamRef] = {}  # keeps order, pages a fallback team only once
    reasons: list[str] = []
    needs_review = False

    for category in categories:
        wanted = _TEAM_NAMES[category]
        teams = _teams_of(all_teams, area, category)
        if teams:
            reasons.append(f"Routed to the {area_name} {wanted} ({_slugs(teams)})")
        elif category != GENERAL and general_teams:
            teams = general_teams
            reasons.append(
                f"No {wanted} in {area_name}: routed to the {_TEAM_NAMES[GENERAL]} "
                f"({_slugs(teams)})"
            )
        else:
            needs_review = True
            missing = wanted if category == GENERAL else f"{wanted} and no {_TEAM_NAMES[GENERAL]}"
            reasons.append(f"No {missing} in {area_name}: flagged for manager review")
        for team in teams:
            chosen.setdefault(team.id, team)

    return list(chosen.values()), reasons, needs_review


def _describe(indicator: ObservedIndicator, catalogue: Catalogue) -> str:
    # Only catalogue text reaches a reason: an unknown code could carry anything.
    entry = catalogue.get(indicator.code)
    provenance = indicator.provenance if indicator.provenance in PROVENANCES else None
    if entry is None:
        return "an indicator not in the catalogue" + (f" ({provenance})" if provenance else "")
    detail = f"{entry.code}, {provenance}" if provenance else entry.code
    return f"{entry.label} ({detail})"


def _indicator_reasons(indicators: Sequence[ObservedIndicator], catalogue: Catalogue) -> list[str]:
    reasons = []
    for category in (*SPECIALIST_CATEGORIES, GENERAL):
        for indicator in indicators:
            # Anything not cse/cce is reported as general, as it routes like general.
            shown = indicator.category if indicator.category in SPECIALIST_CATEGORIES else GENERAL
            if shown == category:
                reasons.append(f"{_CATEGORY_NAMES[category]}: {_describe(indicator, catalogue)}")
    return reasons


def _discloses_harm(indicator: ObservedIndicator, catalogue: Catalogue) -> bool:
    if indicator.code == DISCLOSED_ASSAULT:
        return True
    entry = catalogue.get(indicator.code)
    return entry is not None and entry.group == HARM_GROUP and indicator.provenance == "disclosed"


def _priority(
    case: TriageCase, indicators: Sequence[ObservedIndicator], catalogue: Catalogue
) -> tuple[str, list[str]]:
    under_13 = case.age_years is not None and case.age_years < CHILD_AGE_LIMIT

    p1: list[str] = []
    if under_13:
        p1.append("P1: under 13")
    if case.learning_disability:
        p1.append("P1: learning disability")
    for indicator in indicators:
        if _discloses_harm(indicator, catalogue):
            p1.append(f"P1: discloses harm, {_describe(indicator, catalogue)}")
    for indicator in indicators:
        if indicator.code == HELD_AGAINST_WILL:
            p1.append(f"P1: {_describe(indicator, catalogue)}")
    if p1:
        return P1, p1

    specialist = sorted(
        {i.category for i in indicators if i.category in SPECIALIST_CATEGORIES},
        key=SPECIALIST_CATEGORIES.index,
    )
    distinct = len({i.code for i in indicators})
    p2: list[str] = []
    if specialist:
        p2.append(f"P2: {' and '.join(_CATEGORY_NAMES[c] for c in specialist)} indicators")
    if distinct >= MANY_INDICATORS:
        p2.append(f"P2: {distinct} indicators")

    # The never-low rule, kept as its own guard so that it survives any change to the P1
    # triggers above (which today already make such a child P1).
    if not p2 and indicators and (under_13 or case.learning_disability):
        band = "under 13" if under_13 else "learning disability"
        p2.append(f"P2: {band} with an indicator is never rated low")
    if p2:
        return P2, p2

    if indicators:
        return P3, [f"P3: no CSE or CCE indicator and fewer than {MANY_INDICATORS} indicators"]
    return P3, ["P3: no indicators"]
