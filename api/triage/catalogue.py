"""The indicator catalogue: what police can record about a young person, and what it means.

The catalogue ships as versioned data (``indicators_v1.json``, ``indicators_v2.json``, ...) so
that an administrator can extend it; a code never changes meaning once issued, so a new meaning
needs a new code. Each version keeps every code of the one before; the newest version is the one
intake uses, and older versions stay readable (an incident records the version it was triaged
with).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

PROVENANCES = ("observed", "disclosed", "intelligence", "concern")
CATEGORIES = ("cse", "cce", "general")

CATALOGUE_VERSIONS = (1, 2)
LATEST_VERSION = CATALOGUE_VERSIONS[-1]
CATALOGUE_RESOURCE = f"indicators_v{LATEST_VERSION}.json"


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry. ``category`` decides triage; ``group`` is for display and harm rules."""

    code: str
    label: str
    category: str
    group: str


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
    _by_code: dict[str, Indicator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen, so the lookup index is set through object.__setattr__ once.
        object.__setattr__(self, "_by_code", {i.code: i for i in self.indicators})

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
        )
        if indicator.code in seen:
            raise ValueError(f"duplicate indicator code {indicator.code}")
        if indicator.category not in CATEGORIES:
            raise ValueError(f"indicator {indicator.code} has unknown category {indicator.category}")
        if groups and indicator.group not in group_codes:
            raise ValueError(f"indicator {indicator.code} has undeclared group {indicator.group}")
        seen.add(indicator.code)
        indicators.append(indicator)
    return Catalogue(version=int(document["version"]), indicators=tuple(indicators), groups=groups)


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
