"""The partnership reports: custody and youth justice per station and month, the response per team
and month (issue 15). A read model above incidents, people, paging, handover and the rota; the
tables, suppression and CSV are api.reports'. Counts only: nothing about one child leaves.

Months are calendar months in Europe/London. Each report carries the 12 months ending with the
one asked for (the trend), each month's table suppressed on its own, so a month's figures are the
same wherever they are shown. Reading a report (JSON or any CSV) is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import Forbidden, ValidationFailed
from api.handover.clocks import S38_OUTCOMES, S38_PERMITTED_GROUNDS
from api.handover.models import Clock, HandoverItem
from api.hubs.service import WITHDRAWN
from api.incidents.models import Incident, IncidentTeam
from api.paging.models import Page
from api.people.models import YoungPerson
from api.people.monitoring import ethnic_group, sex_group
from api.reports.months import (
    Month,
    age_band,
    band_of,
    month_label,
    month_of,
    month_start,
    months_ending,
    next_month,
    spans_midnight,
)
from api.reports.schemas import (
    CustodyReportOut,
    PlaceRef,
    ReportChoicesOut,
    ResponseReportOut,
    RotaGapsOut,
    TrendMonth,
)
from api.reports.tables import SUPPRESSION_NOTE, Case, RowDef, Table, TimeDef, build, categories, trend_point
from api.rota import service as rota
from api.rota.hours import out_of_hours_windows
from api.teams.models import Station, Team

# --- Custody and youth justice -------------------------------------------------------------

HELD_BANDS: tuple[tuple[str, float | None], ...] = (
    ("held:under_6h", 6 * 60),
    ("held:6_12h", 12 * 60),
    ("held:12_24h", 24 * 60),
    ("held:24h_plus", None),
)
AA_BANDS: tuple[tuple[str, float | None], ...] = (
    ("aa:under_1h", 60),
    ("aa:1_2h", 120),
    ("aa:2_4h", 240),
    ("aa:4h_plus", None),
)
GROUND_LABELS = {
    "extreme_weather": "Ground: extreme weather",
    "court_appearance_imminent": "Ground: court appearance imminent",
    "transfer_physically_impossible": "Ground: transfer physically impossible",
}
CUSTODY_ROWS: tuple[RowDef, ...] = (
    RowDef("detained", "Children detained"),
    RowDef("held_overnight", "Held overnight (in custody over midnight)"),
    RowDef("charged", "Charged"),
    RowDef("refused_bail", "Charged and refused bail"),
    RowDef("s38:transferred", "Transferred to local-authority accommodation", "refused_bail"),
    RowDef("s38:secure_accommodation_requested", "Secure accommodation requested", "refused_bail"),
    RowDef("s38:certified_impracticable", "Transfer certified impracticable", "refused_bail"),
    RowDef("s38:not_recorded", "Outcome not yet recorded", "refused_bail"),
    *(RowDef(f"ground:{g}", GROUND_LABELS[g], "s38:certified_impracticable") for g in S38_PERMITTED_GROUNDS),
    RowDef("detention_ended", "Released or transferred (time recorded)"),
    RowDef("held:under_6h", "Held under 6 hours", "detained", "held"),
    RowDef("held:6_12h", "Held 6 to 12 hours", "detained", "held"),
    RowDef("held:12_24h", "Held 12 to 24 hours", "detained", "held"),
    RowDef("held:24h_plus", "Held 24 hours or more", "detained", "held"),
    RowDef("held:not_ended", "Release or transfer not recorded", "detained", "held"),
    RowDef("aa_arrived", "Appropriate adult arrived (time recorded)"),
    RowDef("aa:under_1h", "Appropriate adult within 1 hour", "detained", "aa"),
    RowDef("aa:1_2h", "Appropriate adult in 1 to 2 hours", "detained", "aa"),
    RowDef("aa:2_4h", "Appropriate adult in 2 to 4 hours", "detained", "aa"),
    RowDef("aa:4h_plus", "Appropriate adult after 4 hours or more", "detained", "aa"),
    RowDef("aa:not_recorded", "Appropriate adult arrival not recorded", "detained", "aa"),
)
CUSTODY_TIMES: tuple[TimeDef, ...] = (
    TimeDef("hours_held", "Hours held (detention to release or transfer)", "hours", "detention_ended"),
    TimeDef("aa_wait", "Minutes until the appropriate adult arrived", "minutes", "aa_arrived"),
)
CUSTODY_TREND = (
    "detained",
    "held_overnight",
    "refused_bail",
    "s38:transferred",
    "s38:certified_impracticable",
)
CUSTODY_TREND_TIMES = ("hours_held", "aa_wait")


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def custody_case(incident: Incident, person: YoungPerson, s38: Clock | None) -> Case:
    """One detention: the rows it counts in, and its hours held and wait for an appropriate adult."""
    assert incident.detained_at is not None
    detained = incident.detained_at
    custody = incident.custody or {}
    rows = {"detained"}
    times: dict[str, float] = {}
    transferred_at = _instant(custody.get("transferred_at"))
    ends = [t for t in (incident.released_at, transferred_at) if t is not None and t >= detained]
    if ends:
        end = min(ends)
        rows.add("detention_ended")
        held = _minutes(detained, end)
        rows.add(band_of(held, HELD_BANDS))
        times["hours_held"] = round(held / 60, 2)
        if spans_midnight(detained, end):
            rows.add("held_overnight")
    else:
        rows.add("held:not_ended")
    if incident.charged:
        rows.add("charged")
        if incident.bail_refused:
            rows.add("refused_bail")
            outcome = s38.outcome if s38 is not None and s38.met_at is not None else None
            if outcome is None and transferred_at is not None:
                outcome = "transferred"
            rows.add(f"s38:{outcome}" if outcome in S38_OUTCOMES else "s38:not_recorded")
            if outcome == "certified_impracticable":
                ground = (s38.detail or {}).get("ground") if s38 is not None else None
                if ground in S38_PERMITTED_GROUNDS:
                    rows.add(f"ground:{ground}")
    arrived = _instant(custody.get("appropriate_adult_arrived_at"))
    if arrived is not None and arrived >= detained:
        wait = _minutes(detained, arrived)
        rows.add("aa_arrived")
        rows.add(band_of(wait, AA_BANDS))
        times["aa_wait"] = round(wait, 1)
    else:
        rows.add("aa:not_recorded")
    return _case(person, incident.occurred_at, rows, times)


def _case(person: YoungPerson, on: datetime, rows: set[str], times: dict[str, float] | None = None) -> Case:
    return Case(
        age_band=age_band(person.date_of_birth, person.apparent_age, on),
        sex=sex_group(person.sex),
        ethnicity=ethnic_group(person.ethnicity),
        rows=rows,
        times=times or {},
    )


async def station_for(session: AsyncSession, actor: Actor, slug: str) -> Station:
    """The station, when one of the manager's teams is in its area."""
    station = (await session.execute(select(Station).where(col(Station.slug) == slug))).scalar_one_or_none()
    if station is None:
        raise ValidationFailed.field("station", "unknown station")
    areas = set(
        (await session.execute(select(col(Team.area_id)).where(col(Team.id).in_(actor.team_ids)))).scalars()
    )
    if station.area_id not in areas:
        raise Forbidden("That station is not in the area of one of your teams.")
    return station


