"""The hub pack as CSV and PDF (the handover report's machinery: its CSV cell rule against
spreadsheet formulas, its A4 document in Lantern's fonts). The title names the hub and week,
never a child."""

from __future__ import annotations

import csv
import io
from typing import Any

from api.handover.pdf import DocumentPdf
from api.handover.report import _cell, _local, uk_date
from api.hubs.schemas import DecisionOut, HubPack, PackYoungPerson

CSV_COLUMNS = [
    "section",
    "hub",
    "week",
    "young_person",
    "date_of_birth",
    "status",
    "incidents",
    "missing_episodes_30d",
    "missing_episodes_90d",
    "new_indicators",
    "places",
    "peers",
    "persons_of_concern",
    "open_clocks",
    "nrm",
    "decisions",
    "outstanding_actions",
    "place",
    "place_incidents",
    "previous_four_weeks",
    "change",
]


def title(pack: HubPack) -> str:
    return f"Hub pack {pack.hub.name} {pack.week}"


def filename(pack: HubPack, ext: str) -> str:
    return f"hub-pack-{pack.hub.slug}-{pack.week}.{ext}"


def _decision(d: DecisionOut) -> str:
    state = d.status if d.status != "outstanding" else ("overdue" if d.overdue else "outstanding")
    return f"{d.kind_label} ({d.week}; {d.owner.display_name}; due {d.due_on.isoformat()}; {state})"


def _nrm(p: PackYoungPerson) -> list[str]:
    return [f"{n.incident_reference}: {n.decision or 'not yet decided'}" for n in p.nrm]


def _peers(p: PackYoungPerson) -> list[str]:
    return [f"{peer.first_name} {peer.last_name} (seen {peer.incidents}x)" for peer in p.peers]


def _concerns(p: PackYoungPerson) -> list[str]:
    return [
        f"{c.person.nickname or c.person.description or c.person.vehicle or 'unnamed'} (seen {c.incidents}x)"
        for c in p.persons_of_concern
    ]


def render_csv(pack: HubPack) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(values: dict[str, Any]) -> None:
        base = {"hub": pack.hub.slug, "week": pack.week}
        writer.writerow([_cell({**base, **values}.get(c)) for c in CSV_COLUMNS])

    for p in pack.young_people:
        row(
            {
                "section": "young_person",
                "young_person": f"{p.first_name} {p.last_name}",
                "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else "",
                "status": p.status,
                "incidents": "; ".join(
                    f"{i.reference} {i.kind} {i.occurred_at.isoformat()}" for i in p.incidents
                ),
                "missing_episodes_30d": p.missing_episodes_30d,
                "missing_episodes_90d": p.missing_episodes_90d,
                "new_indicators": "; ".join(i.code for i in p.new_indicators),
                "places": "; ".join(f"{pl.name} x{pl.incidents}" for pl in p.places),
                "peers": "; ".join(_peers(p)),
                "persons_of_concern": "; ".join(_concerns(p)),
                "open_clocks": "; ".join(
                    f"{c.label} due {c.due_at.isoformat()} {c.status}" for c in p.open_clocks
                ),
                "nrm": "; ".join(_nrm(p)),
                "decisions": "; ".join(_decision(d) for d in p.decisions),
                "outstanding_actions": "; ".join(_decision(d) for d in p.actions),
            }
        )
    for d in pack.follow_ups:
        row(
            {"section": "follow_up", "young_person": d.young_person_name, "outstanding_actions": _decision(d)}
        )
    for place in pack.places:
        row(
            {
                "section": "place",
                "place": place.name,
                "place_incidents": place.incidents,
                "previous_four_weeks": " ".join(str(n) for n in place.previous_weeks),
                "change": f"{place.change:+.2f}",
            }
        )
    return buffer.getvalue()


def render_pdf(pack: HubPack, generated_by: str) -> bytes:
    pdf = DocumentPdf(title(pack))
    pdf.add_page()
    pdf.heading(title(pack), 14)
    pdf.write_block(
        5,
        f"{uk_date(pack.starts_at.isoformat())} to {uk_date(pack.ends_at.isoformat())} (London time); "
        f"{len(pack.young_people)} young people; generated {_local(pack.generated_at)} by {generated_by}.",
        9,
    )
    if not pack.young_people:
        pdf.ln(4)
        pdf.field("Young people", "Nobody came through the hub this week.")
    for p in pack.young_people:
        pdf.ln(4)
        status = "Repeat" if p.status == "repeat" else "First time"
        pdf.heading(f"{p.first_name} {p.last_name} - {status}")
        born = uk_date(p.date_of_birth.isoformat()) if p.date_of_birth else "unknown"
        pdf.field(
            "Young person",
            f"born {born}; missing episodes 30 d {p.missing_episodes_30d}, 90 d {p.missing_episodes_90d}",
        )
        pdf.bullets(
            "This week",
            [
                f"{i.reference} - {i.kind} - {i.priority} - {_local(i.occurred_at)} at {i.location}"
                for i in p.incidents
            ],
            "No incidents.",
        )
        pdf.bullets("New indicators", [f"{i.label} ({i.code})" for i in p.new_indicators], "None new.")
        pdf.bullets("Places", [f"{pl.name} ({pl.incidents})" for pl in p.places], "None recorded.")
        pdf.bullets("Peers", _peers(p), "None recorded.")
        pdf.bullets("Persons of concern", _concerns(p), "None recorded.")
        pdf.bullets(
            "Open clocks",
            [f"{c.label}: due {_local(c.due_at)} ({c.status})" for c in p.open_clocks],
            "No open clocks.",
        )
        pdf.bullets("National Referral Mechanism", _nrm(p), "No NRM action.")
        pdf.bullets("Decisions at this meeting", [_decision(d) for d in p.decisions], "None yet.")
        pdf.bullets("Earlier decisions", [_decision(d) for d in p.actions], "None outstanding.")
    pdf.ln(4)
    pdf.heading("Earlier decisions to follow up")
    pdf.bullets("Decisions", [f"{d.young_person_name}: {_decision(d)}" for d in pack.follow_ups], "None.")
    pdf.ln(4)
    pdf.heading("Places")
    pdf.bullets(
        "Places with incidents this week (previous four weeks, oldest first)",
        [
            f"{pl.name}: {pl.incidents} this week; before {', '.join(str(n) for n in pl.previous_weeks)}; "
            f"change {pl.change:+.2f}"
            for pl in pack.places
        ],
        "No incidents at known places this week.",
    )
    return bytes(pdf.output())
