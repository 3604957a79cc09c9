"""The indicator catalogue: what police can record about a young person, and what it means.

The catalogue ships as versioned data (``indicators_v1.json`` ... ``indicators_v3.json``) so
that an administrator can extend it; a code never changes meaning once issued, so a new meaning
needs a new code, and a retired code is never reused. A version keeps every code of the one
before unless it *deprecates* it (v3 deprecates six codes of v2, see ``deprecated``): a
deprecated code names the code that replaces it, when one has the same meaning in better words,
or none when its meaning was mixed. The newest version is the one intake uses; each stored
indicator row records the version it was read against, so older incidents keep their labels.
Codes of older versions are still accepted at intake until the date the newest version gives
for them (``accepted_until``; api/triage/transition.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

PROVENANCES = ("observed", "disclosed", "intelligence", "concern")
CATEGORIES = ("cse", "cce", "general")

CATALOGUE_VERSIONS = (1, 2, 3)
LATEST_VERSION = CATALOGUE_VERSIONS[-1]
CATALOGUE_RESOURCE = f"indicators_v{LATEST_VERSION}.json"


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry. ``category`` decides triage; ``group`` is for display and harm rules."""

    code: str
    label: str
    category: str
    group: str
    # A harm indicator that goes to the teams its context calls for: with CCE indicators it is
    # CCE work, with CSE indicators CSE work (an assault by people supplying drugs is CCE).
    routes_by_context: bool = False


@dataclass(frozen=True)
class Deprecation:
    """A code of an earlier version that this version retires (never reused)."""

    code: str
    replaced_by: str | None  # None: the old meaning was mixed, nothing replaces it one for one
    why: str


@dataclass(frozen=True)
class IndicatorGroup:
    """A display group of indicators (movement, items, ...), with its label."""

    code: str
    label: str


@dataclass(frozen=True)
class Catalogue:
    """A version of the indicator catalogue, in its published order."""

    version: int
    indicators: tuple[Indicator, ...]
    groups: tuple[IndicatorGroup, ...] = ()
    deprecated: tuple[Deprecation, ...] = ()
    # Until when intake still accepts the codes of an earlier version (version -> last day).
    accepted_until: dict[int, date] = field(default_factory=dict, compare=False)
    _by_code: dict[str, Indicator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen, so the lookup index is set through object.__setattr__ once.
        object.__setattr__(self, "_by_code", {i.code: i for i in self.indicators})

    def deprecation(self, code: str) -> Deprecation | None:
        """Why this version retired ``code``, or None when it did not."""
        for entry in self.deprecated:
            if entry.code == code:
                return entry
        return None

    def get(self, code: str) -> Indicator | None:
        """The indicator with this code, or None when the catalogue does not know it."""
        return self._by_code.get(code)

    def require(self, code: str) -> Indicator:
        """The indicator with this code, for a code already validated against this catalogue.

        Raises KeyError when the catalogue does not know it.
        """
        return self._by_code[code]

    def label_of(self, code: str) -> str:
        """The display label of an indicator; the code itself when the catalogue does not know it."""
        entry = self._by_code.get(code)
        return entry.label if entry else code

    def all(self) -> tuple[Indicator, ...]:
        """Every indicator, in catalogue order."""
        return self.indicators

    def codes(self) -> tuple[str, ...]:
        """Every code, in catalogue order."""
        return tuple(i.code for i in self.indicators)

    def group_label(self, group: str) -> str:
        """The display label of a group; the group code itself when it has no label."""
        for g in self.groups:
            if g.code == group:
                return g.label
        return group


def parse_catalogue(document: dict[str, Any]) -> Catalogue:
    """Build a Catalogue from its JSON document, refusing anything inconsistent.

    Raises ValueError on a duplicate code, an unknown category, or an indicator whose group
    is not declared (when groups are declared).
    """
    groups = tuple(IndicatorGroup(code=g["code"], label=g["label"]) for g in document.get("groups", []))
    group_codes = {g.code for g in groups}
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for entry in document["indicators"]:
        indicator = Indicator(
            code=entry["code"],
            label=entry["label"],
            category=entry["category"],
            group=entry["group"],
            routes_by_context=bool(entry.get("routes_by_context", False)),
        )
        if indicator.code in seen:
            raise ValueError(f"duplicate indicator code {indicator.code}")
        if indicator.category not in CATEGORIES:
            raise ValueError(f"indicator {indicator.code} has unknown category {indicator.category}")
        if groups and indicator.group not in group_codes:
            raise ValueError(f"indicator {indicator.code} has undeclared group {indicator.group}")
        seen.add(indicator.code)
        indicators.append(indicator)
    deprecated = tuple(
        Deprecation(code=d["code"], replaced_by=d.get("replaced_by"), why=d["why"])
        for d in document.get("deprecated", [])
    )
    for d in deprecated:
        if d.code in seen:
            raise ValueError(f"deprecated code {d.code} is still an indicator")
        if d.replaced_by is not None and d.replaced_by not in seen:
            raise ValueError(f"{d.code} is replaced by {d.replaced_by}, which is not an indicator")
    accepted_until = {
        int(version): date.fromisoformat(day)
        for version, day in document.get("previous_versions_accepted_until", {}).items()
    }
    return Catalogue(
        version=int(document["version"]),
        indicators=tuple(indicators),
        groups=groups,
        deprecated=deprecated,
        accepted_until=accepted_until,
    )


@cache
def load_catalogue(version: int = LATEST_VERSION) -> Catalogue:
    """A catalogue version shipped with this package (the newest by default), read once per process.

    Raises ValueError for a version that was never shipped.
    """
    if version not in CATALOGUE_VERSIONS:
        raise ValueError(f"no indicator catalogue version {version}")
    resource = f"indicators_v{version}.json"
    text = resources.files(__package__).joinpath(resource).read_text(encoding="utf-8")
    catalogue = parse_catalogue(json.loads(text))
    if catalogue.version != version:
        raise ValueError(f"{resource} declares version {catalogue.version}")
    return catalogue


def entry_as_recorded(code: str, version: int) -> Indicator | None:
    """The entry a stored indicator was recorded with: ``code`` in catalogue ``version``, so an
    incident of v1 keeps v1's label. Falls back to the newest version that defines the code
    (a row of an unknown version), and None for a code no version knows."""
    if version in CATALOGUE_VERSIONS:
        entry = load_catalogue(version).get(code)
        if entry is not None:
            return entry
    return newest_entry(code)


def newest_entry(code: str) -> Indicator | None:
    """``code`` as the newest version that defines it describes it (codes are never reused, so
    its meaning is the same in every version that has it)."""
    for version in reversed(CATALOGUE_VERSIONS):
        entry = load_catalogue(version).get(code)
        if entry is not None:
            return entry
    return None


def codes_meaning(code: str) -> list[str]:
    """``code`` and the deprecated codes any version replaced with it, so a search or a count by
    a current code also finds the incidents recorded with the code it replaced."""
    replaced = [
        d.code for v in CATALOGUE_VERSIONS for d in load_catalogue(v).deprecated if d.replaced_by == code
    ]
    return [code, *dict.fromkeys(replaced)]