async def custody_report(
    session: AsyncSession, actor: Actor, station_slug: str, month: Month, *, form: str = "json"
) -> CustodyReportOut:
    station = await station_for(session, actor, station_slug)
    months = months_ending(month)
    since, until = month_start(months[0]), month_start(next_month(month))
    found = (
        await session.execute(
            select(Incident, YoungPerson)
            .join(YoungPerson, col(YoungPerson.id) == col(Incident.young_person_id))
            .where(
                col(Incident.station_id) == station.id,
                col(Incident.detained_at) >= since,
                col(Incident.detained_at) < until,
            )
        )
    ).all()
    s38_clocks: dict[uuid.UUID, Clock] = {}
    if found:
        for clock in (
            await session.execute(
                select(Clock).where(
                    col(Clock.kind) == "bail_refused_transfer",
                    col(Clock.incident_id).in_([i.id for i, _ in found]),
                )
            )
        ).scalars():
            s38_clocks[clock.incident_id] = clock
    per_month: dict[Month, list[Case]] = {m: [] for m in months}
    for incident, person in found:
        assert incident.detained_at is not None
        key = month_of(incident.detained_at)
        if key in per_month:
            per_month[key].append(custody_case(incident, person, s38_clocks.get(incident.id)))
    tables = {m: build(per_month[m], CUSTODY_ROWS, CUSTODY_TIMES) for m in months}
    _audit(
        session,
        actor,
        "reports.custody.read",
        {"station": station.slug, "month": month_label(month), "format": form},
    )
    return CustodyReportOut(
        station=PlaceRef(slug=station.slug, name=station.name),
        **_common(month, tables, CUSTODY_TREND, CUSTODY_TREND_TIMES),
    )


