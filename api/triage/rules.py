"""Triage: which area, which teams, which priority, and why.

Pure rules: no database, no HTTP, no clock. The caller gathers the facts (indicators, age band,
whether the age is known, custody and legal status, areas, the active teams) into a
``TriageCase``; ``triage`` answers with a ``TriageOutcome`` whose reasons are short sentences
built only from codes, catalogue labels, team slugs, area names and age bands, never from
anything typed about the child.

Who is a child (domain reference): an unknown age is treated as a child (the presumption in
Modern Slavery Act 2015 s51); people aged 18-25 appear only as care leavers (``age_problems``),
and clocks that only a child can start never start for them (``is_adult``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.triage.catalogue import PROVENANCES, Catalogue, load_catalogue

SPECIALIST_CATEGORIES = ("cse", "cce")  # also the order of teams and reasons
GENERAL = "general"

P1, P2, P3 = "P1", "P2", "P3"

CHILD_AGE_LIMIT = 13  # under this age is always P1
MANY_INDICATORS = 3  # this many distinct indicators make at least P2
ADULT_AGE = 18
CARE_LEAVER_MAX_AGE = 25

HELD_AGAINST_WILL = "HRM-HELD-AGAINST-WILL"
DISCLOSED_ASSAULT = "HRM-DISCLOSED-ASSAULT"  # catalogue v1 and v2 (v3: HRM-ASSAULT-DISCLOSED)
DRUGS_CONCEALED = "ITM-DRUGS-CONCEALED"  # catalogue v2
SEXUAL_ASSAULT = "HRM-SEXUAL-ASSAULT"  # catalogue v2
ASSAULT_DISCLOSED = "HRM-ASSAULT-DISCLOSED"  # catalogue v3
DISCLOSURES = (DISCLOSED_ASSAULT, ASSAULT_DISCLOSED)  # a disclosure whatever the provenance sent
HARM_GROUP = "harm"

# Legal status of the young person (intake's ``young_person.legal_status``).
LOOKED_AFTER = "looked_after"
CARE_LEAVER = "care_leaver"

MEDICAL_EMERGENCY_PROMPT = "Medical emergency: hospital (drugs concealed internally)"

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
    # The child's situation. ``age_known`` is False when ``age_years`` is only an apparent age
    # (or None); ``custody_status`` is intake's status; ``police_protection`` and
    # ``charged_bail_refused`` are also true when police gave the facts without that status.
    age_known: bool = True
    legal_status: str = "unknown"
    custody_status: str | None = None
    police_protection: bool = False
    charged_bail_refused: bool = False
    was_missing: bool = False


@dataclass(frozen=True)
class TriageOutcome:
    """The triage answer. ``teams`` is empty only when ``needs_manager_review`` is set."""

    area: str | None
    categories: list[str]
    teams: list[TeamRef]
    priority: str
    reasons: list[str]
    needs_manager_review: bool
    # Things to do at once, shown to whoever is paged (e.g. the hospital for concealed drugs).
    prompts: list[str] = field(default_factory=list)

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
            "prompts": list(self.prompts),
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
    general team. A harm indicator that routes by its context (catalogue v3: an assault, a
    retraction, being held, a sexual assault) goes with the other indicators: an assault with
    drugs in quantity is CCE work, not CSE; a sexual assault is CSE work and, with them, CCE.
    A specialist team the area lacks falls back to the area's general team.
    Several active teams of one specialism in an area are all paged (ordered by slug) rather
    than guessing between them. When a wanted team cannot be found at all (no area, or no
    specialist and no general team), ``needs_manager_review`` is set so that the incident is
    flagged for managers, never dropped; teams found for the other category are still kept.

    Priority: P1 (never low) when the child is under 13 (or looks under 13 when the age is not
    known), has a learning disability, is in police protection, was charged and refused bail,
    is a looked-after child returning from missing, has drugs concealed internally (with the
    prompt "Medical emergency: hospital"), or any ``harm`` group indicator is present whatever
    its provenance (``HRM-DISCLOSED-ASSAULT``, ``HRM-HELD-AGAINST-WILL`` included). Otherwise P2
    when any CSE or CCE indicator, or 3 or more distinct indicators, are present; otherwise P3.
    A child whose age is not known is treated as a child (Modern Slavery Act 2015 s51) who may
    be under 13: with any indicator never P3.

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
        *_context_reasons(indicators, catalogue, categories),
        *routing_reasons,
        *_situation_reasons(case),
        *priority_reasons,
    ]
    return TriageOutcome(
        area=area,
        categories=categories,
        teams=teams,
        priority=priority,
        reasons=reasons,
        needs_manager_review=needs_review,
        prompts=_prompts(indicators),
    )


def is_adult(age_years: int | None, age_known: bool) -> bool:
    """Known to be 18 or over. An unknown or only apparent age is a child's (MSA 2015 s51)."""
    return age_known and age_years is not None and age_years >= ADULT_AGE


