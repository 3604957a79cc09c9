"""The night's handover report as a PDF (fpdf2: pure Python, no system packages).

Same content as the printable HTML page, for teams that file or email a document. The built-in
PDF fonts cover Latin-1 only, so other characters are replaced rather than dropped silently.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from api.handover.report import (
    NightReport,
    _clock_lines,
    _local,
    _name,
    _note_lines,
    _offer_lines,
    _page_lines,
    _young_person_name,
)

MARGIN = 15


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.encode("latin-1", "replace").decode("latin-1")


class _ReportPdf(FPDF):
    def __init__(self, report: NightReport) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        # Document metadata: the title carries no personal data.
        self.set_title(_text(report.title))
        self.set_creator("Lantern")

    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, "OFFICIAL-SENSITIVE", align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, _text(f"{self.report.title} - page {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text: str, size: int = 12) -> None:
        self.set_font("Helvetica", "B", size)
        self.multi_cell(0, 6, _text(text), new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value: Any) -> None:
        self.set_font("Helvetica", "B", 9)
        self.multi_cell(0, 5, _text(label), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 5, _text(value) or "-", new_x="LMARGIN", new_y="NEXT")

    def bullets(self, label: str, lines: list[str], empty: str) -> None:
        self.field(label, "\n".join(f"- {line}" for line in lines) if lines else empty)


def render_pdf(report: NightReport) -> bytes:
    pdf = _ReportPdf(report)
    pdf.add_page()
    pdf.heading(report.title, 14)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        _text(
            f"Handover at {_local(report.handover_at)}; {len(report.items)} item(s); generated "
            f"{_local(report.generated_at)} by {report.generated_by}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if not report.items:
        pdf.ln(4)
        pdf.field("Items", "Nothing was handed to this team for this night.")
    for item in report.items:
        incident, yp = item["incident"], item["young_person"]
        pdf.ln(4)
        pdf.heading(
            f"{incident['reference']} - {incident['kind']} - {incident['priority']} - {item['state']}"
        )
        pdf.field(
            "Young person",
            f"{_young_person_name(item)}; born {yp.get('date_of_birth') or 'unknown'}; "
            f"{yp.get('legal_status')}; missing episodes 30 d {yp.get('missing_episodes_30d')}, "
            f"90 d {yp.get('missing_episodes_90d')}",
        )
        place = item["places_and_peers"]["location"]["description"]
        circumstances = item["what_happened"].get("circumstances") or ""
        pdf.field(
            "What happened",
            f"{_local(incident['occurred_at'])} at {place} "
            f"(reported by {incident['station']['name']}). {circumstances}",
        )
        pdf.bullets("Decisions and why", list(item["decisions"]["reasons"]), "No reasons recorded.")
        pdf.bullets("Pages and acknowledgements", _page_lines(item), "No pages.")
        pdf.bullets("Support offered", _offer_lines(item), "No support recorded.")
        pdf.bullets("Worker's handover notes", _note_lines(item), "No notes.")
        pdf.bullets(
            "Current risk",
            [f"{i['label']} ({i['code']}, {i['provenance']})" for i in item["current_risk"]["indicators"]],
            "No indicators recorded.",
        )
        pdf.bullets(
            "People present",
            [
                f"{p.get('role', '')}: {p.get('description') or ''}"
                for p in item["places_and_peers"]["people_present"]
            ],
            "None recorded.",
        )
        pdf.bullets("Clocks", _clock_lines(item, open_only=False), "No clocks.")
        pdf.field(
            "Owner",
            f"{_name(item['owner']) or 'Not picked up'}"
            + (f", picked up {_local(item['picked_up_at'])}" if item.get("picked_up_at") else ""),
        )
    return bytes(pdf.output())