# --- The response ----------------------------------------------------------------------------

ACK_BANDS: tuple[tuple[str, float | None], ...] = (
    ("ack:under_5m", 5),
    ("ack:5_15m", 15),
    ("ack:15_30m", 30),
    ("ack:30m_plus", None),
)
# After the due time (09:00); the item is raised to the team's managers at 10:30.
PICKUP_BANDS: tuple[tuple[str, float | None], ...] = (
    ("pickup:by_due", 0.001),
    ("pickup:within_90m", 90.001),
    ("pickup:later", None),
)
RESPONSE_ROWS: tuple[RowDef, ...] = (
    RowDef("paged", "Incidents paged to the team"),
    RowDef("acknowledged", "Acknowledged"),
    RowDef("ack:under_5m", "Acknowledged within 5 minutes", "paged"),
    RowDef("ack:5_15m", "Acknowledged in 5 to 15 minutes", "paged"),
    RowDef("ack:15_30m", "Acknowledged in 15 to 30 minutes", "paged"),
    RowDef("ack:30m_plus", "Acknowledged after 30 minutes or more", "paged"),
    RowDef("ack:none", "Not acknowledged", "paged"),
    RowDef("escalated", "Escalated beyond the first level"),
    RowDef("uncovered", "Uncovered (every level went unanswered)"),
    RowDef("handover_items", "Handover items due"),
    RowDef("picked_up", "Picked up"),
    RowDef("pickup:by_due", "Picked up by the due time", "handover_items"),
    RowDef("pickup:within_90m", "Picked up within 90 minutes of it", "handover_items"),
    RowDef("pickup:later", "Picked up later", "handover_items"),
    RowDef("pickup:not_picked_up", "Not picked up", "handover_items"),
    RowDef("handover_escalated", "Raised to managers (not picked up by 10:30)"),
    RowDef("clocks_due", "Clocks due"),
    RowDef("clock:met_on_time", "Met on time", "clocks_due"),
    RowDef("clock:met_late", "Met late", "clocks_due"),
    RowDef("clock:missed", "Missed (overdue, not met)", "clocks_due"),
    RowDef("clock:open", "Not yet due", "clocks_due"),
)
RESPONSE_TIMES: tuple[TimeDef, ...] = (
    TimeDef("ack_minutes", "Minutes to acknowledge (from the first page)", "minutes", "acknowledged"),
    TimeDef(
        "pickup_minutes", "Minutes from the due time to pick-up (0 when before it)", "minutes", "picked_up"
    ),
)
RESPONSE_TREND = ("paged", "uncovered", "escalated", "clock:met_on_time", "clock:missed")
RESPONSE_TREND_TIMES = ("ack_minutes", "pickup_minutes")
# PACE reviews are a police duty, shown to workers for information: not the team's to meet.
NOT_THE_TEAMS_CLOCKS = ("pace_review",)


