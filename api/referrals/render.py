"""The referral as a printable page and as a PDF (the handover report's PDF machinery and
fonts). Titles and file names carry Lantern's incident reference only, never personal data."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from api.handover.pdf import DocumentPdf
from api.handover.report import MARKING, STYLESHEET_URL
from api.referrals.document import ReferralAuthority, ReferralDocument
from api.rota.schedule import LONDON

DECISION_LABELS = {
    "no_further_action": "No further action",
    "early_help": "Early help",
    "child_and_family_assessment": "Child and family assessment",
    "s47_enquiry": "Section 47 enquiry",
    "strategy_discussion": "Strategy discussion",
}


def title(document: ReferralDocument) -> str:
    return f"Lantern referral · {document.incident.reference}"


def filename(document: ReferralDocument, extension: str) -> str:
    return f"lantern-referral-{document.incident.reference}.{extension}"


def _local(value: datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M") if value else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _authority(value: ReferralAuthority | None) -> str:
    return value.name if value else ""


def sections(document: ReferralDocument) -> list[tuple[str, list[tuple[str, str]] | list[str]]]:
    """The document's content in reading order: (heading, pairs or lines), shared by both formats."""
    d = document
    child, incident = d.child, d.incident
    born = _day(child.date_of_birth) or (
        f"not known (apparent age {child.apparent_age})" if child.apparent_age is not None else "not known"
    )
    clock = d.decision_clock
    clock_state = f"met {_local(clock.met_at)}" if clock.met_at else "open"
    out: list[tuple[str, list[tuple[str, str]] | list[str]]] = [
        (
            "Referral",
            [
                ("To", d.receiving.name),
                ("Authority", _authority(d.receiving.authority)),
                ("Inform", ", ".join(f"{a.name} (host authority)" for a in d.inform) or "–"),
                ("Referred", _local(d.referred_at)),
                ("Decision due", f"{_local(clock.due_at)} ({clock_state}) – {clock.source}"),
                ("Lantern reference", incident.reference),
            ],
        ),
        ("Why it goes there", list(d.routing_reasons)),
        (
            "Child",
            [
                ("Name", f"{child.first_name} {child.last_name}"),
                ("Also known as", ", ".join(child.aliases)),
                ("Date of birth", born),
                ("Gender", child.gender or ""),
                ("Legal status", child.legal_status.replace("_", " ")),
                ("LA reference", child.la_reference or ""),
                ("Responsible authority", _authority(child.responsible_authority)),
                ("Placed in", _authority(child.placement_authority)),
                ("Allocated team", child.allocated_team or ""),
                ("Learning disability", "yes" if child.learning_disability else "not recorded"),
            ],
        ),
        (
            "What happened",
            [
                ("Kind", incident.kind.replace("_", " ")),
                ("Occurred", _local(incident.occurred_at)),
                ("Reported by", incident.police_station),
                ("Police references", ", ".join(incident.police_references)),
                ("Where", incident.location),
                ("Circumstances", incident.circumstances or ""),
                ("Custody", (incident.custody_status or "").replace("_", " ")),
                ("Charged", "yes" if incident.charged else "no"),
                ("Priority", incident.priority),
                ("Responded", ", ".join(incident.lantern_teams)),
            ],
        ),
        ("Indicators", [f"{i.label} ({i.code}, {i.category}, {i.provenance})" for i in incident.indicators]),
        ("Triage reasons", list(incident.triage_reasons)),
    ]
    if d.nrm is not None:
        nrm_lines = [f"Consider an NRM referral: {'; '.join(d.nrm.reasons)}"]
        if d.nrm.s45_flag:
            nrm_lines.append(d.nrm.s45_flag)
        if d.nrm.decision == "referred":
            nrm_lines.append(f"Referred: reference {d.nrm.referral_reference}, {_day(d.nrm.referred_on)}")
        elif d.nrm.decision == "not_referred":
            nrm_lines.append("Not referred")
        else:
            nrm_lines.append("Decision not yet recorded")
        out.append(("National Referral Mechanism", nrm_lines))
    receipt = (
        [
            ("Received", _local(d.receipt.received_at)),
            ("By", d.receipt.received_by),
            ("Recorded by", d.receipt.recorded_by),
        ]
        if d.receipt
        else [("Received", "not yet recorded")]
    )
    out.append(("Receipt", receipt))
    decision = (
        [
            ("Decision", DECISION_LABELS.get(d.decision.decision, d.decision.decision)),
            ("Decided", _local(d.decision.decided_at)),
            ("By", d.decision.decided_by),
            ("Note", d.decision.note or ""),
            ("Recorded by", d.decision.recorded_by),
        ]
        if d.decision
        else [("Decision", "not yet recorded")]
    )
    out.append(("Decision", decision))
    return out


def render_html(document: ReferralDocument) -> str:
    """The printable page: no script; styles from the handover report's stylesheet."""
    body: list[str] = []
    for heading, content in sections(document):
        body.append(f"<h2>{escape(heading)}</h2>")
        if content and isinstance(content[0], tuple):
            rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v) if v else '–'}</dd>" for k, v in content)
            body.append(f"<dl>{rows}</dl>")
        else:
            items = "".join(f"<li>{escape(str(line))}</li>" for line in content) or "<li>None recorded.</li>"
            body.append(f"<ul>{items}</ul>")
    footer = (
        f"OFFICIAL-SENSITIVE · Lantern · generated {_local(document.generated_at)} by {document.generated_by}"
    )
    lines = [
        "<!doctype html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>{escape(title(document))}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET_URL}">',
        "</head>",
        "<body>",
        f'<header><p class="marking">{escape(MARKING)}</p><h1>Referral to children\'s services</h1></header>',
        '<main><section class="item">',
        *body,
        "</section></main>",
        f'<footer><p class="marking">{escape(footer)}</p></footer>',
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def render_pdf(document: ReferralDocument) -> bytes:
    pdf = DocumentPdf(title(document))
    pdf.add_page()
    pdf.heading("Referral to children's services", 14)
    pdf.write_block(5, f"Generated {_local(document.generated_at)} by {document.generated_by}.", 9)
    for heading, content in sections(document):
        pdf.ln(3)
        pdf.heading(heading)
        if content and isinstance(content[0], tuple):
            for key, value in content:
                pdf.field(key, value)
        else:
            for line in content or ["None recorded."]:
                pdf.write_block(5, f"- {line}", 9)
    return bytes(pdf.output())
