"""Matching a reported young person to a known record, carefully.

The LA case reference matches exactly; otherwise normalised name plus date of birth.
A partial match (same name, other or missing birth date; or a known alias) never merges:
it creates a new record and a `PossibleMatch` for a person to confirm later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.db import utcnow
from api.people.models import PossibleMatch, YoungPerson

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

    @property
    def is_new(self) -> bool:
        """A new record: the caller writes `rows()` (the person, then its possible matches)."""
        return self.matched_by == "new"

    def rows(self) -> list[YoungPerson | PossibleMatch]:
        return [self.person, *self.possible_matches] if self.is_new else []


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
    known = await _same_name_or_reference(session, key, la_reference, date_of_birth)
    if la_reference:
        found = next((p for p in known if p.la_reference == la_reference), None)
        if found is not None:
            _refresh(found, learning_disability, legal_status, responsible_area_id)
            return MatchResult(found, "la_reference", [])
    same_name = [p for p in known if p.match_name == key] if key else []
    if date_of_birth is not None:
        found = next((p for p in same_name if p.date_of_birth == date_of_birth), None)
        if found is not None and (not la_reference or not found.la_reference):
            if la_reference and not found.la_reference:
                found.la_reference = la_reference
                found.updated_at = utcnow()
            _refresh(found, learning_disability, legal_status, responsible_area_id)
            return MatchResult(found, "name_and_dob", [])

    person = YoungPerson(
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
    possible = [
        PossibleMatch(
            young_person_id=person.id, candidate_id=candidate.id, reason=_reason(date_of_birth, candidate)
        )
        for candidate in same_name[:CANDIDATES]
    ]
    return MatchResult(person, "new", possible)


async def _same_name_or_reference(
    session: AsyncSession, key: str, la_reference: str | None, date_of_birth: date | None
) -> list[YoungPerson]:
    """Records with this LA reference or this normalised name: the reference first, then
    those born on `date_of_birth` (oldest record first), then the other namesakes."""
    wanted = col(YoungPerson.match_name) == key
    first = []
    if la_reference:
        wanted = or_(wanted, col(YoungPerson.la_reference) == la_reference)
        first.append(case((col(YoungPerson.la_reference) == la_reference, 0), else_=1))
    if date_of_birth is not None:
        first.append(case((col(YoungPerson.date_of_birth) == date_of_birth, 0), else_=1))
    query = (
        select(YoungPerson).where(wanted).order_by(*first, col(YoungPerson.created_at), col(YoungPerson.id))
    )
    return list((await session.execute(query.limit(CANDIDATES + 2))).scalars())


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
