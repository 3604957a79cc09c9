"""When to consider a National Referral Mechanism (NRM) referral, and the s45 defence flag.

Pure rules over the indicators recorded on an incident, read from a table
(``nrm_rules.json``, beside the catalogue): each rule names its conditions, and a rule applies
when every condition is met by at least one recorded indicator, whatever its provenance. A
condition lists indicator codes, or ``{"group": ..., "category": ...}`` selectors matched
against the catalogue, so a code added to the catalogue in a listed group and category counts
without changing the table. The reasons shown are the rules' own texts (never anything typed
about the child).

Children need no consent for an NRM referral (a first responder refers; the child's consent
is needed only for adults): ``CONSENT_NOTE`` is the text the screen shows with the prompt.

A child charged with an offence while exploitation indicators are recorded (any CSE or CCE
indicator, or any NRM rule applying) may have the Modern Slavery Act 2015 s45 defence:
``s45_applies`` says when to show ``S45_FLAG``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from api.triage.catalogue import Catalogue, load_catalogue, newest_entry
from api.triage.rules import SPECIALIST_CATEGORIES, ObservedIndicator

NRM_PROMPT = "Consider an NRM referral"
CONSENT_NOTE = (
    "Children need no consent for an NRM referral: a first responder refers a child without it "
    "(Modern Slavery Act 2015 statutory guidance). Tell the child and, where safe, their family."
)
S45_FLAG = "Possible Modern Slavery Act s45 defence: tell the youth justice service and the defence solicitor"
S45_REASON = "Charged with an offence while exploitation indicators are recorded"
RULES_RESOURCE = "nrm_rules.json"


@dataclass(frozen=True)
class Selector:
    """One way a condition is met: an exact code, or any indicator of a group and category."""

    code: str | None = None
    group: str | None = None
    category: str | None = None

    def matches(self, indicator: ObservedIndicator, catalogue: Catalogue) -> bool:
        if self.code is not None:
            return indicator.code == self.code
        # A code kept from an earlier catalogue (deprecated, no replacement) keeps its meaning.
        entry = catalogue.get(indicator.code) or newest_entry(indicator.code)
        group = entry.group if entry else None
        category = entry.category if entry else indicator.category
        return (self.group is None or group == self.group) and (
            self.category is None or category == self.category
        )


@dataclass(frozen=True)
class NrmRule:
    code: str
    reason: str
    all_of: tuple[tuple[Selector, ...], ...]

    def applies(self, indicators: Sequence[ObservedIndicator], catalogue: Catalogue) -> bool:
        return all(
            any(s.matches(i, catalogue) for s in condition for i in indicators) for condition in self.all_of
        )

    def codes(self) -> set[str]:
        return {s.code for condition in self.all_of for s in condition if s.code}


@dataclass(frozen=True)
class NrmReason:
    """A rule that applies: its code and the reason shown."""

    rule: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason}


def _selector(entry: str | dict[str, Any]) -> Selector:
    if isinstance(entry, str):
        return Selector(code=entry)
    unknown = set(entry) - {"group", "category"}
    if unknown or not entry:
        raise ValueError(f"a selector names a code, or a group and/or category: {entry!r}")
    return Selector(group=entry.get("group"), category=entry.get("category"))


def parse_rules(document: dict[str, Any]) -> tuple[NrmRule, ...]:
    """The rules of a table document; ValueError on a duplicate rule or an empty condition."""
    rules: list[NrmRule] = []
    for entry in document["rules"]:
        conditions = tuple(tuple(_selector(s) for s in condition) for condition in entry["all_of"])
        if not conditions or any(not c for c in conditions):
            raise ValueError(f"rule {entry['code']} has an empty condition")
        if any(r.code == entry["code"] for r in rules):
            raise ValueError(f"duplicate rule {entry['code']}")
        rules.append(NrmRule(entry["code"], entry["reason"], conditions))
    return tuple(rules)


@cache
def load_rules() -> tuple[NrmRule, ...]:
    """The shipped rules table, read once per process."""
    text = resources.files(__package__).joinpath(RULES_RESOURCE).read_text(encoding="utf-8")
    return parse_rules(json.loads(text))


def nrm_reasons(
    indicators: Sequence[ObservedIndicator],
    *,
    charged: bool = False,
    catalogue: Catalogue | None = None,
    rules: Sequence[NrmRule] | None = None,
) -> list[NrmReason]:
    """The reasons to consider an NRM referral, in the table's order; empty when none applies.

    A charge with exploitation indicators is a reason too (the s45 defence turns on it)."""
    catalogue = catalogue or load_catalogue()
    rules = load_rules() if rules is None else rules
    reasons = [NrmReason(r.code, r.reason) for r in rules if r.applies(indicators, catalogue)]
    if charged and (reasons or has_exploitation_indicators(indicators)):
        reasons.append(NrmReason("charged", S45_REASON))
    return reasons


def has_exploitation_indicators(indicators: Sequence[ObservedIndicator]) -> bool:
    """Any CSE or CCE indicator recorded."""
    return any(i.category in SPECIALIST_CATEGORIES for i in indicators)


def s45_applies(
    indicators: Sequence[ObservedIndicator], *, charged: bool, catalogue: Catalogue | None = None
) -> bool:
    """Charged, with exploitation indicators (a CSE or CCE indicator, or an NRM rule applying)."""
    if not charged:
        return False
    return has_exploitation_indicators(indicators) or bool(nrm_reasons(indicators, catalogue=catalogue))