def page_case(page: Page, incident: Incident, person: YoungPerson) -> Case:
    rows = {"paged"}
    times: dict[str, float] = {}
    if page.acknowledged_at is not None:
        minutes = max(0.0, _minutes(page.started_at, page.acknowledged_at))
        rows |= {"acknowledged", band_of(minutes, ACK_BANDS)}
        times["ack_minutes"] = round(minutes, 1)
    else:
        rows.add("ack:none")
    if page.uncovered_at is not None:
        rows.add("uncovered")
    if page.level_index > 0 or page.repeat_count > 0 or page.uncovered_at is not None:
        rows.add("escalated")
    return _case(person, incident.occurred_at, rows, times)


def item_case(item: HandoverItem, incident: Incident, person: YoungPerson) -> Case:
    rows = {"handover_items"}
    times: dict[str, float] = {}
    if item.picked_up_at is not None:
        minutes = max(0.0, _minutes(item.due_at, item.picked_up_at))
        rows |= {"picked_up", band_of(minutes, PICKUP_BANDS)}
        times["pickup_minutes"] = round(minutes, 1)
    else:
        rows.add("pickup:not_picked_up")
    if item.escalated_at is not None:
        rows.add("handover_escalated")
    return _case(person, incident.occurred_at, rows, times)


def clock_case(clock: Clock, incident: Incident, person: YoungPerson, now: datetime) -> Case:
    if clock.met_at is not None:
        state = "clock:met_on_time" if clock.met_at <= clock.due_at else "clock:met_late"
    else:
        state = "clock:missed" if clock.due_at < now else "clock:open"
    return _case(person, incident.occurred_at, {"clocks_due", state})


async def team_for(session: AsyncSession, actor: Actor, slug: str) -> Team:
    team = (await session.execute(select(Team).where(col(Team.slug) == slug))).scalar_one_or_none()
    if team is None:
        raise ValidationFailed.field("team", "unknown team")
    if team.id not in actor.team_ids:
        raise Forbidden("You are not a manager of that team.")
    return team


async def response_report(
    session: AsyncSession, actor: Actor, team_slug: str, month: Month, *, form: str = "json"
) -> ResponseReportOut:
    team = await team_for(session, actor, team_slug)
    now = utcnow()
    months = months_ending(month)
    since, until = month_start(months[0]), month_start(next_month(month))
    per_month: dict[Month, list[Case]] = {m: [] for m in months}

    # A team's page of an incident (one per incident and team), by when paging started.
    for page, incident, person in (
        await session.execute(
            select(Page, Incident, YoungPerson)
            .join(Incident, col(Incident.id) == col(Page.incident_id))
            .join(YoungPerson, col(YoungPerson.id) == col(Incident.young_person_id))
            .where(col(Page.team_id) == team.id, col(Page.started_at) >= since, col(Page.started_at) < until)
        )
    ).all():
        per_month[month_of(page.started_at)].append(page_case(page, incident, person))

    for item, incident, person in (
        await session.execute(
            select(HandoverItem, Incident, YoungPerson)
            .join(Incident, col(Incident.id) == col(HandoverItem.incident_id))
            .join(YoungPerson, col(YoungPerson.id) == col(Incident.young_person_id))
            .where(
                col(HandoverItem.team_id) == team.id,
                col(HandoverItem.due_at) >= since,
                col(HandoverItem.due_at) < until,
            )
        )
    ).all():
        per_month[month_of(item.due_at)].append(item_case(item, incident, person))

    for clock, incident, person in (
        await session.execute(
            select(Clock, Incident, YoungPerson)
            .join(Incident, col(Incident.id) == col(Clock.incident_id))
            .join(IncidentTeam, col(IncidentTeam.incident_id) == col(Incident.id))
            .join(YoungPerson, col(YoungPerson.id) == col(Incident.young_person_id))
            .where(
                col(IncidentTeam.team_id) == team.id,
                col(Clock.kind).not_in(NOT_THE_TEAMS_CLOCKS),
                # A withdrawn hub decision's clock was closed, not met: it is left out.
                col(Clock.outcome).is_(None) | (col(Clock.outcome) != WITHDRAWN),
                col(Clock.due_at) >= since,
                col(Clock.due_at) < until,
            )
        )
    ).all():
        per_month[month_of(clock.due_at)].append(clock_case(clock, incident, person, now))

    tables = {m: build(per_month[m], RESPONSE_ROWS, RESPONSE_TIMES) for m in months}
    gaps = {m: await rota_gaps(session, team.id, m, now) for m in months}
    _audit(
        session,
        actor,
        "reports.response.read",
        {"team": team.slug, "month": month_label(month), "format": form},
    )
    return ResponseReportOut(
        team=PlaceRef(slug=team.slug, name=team.name),
        rota_gaps=gaps[month],
        rota_gap_trend={month_label(m): g for m, g in gaps.items()},
        **_common(month, tables, RESPONSE_TREND, RESPONSE_TREND_TIMES),
    )


