"""The night's handover report as a PDF (fpdf2: pure Python, no system packages).

Same content as the printable HTML page, for teams that file or email a document. Names are
written in many scripts, so the text is set in embedded Unicode fonts (Noto, from a Python
package: see `api.handover.fonts`), with a script's font added when the text needs it and
text shaping (HarfBuzz, through `uharfbuzz`) for right-to-left and complex scripts: Arabic and
Urdu join and run right to left inside an English, left-to-right line; Gujarati conjuncts
form. Text is NFC-normalised first, so a name typed with combining marks prints as one letter.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from fpdf import FPDF
from fpdf.enums import TextMode

from api.handover import fonts
from api.handover.report import (
    NightReport,
    _clock_lines,
    _local,
    _name,
    _note_lines,
    _nrm_lines,
    _offer_lines,
    _page_lines,
    _young_person_name,
    uk_date,
)

MARGIN = 15
REPLACEMENT = "\ufffd"
# Bold is the regular outline filled and stroked ("synthetic bold"): the fonts are variable
# fonts, and cutting a bold instance costs seconds of CPU per font per process. fpdf2 2.8 writes
# the line width of text render modes as it is given, so PDF points: 4% of the font size.
_BOLD_STROKE_PER_PT = 0.04


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value))


class DocumentPdf(FPDF):
    """An A4 document in Lantern's fonts: marked OFFICIAL-SENSITIVE, its title (never personal
    data) and page numbers in the footer. The handover report and the referral use it."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document_title = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        # Document metadata: the title carries no personal data.
        self.set_title(_text(title))
        self.set_creator("Lantern")
        self._families: list[fonts.FontFile] = []
        main = fonts.primary()
        self.add_font(main.family, "", str(main.path))
        self._family = main.family

    # -- fonts ----------------------------------------------------------------------------

    def _prepare(self, text: str) -> str:
        """NFC text, with the fonts its scripts need loaded and shaping on only if it helps.

        A character no font here has (Chinese, emoji, ...) prints as U+FFFD rather than
        vanishing, so a reader sees that something is missing; the HTML report shows it."""
        text = _text(text)
        needs = fonts.plan(text, tuple(self._families))
        if needs.fonts:
            for font in needs.fonts:
                self.add_font(font.family, "", str(font.path))
            self._families.extend(needs.fonts)
            self.set_fallback_fonts([f.family for f in self._families], exact_match=False)
        if needs.missing:
            text = "".join(REPLACEMENT if c in needs.missing else c for c in text)
        if fonts.needs_shaping(text):
            # The report is English: lines run left to right, a right-to-left name inside them
            # is shaped and ordered right to left.
            self.set_text_shaping(True, direction="ltr")
        else:
            self.set_text_shaping(False)
        return text

    def write_block(
        self, height: float, text: str, size: float, bold: bool = False, align: str = "L"
    ) -> None:
        self.set_font(self._family, "", size)
        text = self._prepare(text)
        if not bold:
            self._lines(height, text, align)
            return
        # In a local context: its end (PDF `Q`) restores the render mode for the text after it.
        with self.local_context(text_mode=TextMode.FILL_STROKE, line_width=size * _BOLD_STROKE_PER_PT):
            self._lines(height, text, align)

    def _lines(self, height: float, text: str, align: str) -> None:
        """Break `text` into lines that fit, each set with `cell`.

        fpdf2's own line breaking (`multi_cell`) measures a line from its start again for each
        character it places, the square of the line's length; here a line is found by a binary
        search over its word boundaries, a handful of measurements. (A right-to-left run is
        broken in logical order and reordered within its line, as Unicode's bidi rules say.)
        """
        for paragraph in text.split("\n"):
            rest = paragraph
            while self.get_string_width(rest) > self.epw:
                words = rest.split(" ")
                fits, too_long = 0, len(words)
                while too_long - fits > 1:
                    middle = (fits + too_long) // 2
                    if self.get_string_width(" ".join(words[:middle])) <= self.epw:
                        fits = middle
                    else:
                        too_long = middle
                if fits == 0:  # one word wider than the page: fpdf2 breaks it between letters
                    self.multi_cell(0, height, rest, align=align, new_x="LMARGIN", new_y="NEXT")
                    rest = ""
                    break
                self._line(height, " ".join(words[:fits]), align)
                rest = " ".join(words[fits:])
            if rest or not paragraph:
                self._line(height, rest, align)

    def _line(self, height: float, text: str, align: str) -> None:
        self.cell(self.epw, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    # Header and footer run in the middle of a block that breaks across pages: they keep
    # their font and shaping to themselves (`local_context`).

    def header(self) -> None:
        with self.local_context():
            self.write_block(5, "OFFICIAL-SENSITIVE", 9, bold=True, align="C")
        self.ln(1)

    def footer(self) -> None:
        with self.local_context():
            self.set_y(-12)
            self.set_font(self._family, "", 8)
            text = self._prepare(f"{self.document_title} - page {self.page_no()}/{{nb}}")
            self.cell(0, 5, text, align="C")

    def heading(self, text: str, size: int = 12) -> None:
        self.write_block(6, text, size, bold=True)

    def field(self, label: str, value: Any) -> None:
        self.write_block(5, label, 9, bold=True)
        self.write_block(5, _text(value) or "-", 9)

    def bullets(self, label: str, lines: list[str], empty: str) -> None:
        # One block per line: fpdf2 measures a block's text from its start for each character
        # it places, so one long block costs the square of its length.
        self.write_block(5, label, 9, bold=True)
        for line in lines or [empty]:
            self.write_block(5, f"- {line}" if lines else line, 9)


def render_pdf(report: NightReport) -> bytes:
    pdf = DocumentPdf(report.title)
    pdf.add_page()
    pdf.heading(report.title, 14)
    pdf.write_block(
        5,
        f"Handover at {_local(report.handover_at)}; {len(report.items)} item(s); generated "
        f"{_local(report.generated_at)} by {report.generated_by}.",
        9,
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
            f"{_young_person_name(item)}; born {uk_date(yp.get('date_of_birth')) or 'unknown'}; "
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
        if item.get("nrm"):
            pdf.bullets("National Referral Mechanism", _nrm_lines(item), "")
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
