"""Matching a reported young person to a known record, carefully.

The LA case reference matches exactly; otherwise normalised name plus date of birth.
A partial match (same name, other or missing birth date; or a known alias) never merges:
it creates a new record and a `PossibleMatch` for a person to confirm later.

Aliases are matched both ways: the reported name against other records' aliases, and the
reported aliases against other records' names and aliases. A pair that was ever suggested
(open, confirmed or rejected) is never suggested again, and records already merged into one
child are suggested once, as that child.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Select, String, bindparam, case, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.db import transient, utcnow
from api.people.models import PossibleMatch, YoungPerson, YoungPersonName

# Latin letters that carry their accent inside (no decomposition): folded by hand.
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "TH",
        "ħ": "h",
        "Ħ": "H",
    }
)


def _marks_are_accents(base: str) -> bool:
    # Latin, Greek, Cyrillic accents and Arabic harakat are often left out when a name is
    # typed, so they never decide a match. In Indic and most other scripts the marks are
    # vowels: dropping them would make different names one.
    code = ord(base)
    return code < 0x0250 or 0x0370 <= code < 0x0530 or 0x0600 <= code < 0x0700


def normalise_name(first: str, last: str) -> str:
    """The matching key of a name in any script: case-folded, accents folded, punctuation
    gone. Letters of every script are kept (a key of Latin letters only would fold every
    Arabic or Gujarati name to nothing and merge different children)."""
    out: list[str] = []
    base = " "
    for char in unicodedata.normalize("NFKD", f"{first} {last}").translate(_UNDECOMPOSED):
        if unicodedata.category(char).startswith("M"):
            if not _marks_are_accents(base):
                out.append(char)
            continue
        base = char
        out.append(char if char.isalnum() else " ")
    text = unicodedata.normalize("NFC", "".join(out)).casefold()
    return re.sub(r"\s+", " ", text).strip()


def alias_keys(aliases: list[str], *, besides: str = "") -> list[str]:
    """The matching keys of `aliases` (an alias is a whole name, such as "Jay Smith" or "JJ"),
    without duplicates, empty keys or the key `besides` (the record's own name)."""
    keys = {normalise_name(alias, "")[:170] for alias in aliases}
    return sorted(k for k in keys if k and k != besides)


def age_on(date_of_birth: date, on: date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


# How many same-name records a new person is compared with (and possible matches recorded).
CANDIDATES = 20


@dataclass
class MatchResult:
    person: YoungPerson
    matched_by: str  # "la_reference" | "name_and_dob" | "new"
    possible_matches: list[PossibleMatch]
    names: list[YoungPersonName] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.matched_by == "new"

    def rows(self) -> list[YoungPerson | YoungPersonName | PossibleMatch]:
        """What the caller writes: a new record, alias keys not yet known, possible matches."""
        return [*([self.person] if self.is_new else []), *self.names, *self.possible_matches]


async def match_person(
    session: AsyncSession,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    apparent_age: int | None,
    la_reference: str | None,
    aliases: list[str],
    gender: str | None,
    responsible_area_id,
    legal_status: str,
    learning_disability: bool,
) -> MatchResult:
    """Find the young person this report is about (one query), or make a new record.

    A known person is updated in the session only if the report adds something. A new person
    and their possible matches are built, not written: the caller writes `result.rows()` (intake
    writes them with the incident, in one statement per table).
    """
    key = normalise_name(first_name, last_name)
    aka = alias_keys(aliases, besides=key)
    known = await _same_name_or_reference(session, key, aka, la_reference, date_of_birth)
    found: YoungPerson | None = None
    matched_by = "new"
    if la_reference:
        found = next((p for p in known if p.la_reference == la_reference), None)
        matched_by = "la_reference"
    same_name = [p for p in known if p.match_name == key] if key else []
    if found is None and date_of_birth is not None:
        found = next((p for p in same_name if p.date_of_birth == date_of_birth), None)
        matched_by = "name_and_dob"
        if found is not None and la_reference and found.la_reference:
            found = None  # same name and birth date, another LA reference: someone else
    if found is not None:
        if la_reference and not found.la_reference:
            found.la_reference = la_reference
            found.updated_at = utcnow()
        _refresh(found, learning_disability, legal_status, responsible_area_id)
        names = await _new_aliases(session, found, aliases, aka)
        by_alias = [p for p in known if p not in same_name and p is not found]
        possible = await _not_yet_suggested(session, found, [_suggest(found, p, aka) for p in by_alias])
        return MatchResult(found, matched_by, possible, names)

    person = transient(
        YoungPerson,
        first_name=first_name,
        last_name=last_name,
        match_name=key,
        aliases=aliases,
        date_of_birth=date_of_birth,
        apparent_age=apparent_age,
        gender=gender,
        responsible_area_id=responsible_area_id,
        la_reference=la_reference,
        legal_status=legal_status,
        learning_disability=learning_disability,
    )
    groups: set = set()
    possible = []
    for candidate in [*same_name, *(p for p in known if p not in same_name)]:
        if candidate.record_group in groups or len(possible) >= CANDIDATES:
            continue  # one suggestion per child, however many records it has
        groups.add(candidate.record_group)
        if candidate in same_name:
            reason = _reason(date_of_birth, candidate)
            possible.append(
                PossibleMatch(young_person_id=person.id, candidate_id=candidate.id, reason=reason)
            )
        else:
            possible.append(_suggest(person, candidate, aka))
    names = [YoungPersonName(young_person_id=person.id, match_name=k) for k in aka]
    return MatchResult(person, "new", possible, names)


def _suggest(person: YoungPerson, candidate: YoungPerson, aka: list[str]) -> PossibleMatch:
    reason = (
        "an alias matches this record's name"
        if candidate.match_name in aka
        else "name or alias matches one of this record's aliases"
    )
    return PossibleMatch(young_person_id=person.id, candidate_id=candidate.id, reason=reason)


async def _new_aliases(
    session: AsyncSession, person: YoungPerson, aliases: list[str], aka: list[str]
) -> list[YoungPersonName]:
    """Aliases this report adds to a known record: kept on the record and given their keys."""
    have = set(alias_keys(person.aliases))
    added = [a for a in aliases if alias_keys([a]) and alias_keys([a])[0] not in have | {person.match_name}]
    if not added:
        return []
    person.aliases = [*person.aliases, *added][:20]
    person.updated_at = utcnow()
    stored = set(
        (
            await session.execute(
                select(col(YoungPersonName.match_name)).where(
                    col(YoungPersonName.young_person_id) == person.id,
                    col(YoungPersonName.match_name).in_(aka),
                )
            )
        ).scalars()
    )
    return [
        YoungPersonName(young_person_id=person.id, match_name=k)
        for k in alias_keys(added, besides=person.match_name)
        if k not in stored
    ]


async def _not_yet_suggested(
    session: AsyncSession, person: YoungPerson, possible: list[PossibleMatch]
) -> list[PossibleMatch]:
    """Drop suggestions between records of one child, and pairs suggested before (in either
    order, whatever became of them: a rejection is remembered)."""
    possible = [p for p in possible if p.candidate_id != person.id]
    if not possible:
        return []
    candidates = [p.candidate_id for p in possible]
    groups = {
        row.id: row.merged_into_id or row.id
        for row in (
            await session.execute(
                select(col(YoungPerson.id), col(YoungPerson.merged_into_id)).where(
                    col(YoungPerson.id).in_(candidates)
                )
            )
        ).all()
    }
    pairs = [(person.id, c) for c in candidates] + [(c, person.id) for c in candidates]
    seen = {
        frozenset(row)
        for row in (
            await session.execute(
                select(col(PossibleMatch.young_person_id), col(PossibleMatch.candidate_id)).where(
                    tuple_(col(PossibleMatch.young_person_id), col(PossibleMatch.candidate_id)).in_(pairs)
                )
            )
        ).all()
    }
    out, kept_groups = [], set()
    for suggestion in possible:
        group = groups.get(suggestion.candidate_id, suggestion.candidate_id)
        if group == person.record_group or group in kept_groups:
            continue
        if frozenset((person.id, suggestion.candidate_id)) in seen:
            continue
        kept_groups.add(group)
        out.append(suggestion)
    return out


async def _same_name_or_reference(
    session: AsyncSession, key: str, aka: list[str], la_reference: str | None, date_of_birth: date | None
) -> list[YoungPerson]:
    """Records with this LA reference or this normalised name: the reference first, then
    those born on `date_of_birth` (oldest record first), then the other namesakes; with
    aliases, also records whose name or alias is one of the reported names."""
    query = _namesakes_query(bool(aka), la_reference is not None, date_of_birth is not None)
    params: dict[str, Any] = {
        "key": key,
        "aka": aka,
        "names": [key, *aka],
        "la": la_reference,
        "dob": date_of_birth,
    }
    return list((await session.execute(query, params)).scalars())


@cache
def _namesakes_query(aliases: bool, la_reference: bool, date_of_birth: bool) -> Select[tuple[YoungPerson]]:
    # One statement per shape, built once, its values bound at execution (intake's hot path).
    key = bindparam("key", type_=String)
    wanted = col(YoungPerson.match_name) == key
    if aliases:
        wanted = or_(
            wanted,
            col(YoungPerson.match_name).in_(bindparam("aka", expanding=True)),
            col(YoungPerson.id).in_(
                select(col(YoungPersonName.young_person_id)).where(
                    col(YoungPersonName.match_name).in_(bindparam("names", expanding=True))
                )
            ),
        )
    else:
        wanted = or_(
            wanted,
            col(YoungPerson.id).in_(
                select(col(YoungPersonName.young_person_id)).where(col(YoungPersonName.match_name) == key)
            ),
        )
    first = []
    if la_reference:
        wanted = or_(wanted, col(YoungPerson.la_reference) == bindparam("la"))
        first.append(case((col(YoungPerson.la_reference) == bindparam("la"), 0), else_=1))
    if date_of_birth:
        first.append(case((col(YoungPerson.date_of_birth) == bindparam("dob"), 0), else_=1))
    return (
        select(YoungPerson)
        .where(wanted)
        .order_by(*first, col(YoungPerson.created_at), col(YoungPerson.id))
        .limit(CANDIDATES + 2)
    )


def _reason(date_of_birth: date | None, candidate: YoungPerson) -> str:
    if date_of_birth and candidate.date_of_birth and candidate.date_of_birth != date_of_birth:
        return "same name, different date of birth"
    if date_of_birth is None or candidate.date_of_birth is None:
        return "same name, date of birth unknown on one record"
    return "same name and date of birth, different LA reference"


def _refresh(person: YoungPerson, learning_disability: bool, legal_status: str, area_id) -> None:
    # A later report can add what is known (never silently remove it). Nothing new: no write.
    changed = False
    if learning_disability and not person.learning_disability:
        person.learning_disability, changed = True, True
    if legal_status != "unknown" and person.legal_status != legal_status:
        person.legal_status, changed = legal_status, True
    if area_id and not person.responsible_area_id:
        person.responsible_area_id, changed = area_id, True
    if changed:
        person.updated_at = utcnow()
