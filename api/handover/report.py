"""The handover report of one team and one night: printable HTML and CSV, every download audited.

The night of D is the out-of-hours stretch that starts on D at 17:00 London (or is D itself at
a weekend or bank holiday); the report lists the items due at the handover that ends it, so a
Friday, Saturday and Sunday night share Monday morning's report. Titles and file names carry
the team slug and the date only, never personal data.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.handover import contents, nrm
from api.handover.models import HandoverItem, ItemState
from api.handover.service import team_for
from api.incidents.models import Incident
from api.rota.hours import OFFICE_CLOSES, handover_due
from api.rota.schedule import LONDON
from api.teams.models import Team

STYLESHEET = Path(__file__).with_name("report.css")
STYLESHEET_URL = "/api/v1/handover/report.css"
# Spreadsheet programs run cells that start with these as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class NightReport:
    team: Team
    night: date
    handover_at: datetime
    generated_at: datetime
    generated_by: str
    items: list[dict[str, Any]]

    @property
    def title(self) -> str:
        return f"Lantern handover report · {self.team.slug} · {self.night.isoformat()}"

    def filename(self, extension: str) -> str:
        return f"lantern-handover-{self.team.slug}-{self.night.isoformat()}.{extension}"


def handover_for_night(night: date) -> datetime:
    """The handover (09:00 London, a working day) that ends the night of `night`."""
    return handover_due(datetime.combine(night, OFFICE_CLOSES, tzinfo=LONDON))


async def night_report(
    session: AsyncSession, actor: Actor, team_slug: str, night: date, fmt: str
) -> NightReport:
    """Gather the night's items of a team (all states) and audit the download."""
    team = await team_for(session, actor, team_slug)
    handover_at = handover_for_night(night)
    items = list(
        (
            await session.execute(
                select(HandoverItem)
                .join(Incident, col(Incident.id) == col(HandoverItem.incident_id))
                .where(col(HandoverItem.team_id) == team.id, col(HandoverItem.due_at) == handover_at)
                .order_by(col(Incident.priority), col(Incident.occurred_at), col(HandoverItem.id))
            )
        ).scalars()
    )
    now = utcnow()
    views = [await contents.item_view(session, item, now) for item in items]
    # One audit event per young person in the report (so each child's trail shows it), or one
    # for an empty report: every download is recorded.
    people = list(dict.fromkeys(v["young_person"]["id"] for v in views)) or [None]
    for person_id in people:
        audit.record(
            session,
            actor,
            "handover.report.download",
            resource_type="handover_report",
            team_id=team.id,
            young_person_id=uuid.UUID(person_id) if person_id else None,
            detail={
                "format": fmt,
                "night": night.isoformat(),
                "items": len(views),
                "item_ids": [v["id"] for v in views],
            },
        )
    return NightReport(team, night, handover_at, now, actor.user.display_name, views)


# --- Formatting helpers --------------------------------------------------------------------


