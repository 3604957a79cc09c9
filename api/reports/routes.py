"""The partnership reports over HTTP: managers, for the stations in their teams' areas and for
their teams. Each as JSON and each of its tables as CSV; every read audited (in the flow)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth.dependencies import CurrentActor, roles
from api.db import utcnow
from api.deps import SessionDep
from api.errors import ValidationFailed
from api.flows.partnership_reports import choices, custody_report, response_report
from api.reports.months import Month, check_month, month_of
from api.reports.schemas import CustodyReportOut, ReportBase, ReportChoicesOut, ReportTable, ResponseReportOut
from api.reports.tables import breakdown_csv, categories, times_csv, trend_csv
from api.textinput import IdentifyingText

router = APIRouter(prefix="/api/v1", tags=["reports"])

REPORT_ROLES = ("manager",)
StationSlug = Annotated[IdentifyingText, Query(min_length=1, max_length=64, description="Station slug")]
TeamSlug = Annotated[IdentifyingText, Query(min_length=1, max_length=64, description="Team slug")]
MonthParam = Annotated[
    IdentifyingText | None,
    Query(
        min_length=7,
        max_length=7,
        description="The month as YYYY-MM (Europe/London); default the current one. Not after it, "
        "and within the last 10 years",
    ),
]
Table = Annotated[ReportTable, Query(description="Which table: breakdown (default), times or trend")]
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a station in your teams' areas, or not one of your teams"},
    422: {"description": "Unknown station or team, or a month out of range"},
}
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The table as CSV (counts only)"},
    **_PROBLEMS,
}


def _month(value: str | None) -> Month:
    now = utcnow()
    if value is None:
        return month_of(now)
    try:
        return check_month(value, now)
    except ValueError as error:
        raise ValidationFailed.field("month", str(error)) from None


def _csv(
    report: ReportBase, table: str, name: str, extra: dict[str, dict[str, object]] | None = None
) -> Response:
    if table == "times":
        text = times_csv(report.times)
    elif table == "trend":
        text = trend_csv(report.trend, report.trend_keys, extra or {})
    else:
        text = breakdown_csv(report.rows, categories())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="lantern-{name}-{report.month}-{table}.csv"'},
    )


@router.get("/reports/choices", response_model=ReportChoicesOut, dependencies=[roles(*REPORT_ROLES)])
async def get_report_choices(session: SessionDep, actor: CurrentActor) -> ReportChoicesOut:
    """The stations (in your teams' areas) and teams you may read the partnership reports of."""
    return await choices(session, actor)


@router.get(
    "/reports/custody",
    response_model=CustodyReportOut,
    dependencies=[roles(*REPORT_ROLES)],
    responses=_PROBLEMS,
)
async def get_custody_report(
    session: SessionDep, actor: CurrentActor, station: StationSlug, month: MonthParam = None
) -> CustodyReportOut:
    """Custody and youth justice at a station in a month: children detained, held overnight, refused
    bail, transferred or certified impracticable (with the ground), hours held, the wait for an
    appropriate adult; by age band, sex and ethnic group, small numbers suppressed; 12-month trend."""
    return await custody_report(session, actor, station, _month(month))


@router.get(
    "/reports/custody.csv",
    response_class=Response,
    dependencies=[roles(*REPORT_ROLES)],
    responses=_CSV,
)
async def get_custody_report_csv(
    session: SessionDep,
    actor: CurrentActor,
    station: StationSlug,
    month: MonthParam = None,
    table: Table = "breakdown",
) -> Response:
    """One table of the custody report as CSV; the download is audited."""
    report = await custody_report(session, actor, station, _month(month), form=f"csv:{table}")
    return _csv(report, table, f"custody-{report.station.slug}")


@router.get(
    "/reports/response",
    response_model=ResponseReportOut,
    dependencies=[roles(*REPORT_ROLES)],
    responses=_PROBLEMS,
)
async def get_response_report(
    session: SessionDep, actor: CurrentActor, team: TeamSlug, month: MonthParam = None
) -> ResponseReportOut:
    """A team's response in a month: time to acknowledge (median, 90th percentile), uncovered and
    escalated pages, rota gaps, handover pick-up times, clocks met and missed; by age band, sex and
    ethnic group, small numbers suppressed; 12-month trend."""
    return await response_report(session, actor, team, _month(month))


@router.get(
    "/reports/response.csv",
    response_class=Response,
    dependencies=[roles(*REPORT_ROLES)],
    responses=_CSV,
)
async def get_response_report_csv(
    session: SessionDep,
    actor: CurrentActor,
    team: TeamSlug,
    month: MonthParam = None,
    table: Table = "breakdown",
) -> Response:
    """One table of the response report as CSV (the trend with the rota gaps); the download is audited."""
    report = await response_report(session, actor, team, _month(month), form=f"csv:{table}")
    extra: dict[str, dict[str, object]] = {
        m: {"rota_gap_stretches": g.stretches, "rota_gap_hours": g.hours}
        for m, g in report.rota_gap_trend.items()
    }
    return _csv(report, table, f"response-{report.team.slug}", extra)
