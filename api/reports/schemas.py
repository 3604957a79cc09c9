"""Shapes of the partnership reports: counts only, small numbers suppressed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.monitoring.schemas import CategoryOut, Count

ReportTable = Literal["breakdown", "times", "trend"]


class BreakdownRow(BaseModel):
    key: str = Field(description="The figure's code, e.g. held_overnight or ack:under_5m")
    label: str
    part_of: str | None = Field(
        default=None, description="The row these rows (with the same part_of) add up to, if any"
    )
    age_band: dict[str, Count]
    sex: dict[str, Count]
    ethnicity: dict[str, Count] = Field(description="By ONS 2021 high-level ethnic group")
    total: Count


class TimeFigure(BaseModel):
    key: str
    label: str
    unit: Literal["minutes", "hours"]
    cases: Count = Field(description="How many cases the figure is over")
    median: float | None = Field(description="None when fewer than 5 cases")
    p90: float | None = Field(description="90th percentile (nearest rank); None when fewer than 5 cases")


class TrendMonth(BaseModel):
    month: str = Field(description="YYYY-MM (Europe/London)")
    counts: dict[str, Count] = Field(description="The totals of the month's table, suppressed as there")
    times: dict[str, float | None] = Field(description="The medians of the month (None: under 5 cases)")


class PlaceRef(BaseModel):
    slug: str
    name: str


class ReportBase(BaseModel):
    month: str = Field(description="YYYY-MM (Europe/London)")
    starts_at: datetime = Field(description="Midnight London on the month's first day")
    ends_at: datetime = Field(description="Midnight London on the next month's first day (exclusive)")
    age_bands: list[CategoryOut]
    sexes: list[CategoryOut]
    ethnic_groups: list[CategoryOut]
    rows: list[BreakdownRow]
    times: list[TimeFigure]
    trend: list[TrendMonth] = Field(description="The 12 months ending with this one, oldest first")
    trend_keys: list[str] = Field(description="The rows and times the trend carries, in chart order")
    suppression: str
    generated_at: datetime


class CustodyReportOut(ReportBase):
    """Children detained at a station in a month (by the time of detention, London): held
    overnight, charged, refused bail and what followed (transfer to local-authority accommodation,
    or a certificate of impracticability with its ground), hours held and the wait for an
    appropriate adult."""

    station: PlaceRef


class RotaGapsOut(BaseModel):
    stretches: int = Field(description="Stretches of out-of-hours time with nobody on call at primary")
    hours: float = Field(description="Their length in hours (to one decimal)")


class ResponseReportOut(ReportBase):
    """A team's response in a month: pages (by when paging started, London) and how fast they were
    acknowledged, uncovered and escalated pages, handover pick-ups (by due time) and clocks (by
    due time) met and missed, with the out-of-hours rota gaps."""

    team: PlaceRef
    rota_gaps: RotaGapsOut
    rota_gap_trend: dict[str, RotaGapsOut] = Field(description="Per month of the trend (YYYY-MM)")


class ReportChoicesOut(BaseModel):
    """What the caller may report on: stations in their teams' areas, their teams."""

    stations: list[PlaceRef]
    teams: list[PlaceRef]
    current_month: str = Field(description="YYYY-MM (Europe/London)")
