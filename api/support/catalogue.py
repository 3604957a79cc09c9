"""The catalogue of support offer kinds, shipped as data (``offer_kinds_v1.json``).

A code never changes meaning once issued: a new meaning needs a new code, so offers
recorded on a phone last night still mean the same thing this morning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

CATALOGUE_RESOURCE = "offer_kinds_v1.json"


@dataclass(frozen=True)
class OfferKind:
    code: str
    label: str
    notes_required: bool = False


@cache
def offer_kinds() -> dict[str, OfferKind]:
    """Every offer kind by code, in catalogue order."""
    raw = json.loads(resources.files("api.support").joinpath(CATALOGUE_RESOURCE).read_text("utf-8"))
    return {
        entry["code"]: OfferKind(entry["code"], entry["label"], bool(entry.get("notes_required", False)))
        for entry in raw["kinds"]
    }


def offer_kind(code: str) -> OfferKind | None:
    return offer_kinds().get(code)


APPROPRIATE_ADULT = "appropriate_adult"
OFFER_OUTCOMES = ("accepted", "declined", "not_possible")
# An appropriate adult is not an offer the child can turn down (PACE Code C): it is requested,
# attends, or none is available.
APPROPRIATE_ADULT_OUTCOMES = ("requested", "attended", "not_available")


def outcomes_for(code: str) -> tuple[str, ...]:
    """The outcomes a support offer of this kind may record."""
    return APPROPRIATE_ADULT_OUTCOMES if code == APPROPRIATE_ADULT else OFFER_OUTCOMES
