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

A `Matcher` is built once per cached place list (api.places.service): the names normalised,
their words in a vocabulary with an inverted index, so a resolution compares the text's few
words with the vocabulary in rapidfuzz's C code and checks only the names sharing a word.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    # (normalised, as written) for the name and each alias: computed once.
    labels: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.labels:
            found = ((normalise(label), label) for label in (self.name, *self.aliases))
            object.__setattr__(self, "labels", tuple((key, label) for key, label in found if key))


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


class Matcher:
    """The names and aliases of some places, ready to match against."""

    def __init__(self, places: Iterable[Candidate]) -> None:
        self.keys: list[str] = []
        self.owners: list[tuple[Candidate, str]] = []
        self.key_words: list[tuple[int, ...]] = []
        self.vocabulary: list[str] = []
        self.with_word: list[list[int]] = []  # vocabulary index -> the keys holding that word
        position: dict[str, int] = {}
        for place in places:
            for key, label in place.labels:
                index = len(self.keys)
                self.keys.append(key)
                self.owners.append((place, label))
                words = []
                for word in dict.fromkeys(key.split()):
                    if word not in position:
                        position[word] = len(self.vocabulary)
                        self.vocabulary.append(word)
                        self.with_word.append([])
                    words.append(position[word])
                    self.with_word[position[word]].append(index)
                self.key_words.append(tuple(words))

    def suggest(self, text: str, *, limit: int = 8) -> list[Match]:
        """The places most like `text`, best first, one entry per place."""
        query = normalise(text)
        if not query or not self.keys:
            return []
        best: dict[uuid.UUID, Match] = {}
        for _, score, index in process.extract(
            query, self.keys, scorer=fuzz.WRatio, score_cutoff=SUGGEST_SCORE, limit=limit * 4
        ):
            place, label = self.owners[index]
            if place.id not in best or best[place.id].score < score:
                best[place.id] = Match(place, round(float(score), 1), label)
        return sorted(best.values(), key=lambda m: (-m.score, m.place.name))[:limit]

    def resolve(self, text: str) -> Match | None:
        """The one place `text` certainly names, or None."""
        query = normalise(text)
        if not query or not self.keys:
            return None
        # How alike each vocabulary word is to the text's nearest word (those alike enough).
        alike: dict[int, float] = {}
        for typed in dict.fromkeys(query.split()):
            for _, score, index in process.extract(
                typed, self.vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SCORE, limit=None
            ):
                alike[index] = max(score, alike.get(index, 0.0))
        found: list[tuple[float, int, Match]] = []
        for index in sorted({k for word in alike for k in self.with_word[word]}):
            words = self.key_words[index]
            if len(words) < 2 and self.keys[index] != query:
                continue
            # Every word of the name is in the text (allowing a typo): the name is in the text,
            # not the text in the name ("station" never resolves to "Leicester railway station").
            if any(w not in alike for w in words):
                continue
            score = sum(alike[w] for w in words) / len(words)
            if score >= RESOLVE_SCORE:
                place, label = self.owners[index]
                found.append((score, len(words), Match(place, round(float(score), 1), label)))
        if not found:
            return None
        # The best score, then the most specific (longest) name; a tie between places is no answer.
        found.sort(key=lambda f: (-f[0], -f[1]))
        top_score, top_words, top = found[0]
        rivals = {m.place.id for s, w, m in found if (s, w) == (top_score, top_words)}
        return top if len(rivals) == 1 else None


def suggest(text: str, places: Iterable[Candidate], *, limit: int = 8) -> list[Match]:
    return Matcher(places).suggest(text, limit=limit)


def resolve(text: str, places: Iterable[Candidate]) -> Match | None:
    return Matcher(places).resolve(text)
