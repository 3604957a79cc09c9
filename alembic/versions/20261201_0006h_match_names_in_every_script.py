"""match names in every script: recompute young_people.match_name

The old key kept [a-z0-9] only, so a name written in Arabic, Urdu, Gujarati or any other
non-Latin script folded to an empty key, and two different children with the same date of
birth matched as one. The key now keeps the letters of every script (folded as
api.people.service.normalise_name does; the rule is copied here so this migration never
changes when that function does).

Revision ID: 0006h
Revises: 0006g
Create Date: 2026-12-01 16:20:00
"""
import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006h'
down_revision: str | None = '0006g'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H"}
)


def _marks_are_accents(base: str) -> bool:
    code = ord(base)
    return code < 0x0250 or 0x0370 <= code < 0x0530 or 0x0600 <= code < 0x0700


def _key(first: str, last: str) -> str:
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


def upgrade() -> None:
    people = sa.table(
        "young_people",
        sa.column("id", sa.Uuid()),
        sa.column("first_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("match_name", sa.String()),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(people.c.id, people.c.first_name, people.c.last_name, people.c.match_name))
    for row in rows.fetchall():
        key = _key(row.first_name or "", row.last_name or "")
        if key != row.match_name:
            conn.execute(sa.update(people).where(people.c.id == row.id).values(match_name=key))


def downgrade() -> None:
    # The old key cannot be told apart from the new one for Latin names, and for other
    # scripts it was wrong: nothing to undo.
    pass