def age_problems(age_years: int | None, age_known: bool, legal_status: str) -> list[tuple[str, str]]:
    """Why intake must refuse this person, as ``(field, message)`` pairs; empty when accepted.

    Children are always accepted; an unknown age is a child's. People known to be 18 to 25
    are accepted only as care leavers; nobody known to be older than 25.
    """
    if not is_adult(age_years, age_known):
        return []
    assert age_years is not None  # is_adult guarantees it
    if age_years > CARE_LEAVER_MAX_AGE:
        return [("young_person.date_of_birth", f"older than {CARE_LEAVER_MAX_AGE}")]
    if legal_status != CARE_LEAVER:
        return [
            ("young_person.date_of_birth", "18 or over: only care leavers aged 18 to 25 are accepted"),
            ("young_person.legal_status", "must be care_leaver for someone aged 18 to 25"),
        ]
    return []


def _age_unknown(case: TriageCase) -> bool:
    return not case.age_known or case.age_years is None


def _situation_reasons(case: TriageCase) -> list[str]:
    reasons = []
    if _age_unknown(case):
        reasons.append("Age not known: treated as a child (Modern Slavery Act 2015 s51)")
    elif is_adult(case.age_years, case.age_known):
        reasons.append("Care leaver aged 18 to 25: no child-only clocks")
    return reasons


def _prompts(indicators: Sequence[ObservedIndicator]) -> list[str]:
    if any(i.code == DRUGS_CONCEALED for i in indicators):
        return [MEDICAL_EMERGENCY_PROMPT]
    return []


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
                f"No {wanted} in {area_name}: routed to the {_TEAM_NAMES[GENERAL]} ({_slugs(teams)})"
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


def _context_reasons(
    indicators: Sequence[ObservedIndicator], catalogue: Catalogue, categories: Sequence[str]
) -> list[str]:
    reasons = []
    for indicator in indicators:
        entry = catalogue.get(indicator.code)
        if entry is None or not entry.routes_by_context:
            continue
        extra = [c for c in categories if c in SPECIALIST_CATEGORIES and c != indicator.category]
        if extra:
            names = " and ".join(_CATEGORY_NAMES[c] for c in extra)
            reasons.append(f"Routed by its context: {entry.code} goes with the {names} indicators")
    return list(dict.fromkeys(reasons))


def _is_harm(indicator: ObservedIndicator, catalogue: Catalogue) -> bool:
    if indicator.code in (*DISCLOSURES, HELD_AGAINST_WILL, SEXUAL_ASSAULT):
        return True
    entry = catalogue.get(indicator.code)
    return entry is not None and entry.group == HARM_GROUP


def _harm_reason(indicator: ObservedIndicator, catalogue: Catalogue) -> str:
    described = _describe(indicator, catalogue)
    if indicator.code == HELD_AGAINST_WILL:
        return f"P1: {described}"
    if indicator.provenance == "disclosed" or indicator.code in DISCLOSURES:
        return f"P1: discloses harm, {described}"
    return f"P1: harm indicator, whatever its provenance: {described}"


def _never_low(case: TriageCase, indicators: Sequence[ObservedIndicator], catalogue: Catalogue) -> list[str]:
    """The P1 reasons, in a fixed order; empty when none applies."""
    p1: list[str] = []
    if case.age_years is not None and case.age_years < CHILD_AGE_LIMIT:
        p1.append("P1: under 13" if case.age_known else "P1: looks under 13 (age not known)")
    if case.learning_disability:
        p1.append("P1: learning disability")
    if case.police_protection or case.custody_status == "police_protection":
        p1.append("P1: in police protection (Children Act 1989 s46)")
    if case.charged_bail_refused or case.custody_status == "charged_refused_bail":
        p1.append("P1: charged and refused bail (PACE s38(6))")
    if case.legal_status == LOOKED_AFTER and (case.was_missing or case.kind == "missing_return"):
        p1.append("P1: looked-after child returning from missing")
    if any(i.code == DRUGS_CONCEALED for i in indicators):
        p1.append("P1: drugs concealed internally: a medical emergency")
    p1.extend(_harm_reason(i, catalogue) for i in indicators if _is_harm(i, catalogue))
    return list(dict.fromkeys(p1))


def _priority(
    case: TriageCase, indicators: Sequence[ObservedIndicator], catalogue: Catalogue
) -> tuple[str, list[str]]:
    p1 = _never_low(case, indicators, catalogue)
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

    # The never-low rules, kept as their own guard so that they survive any change to the P1
    # triggers above (which today already make an under-13 or disabled child P1). A child of
    # unknown age may be under 13.
    if not p2 and indicators:
        under_13 = case.age_years is not None and case.age_years < CHILD_AGE_LIMIT
        if under_13 or case.learning_disability:
            band = "under 13" if under_13 else "learning disability"
            p2.append(f"P2: {band} with an indicator is never rated low")
        elif _age_unknown(case):
            p2.append("P2: age not known (may be under 13) with an indicator is never rated low")
    if p2:
        return P2, p2

    if indicators:
        return P3, [f"P3: no CSE or CCE indicator and fewer than {MANY_INDICATORS} indicators"]
    return P3, ["P3: no indicators"]
