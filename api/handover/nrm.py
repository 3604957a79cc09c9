"""The NRM action on an incident: "Consider an NRM referral", its decision, the s45 flag.

Raised at intake and on updates by the rules table of ``api.triage.nrm``; shown with the
reasons and the note that children need no consent. The incident's handover items cannot be
closed until the decision is recorded (``require_decision``): referred, with the NRM referral's
reference and date, or not referred, with the reason. The decision and who recorded it go on
the timeline (the reason, free text, stays on the row) and into the handover report.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.models import User
from api.db import Row, new_row, utcnow
from api.errors import Conflict, ValidationFailed
from api.handover.models import NrmConsideration
from api.incidents import timeline
from api.incidents.models import Incident
from api.rota.schedule import LONDON
from api.triage.catalogue import Catalogue
from api.triage.nrm import CONSENT_NOTE, NRM_PROMPT, S45_FLAG, nrm_reasons, s45_applies
from api.triage.rules import ObservedIndicator

DECIDE_FUTURE_TOLERANCE = timedelta(days=1)


def plan_nrm(
    incident: Incident, observed: Sequence[ObservedIndicator], *, catalogue: Catalogue, now: datetime
) -> list[Row]:
    """The consideration and its timeline events for a new incident (intake); empty when no
    rule applies."""
    reasons = nrm_reasons(observed, charged=incident.charged, catalogue=catalogue)
    if not reasons:
        return []
    s45 = s45_applies(observed, charged=incident.charged, catalogue=catalogue)
    row = new_row(
        NrmConsideration,
        incident_id=incident.id,
        reasons=[r.to_dict() for r in reasons],
        raised_at=now,
        s45_flagged_at=now if s45 else None,
        created_at=now,
        updated_at=now,
    )
    events = [
        timeline.event(incident.id, "nrm.raised", detail=_raised_detail([r.to_dict() for r in reasons]))
    ]
    if s45:
        events.append(timeline.event(incident.id, "nrm.s45_flagged", detail={"flag": S45_FLAG}))
    return [row, *events]


def _raised_detail(reasons: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "prompt": NRM_PROMPT,
        "reasons": [r["reason"] for r in reasons],
        "rules": [r["rule"] for r in reasons],
    }


async def consideration_of(
    session: AsyncSession, incident_id: uuid.UUID, *, for_update: bool = False
) -> NrmConsideration | None:
    query = select(NrmConsideration).where(col(NrmConsideration.incident_id) == incident_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def on_incident_updated(
    session: AsyncSession,
    incident: Incident,
    observed: Sequence[ObservedIndicator],
    *,
    catalogue: Catalogue,
    now: datetime,
) -> list[str]:
    """Raise the action, add reasons newly met, and flag s45 on a charge (an update's flow).

    Returns what changed: ``nrm_raised``, ``nrm_reasons_added``, ``s45_flagged``."""
    reasons = [r.to_dict() for r in nrm_reasons(observed, charged=incident.charged, catalogue=catalogue)]
    s45 = s45_applies(observed, charged=incident.charged, catalogue=catalogue)
    row = await consideration_of(session, incident.id, for_update=True)
    changes: list[str] = []
    if row is None:
        if not reasons:
            return []
        row = NrmConsideration(
            incident_id=incident.id, reasons=reasons, raised_at=now, created_at=now, updated_at=now
        )
        session.add(row)
        timeline.add_event(session, incident.id, "nrm.raised", detail=_raised_detail(reasons))
        changes.append("nrm_raised")
    else:
        known = {r["rule"] for r in row.reasons}
        added = [r for r in reasons if r["rule"] not in known]
        if added:
            row.reasons = [*row.reasons, *added]
            row.updated_at = now
            timeline.add_event(
                session,
                incident.id,
                "nrm.reasons_added",
                detail={"reasons": [r["reason"] for r in added], "rules": [r["rule"] for r in added]},
            )
            changes.append("nrm_reasons_added")
    if s45 and row.s45_flagged_at is None:
        row.s45_flagged_at = now
        row.updated_at = now
        timeline.add_event(session, incident.id, "nrm.s45_flagged", detail={"flag": S45_FLAG})
        changes.append("s45_flagged")
    await session.flush()
    return changes


async def require_decision(session: AsyncSession, incident_id: uuid.UUID) -> None:
    """409 while the incident's NRM action waits for its decision."""
    row = await consideration_of(session, incident_id)
    if row is not None and row.decision is None:
        raise Conflict(
            "Record the NRM decision first: referred (with the referral reference and date) or not "
            "referred (with the reason).",
            extra={"nrm": {"reasons": [r["reason"] for r in row.reasons], "decision": None}},
        )


def decision_problems(
    decision: str,
    *,
    referral_reference: str | None,
    referred_on: date | None,
    reason: str | None,
    occurred_at: datetime,
    now: datetime,
) -> list[tuple[str, str]]:
    """Why this decision cannot be recorded, as ``(field, message)`` pairs; empty when it can."""
    problems: list[tuple[str, str]] = []
    if decision == "referred":
        if not referral_reference:
            problems.append(("referral_reference", "required when referred: the NRM referral's reference"))
        if referred_on is None:
            problems.append(("referred_on", "required when referred: the date of the referral"))
        else:
            today = (now + DECIDE_FUTURE_TOLERANCE).astimezone(LONDON).date()
            if referred_on > today:
                problems.append(("referred_on", "in the future"))
            elif referred_on < occurred_at.astimezone(LONDON).date():
                problems.append(("referred_on", "before the incident"))
        if reason:
            problems.append(("reason", "only a decision not to refer takes a reason"))
    elif decision == "not_referred":
        if not reason:
            problems.append(("reason", "required when not referred: why not"))
        if referral_reference:
            problems.append(("referral_reference", "only a referral has a reference"))
        if referred_on is not None:
            problems.append(("referred_on", "only a referral has a date"))
    else:
        problems.append(("decision", "must be referred or not_referred"))
    return problems


async def decide(
    session: AsyncSession,
    actor: Actor,
    incident: Incident,
    *,
    decision: str,
    referral_reference: str | None,
    referred_on: date | None,
    reason: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record the NRM decision (once: a second is 409). 404 when no NRM action was raised."""
    now = now or utcnow()
    row = await consideration_of(session, incident.id, for_update=True)
    if row is None:
        raise Conflict("No NRM action was raised on this incident.", extra={"nrm": None})
    if row.decision is not None:
        raise Conflict("The NRM decision is already recorded.", extra={"decision": row.decision})
    problems = decision_problems(
        decision,
        referral_reference=referral_reference,
        referred_on=referred_on,
        reason=reason,
        occurred_at=incident.occurred_at,
        now=now,
    )
    if problems:
        errors = [{"field": f, "message": m} for f, m in problems]
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    row.decision = decision
    row.referral_reference = referral_reference
    row.referred_on = referred_on
    row.not_referred_reason = reason
    row.decided_at = now
    row.decided_by_id = actor.id
    row.updated_at = now
    # The reason is case content: it stays on the row; the timeline says what and who.
    timeline.add_event(
        session,
        incident.id,
        "nrm.decided",
        actor_id=actor.id,
        detail={"decision": decision, "referred_on": referred_on.isoformat() if referred_on else None},
    )
    audit.record(
        session,
        actor,
        "nrm.decide",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        detail={"decision": decision},
    )
    await session.flush()
    return await nrm_view(session, row)


async def nrm_view(session: AsyncSession, row: NrmConsideration) -> dict[str, Any]:
    decider = await session.get(User, row.decided_by_id) if row.decided_by_id else None
    return {
        "incident_id": str(row.incident_id),
        "prompt": NRM_PROMPT,
        "consent_note": CONSENT_NOTE,
        "reasons": [r["reason"] for r in row.reasons],
        "rules": [r["rule"] for r in row.reasons],
        "raised_at": row.raised_at.isoformat(),
        "s45_flag": S45_FLAG if row.s45_flagged_at else None,
        "s45_flagged_at": row.s45_flagged_at.isoformat() if row.s45_flagged_at else None,
        "decision": row.decision,
        "referral_reference": row.referral_reference,
        "referred_on": row.referred_on.isoformat() if row.referred_on else None,
        "not_referred_reason": row.not_referred_reason,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decided_by": {"id": str(decider.id), "display_name": decider.display_name} if decider else None,
        "needs_decision": row.decision is None,
    }


async def view_for(session: AsyncSession, incident_id: uuid.UUID) -> dict[str, Any] | None:
    row = await consideration_of(session, incident_id)
    return await nrm_view(session, row) if row else None


def decision_line(view: dict[str, Any]) -> str:
    """One line for the report: the decision and who recorded it, or that it is awaited."""
    if view["decision"] is None:
        return "NRM decision: not yet recorded (the handover item cannot be closed without it)"
    who = (view.get("decided_by") or {}).get("display_name", "")
    when = datetime.fromisoformat(view["decided_at"]).astimezone(LONDON).strftime("%a %d %b %Y %H:%M")
    if view["decision"] == "referred":
        return (
            f"NRM decision: referred, reference {view['referral_reference']} on {view['referred_on']}; "
            f"recorded by {who}, {when}"
        )
    return f"NRM decision: not referred ({view['not_referred_reason']}); recorded by {who}, {when}"