@dataclass(frozen=True)
class _Gap:
    starts_at: datetime
    ends_at: datetime


async def rota_gaps(session: AsyncSession, team_id: uuid.UUID, month: Month, now: datetime) -> RotaGapsOut:
    """Stretches of the month's out-of-hours time (up to now) with nobody on call at primary;
    a gap running across the end of one window into the next is one stretch."""
    start, end = month_start(month), min(month_start(next_month(month)), now)
    if end <= start:
        return RotaGapsOut(stretches=0, hours=0.0)
    team_rota = await rota.load_rota(session, team_id, start, end)
    found: list[_Gap] = []
    for window_start, window_end in out_of_hours_windows(start, end):
        for slot in team_rota.coverage("primary", window_start, window_end):
            if slot.user_ids:
                continue
            if found and found[-1].ends_at == slot.starts_at:
                found[-1] = _Gap(found[-1].starts_at, slot.ends_at)
            else:
                found.append(_Gap(slot.starts_at, slot.ends_at))
    total = sum((g.ends_at - g.starts_at for g in found), timedelta())
    return RotaGapsOut(stretches=len(found), hours=round(total.total_seconds() / 3600, 1))


async def choices(session: AsyncSession, actor: Actor) -> ReportChoicesOut:
    """The stations in the areas of the caller's teams and the teams themselves, by name."""
    teams = list(
        (
            await session.execute(
                select(Team).where(col(Team.id).in_(actor.team_ids)).order_by(col(Team.name))
            )
        ).scalars()
    )
    stations = (
        list(
            (
                await session.execute(
                    select(Station)
                    .where(col(Station.area_id).in_({t.area_id for t in teams}))
                    .order_by(col(Station.name))
                )
            ).scalars()
        )
        if teams
        else []
    )
    return ReportChoicesOut(
        stations=[PlaceRef(slug=s.slug, name=s.name) for s in stations],
        teams=[PlaceRef(slug=t.slug, name=t.name) for t in teams],
        current_month=month_label(month_of(utcnow())),
    )


# --- Shared ----------------------------------------------------------------------------------


def _common(
    month: Month, tables: dict[Month, Table], trend_rows: Sequence[str], trend_times: Sequence[str]
) -> dict[str, Any]:
    table = tables[month]
    trend: list[TrendMonth] = [
        trend_point(month_label(m), t, trend_rows, trend_times) for m, t in tables.items()
    ]
    return {
        "month": month_label(month),
        "starts_at": month_start(month),
        "ends_at": month_start(next_month(month)),
        **categories(),
        "rows": table.rows,
        "times": table.times,
        "trend": trend,
        "trend_keys": [*trend_rows, *trend_times],
        "suppression": SUPPRESSION_NOTE,
        "generated_at": utcnow(),
    }


def _audit(session: AsyncSession, actor: Actor, action: str, detail: dict[str, str]) -> None:
    audit.record(session, actor, action, resource_type="report", detail=detail)
