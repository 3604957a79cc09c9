"""What text a request may carry: NFC everywhere, no invisible characters where text identifies.

Two annotated types, used by every schema (and by `Query(...)` text parameters):

- `FreeText` (notes, circumstances, endpoints): normalised to NFC; refused when it holds a
  lone surrogate (PostgreSQL cannot store one) or a control character other than tab,
  newline and carriage return (NUL among them). Bidi marks and joiners stay: a note may be
  written in Arabic, Urdu or Hebrew and pasted from elsewhere.
- `IdentifyingText` (names, aliases, LA, custody and police references, places, labels,
  slugs, search terms): the same, and also refused when it holds any invisible format
  character (Unicode category Cf: bidi embeddings, overrides and isolates U+202A-U+202E,
  U+2066-U+2069, the marks U+200E/U+200F/U+061C, zero-width space U+200B, BOM U+FEFF, soft
  hyphen U+00AD, ...), any control character, a line or paragraph separator, or a private-use
  character. Such characters make two records that look alike differ (or reverse what a
  reader sees), so a child could be missed at matching or a reference misread.

  One exception, ZWNJ U+200C and ZWJ U+200D between two letters (or a letter and a mark):
  Persian, Urdu, Kurdish and several Indic scripts need them to spell names correctly
  (e.g. Persian surnames written with a half-space). Anywhere else (start, end, next to a
  space or digit, two in a row) they are refused too.

Both normalise before length limits are checked by the caller's `Field`, and before any
matching, so a name typed decomposed (NFD, as some keyboards and macOS send it) matches
the record stored composed.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

ZWNJ, ZWJ = "\u200c", "\u200d"
_FREE_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
_REFUSED_IN_IDENTIFYING = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _nfc(value: object) -> object:
    # Before str_strip_whitespace and length checks. A lone surrogate cannot be normalised
    # (or stored); refuse it here with a clear message instead of a 500 later.
    if isinstance(value, str):
        for char in value:
            if "\ud800" <= char <= "\udfff":
                raise ValueError(f"contains an invalid character ({_describe(char)})")
        return unicodedata.normalize("NFC", value)
    return value


def _is_letter_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def free_text(value: str) -> str:
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in _FREE_TEXT_CONTROLS_ALLOWED:
            raise ValueError(f"contains a control character ({_describe(char)})")
    return value


def identifying_text(value: str) -> str:
    for i, char in enumerate(value):
        category = unicodedata.category(char)
        if category not in _REFUSED_IN_IDENTIFYING:
            continue
        if char in (ZWNJ, ZWJ) and 0 < i < len(value) - 1:
            before, after = value[i - 1], value[i + 1]
            if _is_letter_or_mark(before) and _is_letter_or_mark(after):
                continue
        raise ValueError(f"contains an invisible or control character ({_describe(char)}); remove it")
    return value


FreeText = Annotated[str, BeforeValidator(_nfc), AfterValidator(free_text)]
IdentifyingText = Annotated[str, BeforeValidator(_nfc), AfterValidator(identifying_text)]
