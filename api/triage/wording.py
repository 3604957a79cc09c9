"""Practitioners' language: the words a catalogue label must not use (``language/avoid.txt``).

The list (with its source in the file's header) names words and phrases that blame a child for
their exploitation or describe it as a choice, a relationship or a job. ``tests`` hold every
label of the current catalogue to it; older versions keep the labels they were recorded with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from api.triage.catalogue import Catalogue

AVOID_RESOURCE = "language/avoid.txt"


@dataclass(frozen=True)
class AvoidTerm:
    term: str
    instead: str


def parse_avoid_list(text: str) -> tuple[AvoidTerm, ...]:
    """Terms of an avoid list: ``term | what to say instead`` a line; ``#`` starts a comment."""
    terms = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, _, instead = line.partition("|")
        terms.append(AvoidTerm(term=term.strip().lower(), instead=instead.strip()))
    return tuple(terms)


@cache
def avoid_terms() -> tuple[AvoidTerm, ...]:
    """The shipped avoid list, read once per process."""
    text = resources.files(__package__).joinpath(AVOID_RESOURCE).read_text(encoding="utf-8")
    return parse_avoid_list(text)


@cache
def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


def terms_in(text: str, terms: tuple[AvoidTerm, ...] | None = None) -> list[AvoidTerm]:
    """The avoided terms ``text`` contains, as whole words, whatever their case."""
    found = []
    for term in terms if terms is not None else avoid_terms():
        if _pattern(term.term).search(text.replace("\u2019", "'")):
            found.append(term)
    return found


def language_problems(
    catalogue: Catalogue, terms: tuple[AvoidTerm, ...] | None = None
) -> list[tuple[str, str]]:
    """``(code, term)`` for every indicator or group label of ``catalogue`` using an avoided term."""
    problems: list[tuple[str, str]] = []
    labelled = [(i.code, i.label) for i in catalogue.all()] + [(g.code, g.label) for g in catalogue.groups]
    for code, label in labelled:
        problems.extend((code, t.term) for t in terms_in(label, terms))
    return problems
