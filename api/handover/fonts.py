"""The fonts the PDF report sets text in: Noto Sans, and Noto Sans for the other scripts that
names are written in (Arabic and Urdu, Gujarati, Devanagari, Bengali, Gurmukhi, Tamil, ...).

They come with the `manimgx-fonts` Python package (Noto, unmodified, SIL Open Font License 1.1),
installed like any other dependency: nothing is downloaded at run time. Noto Sans covers Latin
(every European and Somali name), Greek and Cyrillic; a script font is added to a document only
when its text needs it, so a report of Latin names loads one font.

The files are variable fonts whose default instance is the regular weight; instancing a bold
weight takes seconds of CPU per font, so bold is drawn by the PDF text render mode instead
(see `api.handover.pdf`).
"""

from __future__ import annotations

import functools
import importlib.resources
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

PACKAGE = "manimgx_fonts"
PRIMARY_FILE = "NotoSans[wght].ttf"
# Tried in this order for a character Noto Sans lacks.
SCRIPT_FILES: tuple[str, ...] = (
    "NotoSansArabic[wght].ttf",
    "NotoSansGujarati[wght].ttf",
    "NotoSansDevanagari[wght].ttf",
    "NotoSansBengali[wght].ttf",
    "NotoSansGurmukhi[wght].ttf",
    "NotoSansTamil[wght].ttf",
    "NotoSansTelugu[wght].ttf",
    "NotoSansKannada[wght].ttf",
    "NotoSansMalayalam[wght].ttf",
    "NotoSansOriya[wght].ttf",
    "NotoSansSinhala[wght].ttf",
    "NotoSansEthiopic[wght].ttf",
    "NotoSansHebrew[wght].ttf",
    "NotoSansArmenian[wght].ttf",
    "NotoSansGeorgian[wght].ttf",
    "NotoSansThai[wght].ttf",
    "NotoSansLao[wght].ttf",
    "NotoSansKhmer[wght].ttf",
    "NotoSansMyanmar[wght].ttf",
    "NotoSansSymbols[wght].ttf",
)


@dataclass(frozen=True)
class FontFile:
    family: str  # the name the PDF uses for it (`FPDF.add_font(family=...)`)
    path: Path


def _family(file_name: str) -> str:
    return file_name.split("[", 1)[0].lower()


@functools.cache
def _directory() -> Path:
    return Path(str(importlib.resources.files(PACKAGE)))


@functools.cache
def primary() -> FontFile:
    return FontFile(_family(PRIMARY_FILE), _require(PRIMARY_FILE))


@functools.cache
def script_fonts() -> tuple[FontFile, ...]:
    return tuple(FontFile(_family(name), _require(name)) for name in SCRIPT_FILES)


def _require(name: str) -> Path:
    path = _directory() / name
    if not path.is_file():
        raise RuntimeError(f"font file {name} is missing from the {PACKAGE} package")
    return path


@functools.cache
def coverage(font: FontFile) -> frozenset[int]:
    """The code points `font` has a glyph for (read once per process: the cmap table only)."""
    with TTFont(str(font.path), lazy=True) as ttf:
        return frozenset(ttf.getBestCmap())


def _drawn(char: str) -> bool:
    """Whether a character needs a glyph (format and control characters draw nothing)."""
    return unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")


@dataclass(frozen=True)
class Plan:
    fonts: list[FontFile]  # script fonts to add, in fallback order
    missing: frozenset[str]  # characters no font here has a glyph for (CJK, emoji, ...)


def plan(text: str, have: tuple[FontFile, ...] = ()) -> Plan:
    """What setting `text` needs beyond Noto Sans and the fonts in `have`."""
    missing = {ord(c) for c in set(text) if _drawn(c)} - coverage(primary())
    for font in have:
        missing -= coverage(font)
    needed: list[FontFile] = []
    for font in script_fonts():
        if not missing:
            break
        if font in have:
            continue
        found = missing & coverage(font)
        if found:
            needed.append(font)
            missing -= found
    return Plan(needed, frozenset(chr(c) for c in missing))


def needs_shaping(text: str) -> bool:
    """Whether `text` needs the shaping engine: right-to-left letters (Arabic, Urdu, Hebrew, ...)
    or marks that join, reorder or stack (Indic vowel signs and viramas, Thai, any combining
    mark). Latin, Greek and Cyrillic in NFC do not, and skipping it for them keeps a long
    report fast."""
    return any(unicodedata.bidirectional(c) in _RTL or unicodedata.category(c) in _MARKS for c in text)


_RTL = frozenset({"R", "AL", "AN"})
_MARKS = frozenset({"Mn", "Mc", "Me"})
