"""Fuzzy matching of a typed location against places' names and aliases (rapidfuzz).

Two uses, two thresholds:

- `suggest`: as you type, the best few places whose name or an alias resembles the text
  (WRatio, which forgives typos, word order and a partial name), best first.
- `resolve`: intake's silent link, which must be right or not happen. A place is chosen only
  when every word of one of its names is in the text (each at least `WORD_SCORE` alike, on
  average at least `RESOLVE_SCORE`: "Found at Leicster railway station, platform 2" holds
  "Leicester railway station"), the name has at least two words (a place called "Station"
  never swallows every station), and no other place matches as well. Anything less stays
  unlinked for a person to link.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

RESOLVE_SCORE = 92.0
SUGGEST_SCORE = 60.0
WORD_SCORE = 80.0


@dataclass(frozen=True)
class Candidate:
    """An active place as matching sees it."""

    id: uuid.UUID
    name: str
    aliases: tuple[str, ...]
    area_id: uuid.UUID | None
    type: str


@dataclass(frozen=True)
class Match:
    place: Candidate
    score: float
    matched: str  # the name or alias that matched


def normalise(text: str) -> str:
    """Case-folded, accents and punctuation gone, spaces collapsed."""
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M")
    )
    return re.sub(r"\s+", " ", re.sub(r"[^\w]+", " ", folded.casefold())).strip()


def _choices(places: Iterable[Candidate]) -> tuple[list[str], list[tuple[Candidate, str]]]:
    keys: list[str] = []
    owners: list[tuple[Candidate, str]] = []
    for place in places:
        for label in (place.name, *place.aliases):
            key = normalise(label)
            if key:
                keys.append(key)
                owners.append((place, label))
    return keys, owners


def suggest(text: str, places: Iterable[Candidate], *, limit: int = 8) -> list[Match]:
    """The places most like `text`, best first, one entry per place."""
    query = normalise(text)
    if not query:
        return []
    keys, owners = _choices(places)
    best: dict[uuid.UUID, Match] = {}
    for _, score, index in process.extract(
        query, keys, scorer=fuzz.WRatio, score_cutoff=SUGGEST_SCORE, limit=limit * 4
    ):
        place, label = owners[index]
        if place.id not in best or best[place.id].score < score:
            best[place.id] = Match(place, round(float(score), 1), label)
    return sorted(best.values(), key=lambda m: (-m.score, m.place.name))[:limit]


def resolve(text: str, places: Iterable[Candidate]) -> Match | None:
    """The one place `text` certainly names, or None."""
    query = normalise(text)
    if not query:
        return None
    keys, owners = _choices(places)
    typed = query.split()
    found: list[tuple[float, int, Match]] = []
    for index, key in enumerate(keys):
        words = key.split()
        if len(words) < 2 and key != query:
            continue
        # Every word of the name is in the text (allowing a typo): the name is in the text, not
        # the text in the name ("station" never resolves to "Leicester railway station").
        best = [max(fuzz.ratio(w, t) for t in typed) for w in words]
        if min(best) < WORD_SCORE:
            continue
        score = sum(best) / len(best)
        if score >= RESOLVE_SCORE:
            place, label = owners[index]
            found.append((score, len(words), Match(place, round(float(score), 1), label)))
    if not found:
        return None
    # The best score, then the most specific (longest) name; a tie between places is no answer.
    found.sort(key=lambda f: (-f[0], -f[1]))
    top_score, top_words, top = found[0]
    rivals = {m.place.id for s, w, m in found if (s, w) == (top_score, top_words)}
    return top if len(rivals) == 1 else None
