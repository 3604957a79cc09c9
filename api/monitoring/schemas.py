"""Shapes of the managers' disproportionality view."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

# A count as published: the number, or "<5" when it is small or could reveal a small one.
Count = int | Literal["<5"]
Measure = Literal["incidents", "priority", "custody", "indicator"]


class CategoryOut(BaseModel):
    code: str
    label: str


class IndicatorRefOut(BaseModel):
    code: str
    label: str
    counts_also: list[str] = Field(
        default_factory=list, description="Deprecated codes counted with it (the codes it replaced)"
    )


class CountRow(BaseModel):
    measure: Measure
    key: str = Field(description="P1, a custody status, an indicator code; empty for incidents")
    label: str
    ethnicity: dict[str, Count] = Field(description="By ONS 2021 high-level ethnic group")
    sex: dict[str, Count]
    total: Count


class QuarterOut(BaseModel):
    quarter: str = Field(description="Calendar quarter of the incidents' occurred_at (London), e.g. 2026-Q4")
    starts_on: date
    ends_on: date = Field(description="Last day of the quarter")
    rows: list[CountRow]


class DisproportionalityOut(BaseModel):
    """Incidents of the manager's teams, per quarter, by the young person's ethnic group and sex:
    priority, custody outcomes and chosen indicators. Small numbers are suppressed."""

    ethnic_groups: list[CategoryOut]
    sexes: list[CategoryOut]
    indicators: list[IndicatorRefOut]
    quarters: list[QuarterOut]
    suppression: str
