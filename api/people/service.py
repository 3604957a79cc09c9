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

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

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


@dataclass
class MatchResult:
    person: YoungPerson
    matched_by: str  # "la_reference" | "name_and_dob" | "new"
    possible_matches: list[PossibleMatch]


async def match_or_create(
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
    """Find the young person this report is about, or record a new one."""
    key = normalise_name(first_name, last_name)
    if la_reference:
        found = (
            await session.execute(select(YoungPerson).where(YoungPerson.la_reference == la_reference))
        ).scalar_one_or_none()
        if found is not None:
            _refresh(found, learning_disability, legal_status, responsible_area_id)
            return MatchResult(found, "la_reference", [])
    if date_of_birth is not None and key:
        found = (
            await session.execute(
                select(YoungPerson)
                .where(YoungPerson.match_name == key, YoungPerson.date_of_birth == date_of_birth)
                .order_by(YoungPerson.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()
        if found is not None and (not la_reference or not found.la_reference):
            if la_reference and not found.la_reference:
                found.la_reference = la_reference
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
    session.add(person)
    await session.flush()
    possible = await _record_possible_matches(session, person, key, date_of_birth)
    return MatchResult(person, "new", possible)


def _refresh(person: YoungPerson, learning_disability: bool, legal_status: str, area_id) -> None:
    # A later report can add what is known (never silently remove it).
    person.learning_disability = person.learning_disability or learning_disability
    if legal_status != "unknown":
        person.legal_status = legal_status
    if area_id and not person.responsible_area_id:
        person.responsible_area_id = area_id
    person.updated_at = utcnow()


async def _record_possible_matches(
    session: AsyncSession, person: YoungPerson, key: str, date_of_birth: date | None
) -> list[PossibleMatch]:
    candidates = (
        (
            await session.execute(
                select(YoungPerson)
                .where(YoungPerson.id != person.id)
                .where(or_(YoungPerson.match_name == key))
                .limit(20)
            )
        )
        .scalars()
        .all()
    )
    found = []
    for candidate in candidates:
        if date_of_birth and candidate.date_of_birth and candidate.date_of_birth != date_of_birth:
            reason = "same name, different date of birth"
        elif date_of_birth is None or candidate.date_of_birth is None:
            reason = "same name, date of birth unknown on one record"
        else:
            reason = "same name and date of birth, different LA reference"
        match = PossibleMatch(young_person_id=person.id, candidate_id=candidate.id, reason=reason)
        session.add(match)
        found.append(match)
    if found:
        await session.flush()
    return found