def uk_date(value: str | None) -> str:
    """A date as the app shows it (dd/mm/yyyy), for the printable report and the PDF; the CSV
    keeps ISO 8601 for the systems that import it."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10])
    return day.strftime("%d/%m/%Y")


def _local(value: str | datetime | None) -> str:
    if not value:
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def _name(person: dict[str, Any] | None) -> str:
    return person.get("display_name", "") if person else ""


def _page_lines(item: dict[str, Any]) -> list[str]:
    lines = []
    for page in item["pages"]:
        team = (page.get("team") or {}).get("slug") or ""
        line = f"{team}: page {page.get('state', '')}"
        if page.get("uncovered_at"):
            line += f", uncovered {_local(page['uncovered_at'])}"
        lines.append(line)
        for ack in page.get("acknowledgements", []):
            eta = f", ETA {ack['eta_minutes']} min" if ack.get("eta_minutes") is not None else ""
            lines.append(
                f"{team}: {_name(ack.get('user'))} – {ack.get('action', '')}{eta} ({_local(ack.get('at'))})"
            )
    return lines


def _offer_lines(item: dict[str, Any]) -> list[str]:
    out = []
    for offer in item["support_offers"]:
        label = offer.get("kind_label") or offer.get("kind", "")
        line = f"{label}: {str(offer.get('outcome', '')).replace('_', ' ')}"
        if offer.get("notes"):
            line += f" – {offer['notes']}"
        out.append(line)
    return out


def _note_lines(item: dict[str, Any]) -> list[str]:
    return [f"{n.get('text', '')} ({_name(n.get('recorded_by'))})" for n in item["handover_notes"]]


def _clock_lines(item: dict[str, Any], *, open_only: bool) -> list[str]:
    clocks = item["open_clocks"] if open_only else item["clocks"]
    out = []
    for c in clocks:
        state = "met " + _local(c["met_at"]) if c["met"] else c["status"]
        owner = f", owner {_name(c['owner'])}" if c.get("owner") else ", no owner"
        out.append(f"{c['label']}: due {_local(c['due_at'])} ({state}{owner})")
    return out


def _nrm_lines(item: dict[str, Any]) -> list[str]:
    view = item.get("nrm")
    if not view:
        return []
    lines = [f"{view['prompt']}: {'; '.join(view['reasons'])}", view["consent_note"]]
    if view.get("s45_flag"):
        lines.append(view["s45_flag"])
    lines.append(nrm.decision_line(view))
    return lines


def _young_person_name(item: dict[str, Any]) -> str:
    yp = item["young_person"]
    return f"{yp['first_name']} {yp['last_name']}"


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "reference",
    "kind",
    "priority",
    "incident_state",
    "item_state",
    "occurred_at",
    "reported_at",
    "due_at",
    "station",
    "location",
    "young_person",
    "date_of_birth",
    "legal_status",
    "missing_episodes_30d",
    "missing_episodes_90d",
    "earlier_incidents",
    "indicators_seen_before",
    "teams_involved",
    "triage_reasons",
    "indicators",
    "custody_status",
    "pages_and_acknowledgements",
    "support_offers",
    "handover_notes",
    "clocks",
    "nrm",
    "people_present",
    "owner",
    "picked_up_at",
    "escalated_at",
    "closed_at",
    "closing_note",
]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    return text


def render_csv(report: NightReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in report.items:
        incident, yp = item["incident"], item["young_person"]
        row = {
            "reference": incident["reference"],
            "kind": incident["kind"],
            "priority": incident["priority"],
            "incident_state": incident["state"],
            "item_state": item["state"],
            "occurred_at": incident["occurred_at"],
            "reported_at": incident["reported_at"],
            "due_at": item["due_at"],
            "station": incident["station"]["name"],
            "location": item["places_and_peers"]["location"]["description"],
            "young_person": _young_person_name(item),
            "date_of_birth": yp["date_of_birth"],
            "legal_status": yp["legal_status"],
            "missing_episodes_30d": yp["missing_episodes_30d"],
            "missing_episodes_90d": yp["missing_episodes_90d"],
            "earlier_incidents": "; ".join(
                f"{e['reference']} {e['kind']} {e['occurred_at']}" for e in yp["earlier_incidents"]
            ),
            "indicators_seen_before": "; ".join(
                f"{i['code']} x{i['times']}" for i in yp["indicators_seen_before"]
            ),
            "teams_involved": "; ".join(t["slug"] for t in yp["teams_involved"]),
            "triage_reasons": "; ".join(item["decisions"]["reasons"]),
            "indicators": "; ".join(
                f"{i['code']} ({i['provenance']})" for i in item["current_risk"]["indicators"]
            ),
            "custody_status": item["current_risk"]["custody_status"],
            "pages_and_acknowledgements": "; ".join(_page_lines(item)),
            "support_offers": "; ".join(_offer_lines(item)),
            "handover_notes": "; ".join(_note_lines(item)),
            "clocks": "; ".join(_clock_lines(item, open_only=False)),
            "nrm": "; ".join(_nrm_lines(item)),
            "people_present": "; ".join(
                f"{p.get('role', '')}: {p.get('description') or ''}".strip()
                for p in item["places_and_peers"]["people_present"]
            ),
            "owner": _name(item["owner"]),
            "picked_up_at": item["picked_up_at"],
            "escalated_at": item["escalated_at"],
            "closed_at": item["closed_at"],
            "closing_note": item["closing_note"],
        }
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


# --- HTML ----------------------------------------------------------------------------------


def _list(lines: list[str], empty: str) -> str:
    if not lines:
        return f'<p class="none">{escape(empty)}</p>'
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def _dl(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(str(v)) if v not in (None, '') else '–'}</dd>" for k, v in pairs
    )
    return f"<dl>{rows}</dl>"


def _item_html(item: dict[str, Any]) -> str:
    incident, yp = item["incident"], item["young_person"]
    location = item["places_and_peers"]["location"]
    place = location["description"] + (f" (area {location['area']})" if location["area"] else "")
    if location["earlier_incidents_here"]:
        place += f" – {location['earlier_incidents_here']} earlier incident(s) at this place"
    peers = [
        f"{p.get('role', '')}: {p.get('description') or ''}".strip(": ")
        for p in item["places_and_peers"]["people_present"]
    ]
    earlier = [
        " · ".join(
            [e["reference"], e["kind"].replace("_", " "), _local(e["occurred_at"]), ", ".join(e["teams"])]
        )
        for e in yp["earlier_incidents"]
    ]
    seen_before = [f"{i['label']} ({i['code']}) ×{i['times']}" for i in yp["indicators_seen_before"]]
    risk = item["current_risk"]
    indicators = [f"{i['label']} ({i['code']}, {i['provenance']})" for i in risk["indicators"]]
    what = item["what_happened"]
    apparent = f"apparent age {yp['apparent_age']}" if yp["apparent_age"] else ""
    born = uk_date(yp["date_of_birth"]) or apparent
    missing = f"{yp['missing_episodes_30d']} in 30 days, {yp['missing_episodes_90d']} in 90 days"
    heading = " · ".join([incident["reference"], incident["priority"], incident["kind_label"]])
    summary = _dl(
        [
            ("Occurred", _local(incident["occurred_at"])),
            ("Reported by", incident["station"]["name"]),
            ("Handover state", item["state"].replace("_", " ")),
            ("Owner", _name(item["owner"])),
            ("Picked up", _local(item["picked_up_at"])),
            ("Raised to managers", _local(item["escalated_at"])),
            ("Closed", _local(item["closed_at"])),
            ("Closing note", item["closing_note"]),
        ]
    )
    person = _dl(
        [
            ("Name", _young_person_name(item)),
            ("Date of birth", born),
            ("Legal status", yp["legal_status"].replace("_", " ")),
            ("LA reference", yp["la_reference"]),
            ("Missing episodes", missing),
            ("Teams involved", ", ".join(t["name"] for t in yp["teams_involved"])),
        ]
    )
    circumstances = f"<p>{escape(what['circumstances'])}</p>" if what.get("circumstances") else ""
    parts = [
        f'<section class="item {escape(incident["priority"].lower())}">',
        f"<h2>{escape(heading)}</h2>",
        summary,
        "<h3>Young person</h3>",
        person,
        "<h4>Earlier incidents</h4>",
        _list(earlier, "None recorded."),
        "<h4>Indicators seen before</h4>",
        _list(seen_before, "None recorded."),
        "<h3>What happened</h3>",
        f"<p>{escape(what['summary'])}</p>",
        circumstances,
        "<h3>Decisions and why</h3>",
        _list(item["decisions"]["reasons"], "No triage reasons recorded."),
        "<h3>Overnight response</h3>",
        "<h4>Pages and acknowledgements</h4>",
        _list(_page_lines(item), "No pages."),
        "<h4>Support offered and the answers</h4>",
        _list(_offer_lines(item), "No support offers recorded."),
        "<h4>Worker's handover notes</h4>",
        _list(_note_lines(item), "No handover notes."),
        "<h3>Current risk</h3>",
        _dl(
            [
                ("Priority", incident["priority"]),
                ("Custody", (risk["custody_status"] or "").replace("_", " ")),
            ]
        ),
        _list(indicators, "No indicators recorded."),
        *(["<h3>National Referral Mechanism</h3>", _list(_nrm_lines(item), "")] if item.get("nrm") else []),
        "<h3>Places and peers of concern</h3>",
        _list([place, *peers], "None recorded."),
        "<h3>Clocks</h3>",
        _list(_clock_lines(item, open_only=False), "No clocks."),
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


MARKING = (
    "OFFICIAL-SENSITIVE · contains personal data about children · do not leave printed copies unattended"
)


def render_html(report: NightReport) -> str:
    """The printable page: no script, styles from the report stylesheet only (CSP style-src 'self')."""
    waiting = sum(1 for i in report.items if i["state"] == ItemState.AWAITING_PICKUP)
    header = _dl(
        [
            ("Team", f"{report.team.name} ({report.team.slug})"),
            ("Night of", report.night.strftime("%a %d %b %Y")),
            ("Handover", _local(report.handover_at)),
            ("Items", f"{len(report.items)} ({waiting} awaiting pick-up)"),
            ("Printed", f"{_local(report.generated_at)} by {report.generated_by}"),
        ]
    )
    items = [_item_html(item) for item in report.items] or ['<p class="none">No items for this night.</p>']
    footer = f"OFFICIAL-SENSITIVE · Lantern · {report.team.slug} · {report.night.isoformat()}"
    lines = [
        "<!doctype html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>{escape(report.title)}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET_URL}">',
        "</head>",
        "<body>",
        "<header>",
        f'<p class="marking">{escape(MARKING)}</p>',
        "<h1>Handover report</h1>",
        header,
        "</header>",
        "<main>",
        *items,
        "</main>",
        f'<footer><p class="marking">{escape(footer)}</p></footer>',
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")
