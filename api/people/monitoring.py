"""Equality monitoring of young people: ethnicity (ONS 2021 census categories) and sex.

Optional, recorded by case roles after intake, with "not recorded" and "declined" as answers of
their own. They exist so that managers can see whether priority, custody outcomes or particular
indicators fall unevenly on some children (adultification); triage never reads them (its
``TriageCase`` has no such field, and a test holds it to that).

The ethnic groups are the ONS 2021 classification for England and Wales: 19 categories in 5
high-level groups. Counts are shown by high-level group, as numbers per category are too small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    group: str  # the high-level group's code (itself for a group and for the answers of their own)


NOT_RECORDED = "not_recorded"
DECLINED = "declined"

ETHNIC_GROUPS: tuple[Category, ...] = (
    Category("asian", "Asian, Asian British or Asian Welsh", "asian"),
    Category("black", "Black, Black British, Black Welsh, Caribbean or African", "black"),
    Category("mixed", "Mixed or Multiple ethnic groups", "mixed"),
    Category("white", "White", "white"),
    Category("other", "Other ethnic group", "other"),
    Category(NOT_RECORDED, "Not recorded", NOT_RECORDED),
    Category(DECLINED, "Declined to say", DECLINED),
)

ETHNICITIES: tuple[Category, ...] = (
    Category("asian_bangladeshi", "Bangladeshi", "asian"),
    Category("asian_chinese", "Chinese", "asian"),
    Category("asian_indian", "Indian", "asian"),
    Category("asian_pakistani", "Pakistani", "asian"),
    Category("asian_other", "Other Asian", "asian"),
    Category("black_african", "African", "black"),
    Category("black_caribbean", "Caribbean", "black"),
    Category("black_other", "Other Black", "black"),
    Category("mixed_white_asian", "White and Asian", "mixed"),
    Category("mixed_white_black_african", "White and Black African", "mixed"),
    Category("mixed_white_black_caribbean", "White and Black Caribbean", "mixed"),
    Category("mixed_other", "Other Mixed or Multiple ethnic groups", "mixed"),
    Category("white_british", "English, Welsh, Scottish, Northern Irish or British", "white"),
    Category("white_irish", "Irish", "white"),
    Category("white_gypsy_irish_traveller", "Gypsy or Irish Traveller", "white"),
    Category("white_roma", "Roma", "white"),
    Category("white_other", "Other White", "white"),
    Category("other_arab", "Arab", "other"),
    Category("other_any", "Any other ethnic group", "other"),
    Category(NOT_RECORDED, "Not recorded", NOT_RECORDED),
    Category(DECLINED, "Declined to say", DECLINED),
)

SEXES: tuple[Category, ...] = (
    Category("female", "Female", "female"),
    Category("male", "Male", "male"),
    Category(NOT_RECORDED, "Not recorded", NOT_RECORDED),
    Category(DECLINED, "Declined to say", DECLINED),
)

# The same codes as types, for request bodies (a test holds them equal to the tables above).
Ethnicity = Literal[
    "asian_bangladeshi",
    "asian_chinese",
    "asian_indian",
    "asian_pakistani",
    "asian_other",
    "black_african",
    "black_caribbean",
    "black_other",
    "mixed_white_asian",
    "mixed_white_black_african",
    "mixed_white_black_caribbean",
    "mixed_other",
    "white_british",
    "white_irish",
    "white_gypsy_irish_traveller",
    "white_roma",
    "white_other",
    "other_arab",
    "other_any",
    "not_recorded",
    "declined",
]
Sex = Literal["female", "male", "not_recorded", "declined"]

ETHNICITY_CODES = tuple(c.code for c in ETHNICITIES)
SEX_CODES = tuple(c.code for c in SEXES)
_ETHNICITY = {c.code: c for c in ETHNICITIES}


def ethnic_group(ethnicity: str | None) -> str:
    """The high-level group of a recorded ethnicity; "not_recorded" for none (or an unknown code)."""
    entry = _ETHNICITY.get(ethnicity or NOT_RECORDED)
    return entry.group if entry else NOT_RECORDED


def ethnicity_label(ethnicity: str | None) -> str | None:
    entry = _ETHNICITY.get(ethnicity) if ethnicity else None
    return entry.label if entry else None


def sex_group(sex: str | None) -> str:
    """A recorded sex as counted; "not_recorded" for none."""
    return sex if sex in SEX_CODES else NOT_RECORDED
