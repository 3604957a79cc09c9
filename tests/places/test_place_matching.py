"""Place matching without a database: what intake links silently, and what it leaves alone."""

from __future__ import annotations

import uuid

import pytest

from api.places.matching import Candidate, Matcher


def _place(name: str, *aliases: str) -> Candidate:
    return Candidate(uuid.uuid4(), name, aliases, None, "other")


STATION = _place("Leicester railway station", "Leicester station")
CAR_PARK = _place("Leicester railway station car park")
SQUARE = _place("Leicester Square")
CAFE = _place("Café Nero, Gallowtree Gate")
MATCHER = Matcher([STATION, CAR_PARK, SQUARE, CAFE])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leicester railway station, platform 2", STATION),
        ("Found at Leicster railway staton", STATION),  # typos
        ("LEICESTER   station (taxi rank)", STATION),  # an alias, case and punctuation
        ("Leicester railway station car park, level 2", CAR_PARK),  # the more specific name
        ("cafe nero gallowtree gate", CAFE),  # accents folded
        ("Station", None),  # the text inside a name is not the name inside the text
        ("near Leicester", None),
        ("Leicester Square station", None),  # two places fit equally: neither
        ("", None),
    ],
)
def test_resolve_links_only_when_certain(text, expected):
    found = MATCHER.resolve(text)
    assert (found.place if found else None) == expected


def test_suggestions_rank_the_likeliest_first_one_entry_per_place():
    items = MATCHER.suggest("leicester rail")
    assert items[0].place in (STATION, CAR_PARK)
    assert len({m.place.id for m in items}) == len(items)
    assert MATCHER.suggest("zzzz") == []
