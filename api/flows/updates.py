"""Updates: an incident changes after intake, and everything that follows from it.

`PATCH /api/v1/incidents/{id}` with `If-Match` (the incident's version). In one transaction:

- police of the reporting station record custody events (detained, charged, bail refused,
  released, transferred to local-authority accommodation, returned home, the appropriate adult
  arrived); workers, day teams and managers of the incident's teams add indicators disclosed to
  them (provenance `worker_disclosed`, shown as "disclosed to worker");
- every change is a timeline event with who and when (police-visible for police events);
- triage re-runs with the same facts intake gives it; a team it newly routes to gets a handover
  item and a page; a raised priority is announced to those already paged (a push to whoever
  holds each open page) and to every screen (`incident.updated`); nothing personal in either;
- clocks start from the events (charged with bail refused: the s38(6) action; returned home: the
  return home interview, re-timed when it was counting from an earlier moment); a transfer to
  local-authority accommodation closes the s38(6) action as `transferred`;
- the incident's version goes up by one; the change is audited.

Nothing is written when any field is wrong (every field at fault is named at once), and nothing
is kept when the commit fails: the rows, jobs, audit line and live events share one unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import Row, insert_rows, new_row, utcnow
from api.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from api.events.bus import LiveEvent, publish
from api.handover import nrm
from api.handover.clocks import RHI_WITHIN
from api.handover.models import Clock
from api.handover.service import on_incident_triaged
from api.incidents import timeline
from api.incidents.access import may_see_case
from api.incidents.models import Incident, IncidentIndicator, IncidentState, IncidentTeam
from api.incidents.schemas import WORKER_DISCLOSED, IncidentUpdate
from api.jobs.service import enqueue_many
from api.paging import devices as device_rules
from api.paging.deliveries import enqueue_device_message
from api.paging.escalation import audience_for, enqueue_fallback, level_targets, team_managers
from api.paging.models import Page, PageState
from api.paging.policy import effective_policies
from api.paging.service import DEFAULT_ACK_TIMEOUT_SECONDS, plan_pages
from api.people.models import YoungPerson
from api.people.service import age_on
from api.teams.directory import directory
from api.triage.catalogue import Catalogue, entry_as_recorded, load_catalogue
from api.triage.rules import ObservedIndicator, TeamRef, TriageCase, triage
from api.triage.transition import AppliedCode, Refusal, apply_code, describe, with_entries

CASE_ROLES = ("worker", "day_team", "manager")
CUSTODY_FIELDS = (
    "detained_at",
    "charged_at",
    "bail_refused",
    "released_at",
    "transferred_at",
    "returned_home_at",
    "appropriate_adult_arrived_at",
)
_RANK = {"P1": 1, "P2": 2, "P3": 3}
PRIORITY_RAISED = "priority_raised"


@dataclass
class UpdateResult:
    incident: Incident
    previous_priority: str
    teams: list[dict[str, str]]
    new_teams: list[dict[str, str]]
    outcome: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    catalogue: dict[str, Any] | None = None

    def as_response(self) -> dict[str, Any]:
        return {
            "id": str(self.incident.id),
            "reference": self.incident.reference,
            "version": self.incident.version,
            "state": self.incident.state,
            "priority": self.incident.priority,
            "previous_priority": self.previous_priority,
            "teams": self.teams,
            "new_teams": self.new_teams,
            "changes": self.changes,
            "triage": {
                "reasons": self.outcome["reasons"],
                "categories": self.outcome["categories"],
                "area": self.outcome["area"],
                "prompts": self.outcome.get("prompts", []),
            },
            "needs_manager_review": self.incident.needs_manager_review,
            "catalogue": self.catalogue,
        }


def parse_if_match(value: str | None) -> int | None:
    """The version an `If-Match` names (`"3"`, `W/"3"` or `3`); None when absent."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise ValidationFailed.field("If-Match", 'must be the incident\'s version from its ETag, such as "2"')
    return int(text)


async def update_incident(
    session: AsyncSession, actor: Actor, incident_id: uuid.UUID, body: IncidentUpdate, if_match: int
) -> UpdateResult:
    now = utcnow()
    incident = await session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    if incident is None:
        raise NotFound("No such incident.")
    is_police = actor.has("police") and actor.station_id == incident.station_id
    if not is_police and not await may_see_case(session, actor, incident.id):
        raise NotFound("No such incident.")
    if incident.version != if_match:
        raise PreconditionFailed(
            "If-Match does not name the incident's version; it was changed in the meantime.",
            headers={"ETag": f'"{incident.version}"'},
            extra={"version": incident.version},
        )
    if incident.state == IncidentState.CLOSED:
        raise Conflict("The incident is closed.")
    catalogue = load_catalogue()
    existing = list(
        (
            await session.execute(
                select(IncidentIndicator).where(col(IncidentIndicator.incident_id) == incident.id)
            )
        )
        .scalars()
        .all()
    )
    applied = _validate(body, actor, is_police, incident, catalogue, now)

    events: list[Row] = []
    changes: list[str] = []
    # Custody events (police), applied in the order they happen in a night.
    custody = dict(incident.custody or {})
    if body.detained_at is not None:
        incident.detained_at = body.detained_at
        custody["status"] = "in_custody"
        custody["detained_at"] = body.detained_at.isoformat()
        changes.append("detained")
    if body.charged_at is not None:
        incident.charged = True
        incident.charged_at = body.charged_at
        custody["charged"] = True
        custody["charged_at"] = body.charged_at.isoformat()
        changes.append("charged")
    if body.bail_refused:
        incident.bail_refused = True
        custody["bail_refused"] = True
        custody["status"] = "charged_refused_bail"
        changes.append("bail_refused")
    if body.released_at is not None:
        incident.released_at = body.released_at
        custody["status"] = "released"
        custody["released_at"] = body.released_at.isoformat()
        changes.append("released")
    if body.transferred_at is not None:
        custody["transferred_to"] = "local_authority_accommodation"
        custody["transferred_at"] = body.transferred_at.isoformat()
        changes.append("transferred_to_la_accommodation")
    if body.returned_home_at is not None:
        incident.returned_home_at = body.returned_home_at
        changes.append("returned_home")
    if body.appropriate_adult_arrived_at is not None:
        custody["appropriate_adult_arrived_at"] = body.appropriate_adult_arrived_at.isoformat()
        changes.append("appropriate_adult_arrived")
    custody_changes = list(changes)
    if custody_changes:
        incident.custody = custody
        events.append(
            timeline.event(
                incident.id,
                "custody.updated",
                actor_id=actor.id,
                detail={
                    "events": custody_changes,
                    **{
                        name: getattr(body, name).isoformat()
                        for name in (
                            "detained_at",
                            "charged_at",
                            "released_at",
                            "transferred_at",
                            "appropriate_adult_arrived_at",
                        )
                        if getattr(body, name) is not None
                    },
                    **(
                        {"returned_home_at": body.returned_home_at.isoformat()}
                        if body.returned_home_at
                        else {}
                    ),
                },
                police_visible=True,
            )
        )

    # Indicators disclosed to a worker: one row per code not already recorded that way.
    already = {(i.code, i.provenance) for i in existing}
    added: list[Row] = []
    for code, entry in {a.code: a for a in applied}.items():
        if (code, WORKER_DISCLOSED) in already:
            continue
        added.append(
            new_row(
                IncidentIndicator,
                incident_id=incident.id,
                code=code,
                category=entry.entry.category,
                provenance=WORKER_DISCLOSED,
                catalogue_version=entry.version,
                recorded_by_id=actor.id,
                recorded_at=now,
            )
        )
    if added:
        changes.append("indicators_disclosed")
        events.append(
            timeline.event(
                incident.id,
                "indicators.disclosed",
                actor_id=actor.id,
                detail={"codes": [row["code"] for row in added], "provenance": "disclosed to worker"},
            )
        )

    # Triage again, with the facts intake gives it.
    known = await directory(session)
    area_by_id = known.area_by_id()
    person = await session.get(YoungPerson, incident.young_person_id)
    assert person is not None  # a foreign key
    dob = person.date_of_birth
    age = age_on(dob, incident.occurred_at.date()) if dob else person.apparent_age
    station = next(s for s in known.stations if s.id == incident.station_id)
    teams = known.active_teams
    observed = [ObservedIndicator(i.code, i.category, i.provenance) for i in existing] + [
        ObservedIndicator(row["code"], row["category"], row["provenance"]) for row in added
    ]
    status = (incident.custody or {}).get("status")
    outcome = triage(
        TriageCase(
            kind=incident.kind,
            indicators=observed,
            age_years=age,
            learning_disability=person.learning_disability,
            location_area=area_by_id[incident.location_area_id].slug if incident.location_area_id else None,
            responsible_area=area_by_id[person.responsible_area_id].slug
            if person.responsible_area_id
            else None,
            station_area=area_by_id[station.area_id].slug,
            teams=[TeamRef(t.id, t.slug, t.specialism, area_by_id[t.area_id].slug) for t in teams],
            age_known=dob is not None,
            legal_status=person.legal_status,
            custody_status=status,
            police_protection=incident.police_protection_started_at is not None,
            charged_bail_refused=incident.charged and incident.bail_refused,
            was_missing=incident.was_missing,
        ),
        area_names={a.slug: a.name for a in known.areas.values()},
        # Rows of earlier incidents keep their codes: triage reads them in their own version.
        catalogue=with_entries(
            [
                *(e for i in existing if (e := entry_as_recorded(i.code, i.catalogue_version))),
                *(a.entry for a in applied),
            ],
            catalogue,
        ),
    )
    linked = list(
        (
            await session.execute(
                select(col(IncidentTeam.team_id)).where(col(IncidentTeam.incident_id) == incident.id)
            )
        )
        .scalars()
        .all()
    )
    new_team_ids = [ref.id for ref in outcome.teams if ref.id not in set(linked)]
    previous_priority = incident.priority
    # An update never lowers the priority: what was known stays known.
    priority = min(previous_priority, outcome.priority, key=lambda p: _RANK.get(p, 3))
    raised = _RANK.get(priority, 3) < _RANK.get(previous_priority, 3)
    incident.priority = priority
    incident.triage = {**outcome.to_dict(), "priority": priority}
    if outcome.needs_manager_review and not linked and not new_team_ids:
        incident.needs_manager_review = True
    slug_of = {t.id: t.slug for t in teams}
    if new_team_ids or raised:
        events.append(
            timeline.event(
                incident.id,
                "incident.retriaged",
                detail={
                    "priority": priority,
                    "previous_priority": previous_priority,
                    "new_teams": [slug_of[t] for t in new_team_ids],
                    "reasons": outcome.reasons,
                },
            )
        )

    # Page the newly routed teams only.
    pages_plan = None
    if new_team_ids:
        policies = await effective_policies(session, new_team_ids, DEFAULT_ACK_TIMEOUT_SECONDS)
        pages_plan = plan_pages(incident.id, new_team_ids, policies, now)
        events += pages_plan.events
        if moved := timeline.transition(incident, IncidentState.PAGING, actor_id=actor.id):
            events.append(moved)

    incident.version = if_match + 1  # one update, one version (a state move included)
    incident.updated_at = now
    await session.flush()  # the incident, before its children
    await insert_rows(
        session,
        [
            *added,
            *(
                new_row(IncidentTeam, incident_id=incident.id, team_id=t, created_at=now)
                for t in new_team_ids
            ),
            *(pages_plan.pages if pages_plan else []),
            *events,
        ],
    )
    if pages_plan:
        await enqueue_many(session, pages_plan.jobs)

    # Clocks: the transfer closes the s38(6) action; the return home re-times an open RHI; then
    # every clock the facts now start, and a handover item for each team (new ones included).
    await _stop_and_retime(session, actor, incident, body, now)
    await on_incident_triaged(session, incident, [*linked, *new_team_ids], now=now)
    # The NRM action: raised when the rules now apply; a charge with exploitation indicators
    # flags the possible s45 defence.
    changes += await nrm.on_incident_updated(session, incident, observed, catalogue=catalogue, now=now)

    if raised:
        await _announce_priority(session, incident, previous_priority, exclude=set(new_team_ids), now=now)

    audit.record(
        session,
        actor,
        "incident.update",
        resource_type="incident",
        resource_id=incident.id,
        young_person_id=incident.young_person_id,
        detail={"changes": changes, "version": incident.version},
    )
    publish(
        session,
        LiveEvent(
            "incident.updated",
            {
                "incident_id": str(incident.id),
                "version": incident.version,
                "priority": incident.priority,
                "changes": changes,
            },
            await audience_for(session, incident.id, incident.station_id),
        ),
    )
    all_teams = [*linked, *new_team_ids]
    return UpdateResult(
        incident,
        previous_priority,
        teams=[{"id": str(t), "slug": slug_of.get(t, "")} for t in all_teams],
        new_teams=[{"id": str(t), "slug": slug_of[t]} for t in new_team_ids],
        outcome=outcome.to_dict(),
        changes=changes,
        catalogue=describe(applied, catalogue),
    )


def _validate(
    body: IncidentUpdate,
    actor: Actor,
    is_police: bool,
    incident: Incident,
    catalogue: Catalogue,
    now: datetime,
) -> list[AppliedCode]:
    """Every field at fault, at once, before anything changes; else how each indicator sent is
    recorded (codes of an earlier catalogue are accepted during its transition)."""
    errors: list[dict[str, str]] = []
    sent_custody = [name for name in CUSTODY_FIELDS if getattr(body, name) not in (None, False)]
    if not sent_custody and not body.indicators:
        raise ValidationFailed.field("body", "nothing to change: send a custody event or indicators")
    if sent_custody and not is_police:
        errors.extend(
            {"field": name, "message": "custody events are recorded by police of the reporting station"}
            for name in sent_custody
        )
    if body.indicators and not (actor.has(*CASE_ROLES) and not is_police):
        errors.append(
            {"field": "indicators", "message": "indicators are added by the workers they were disclosed to"}
        )
    applied: list[AppliedCode] = []
    for i, item in enumerate(body.indicators):
        code = apply_code(item.code, now.date(), catalogue)
        if isinstance(code, Refusal):
            errors.append({"field": f"indicators.{i}.code", "message": code.message})
        else:
            applied.append(code)
    if body.bail_refused and body.charged_at is None and not incident.charged:
        errors.append({"field": "bail_refused", "message": "bail is refused at charge: send charged_at"})
    if body.bail_refused is False and incident.bail_refused:
        errors.append({"field": "bail_refused", "message": "a refusal of bail is not undone by an update"})
    detained = body.detained_at or incident.detained_at
    for name in ("charged_at", "released_at", "transferred_at", "appropriate_adult_arrived_at"):
        value = getattr(body, name)
        if value is not None and detained is not None and value < detained:
            errors.append({"field": name, "message": "before the child was detained"})
    if body.transferred_at is not None and not (body.bail_refused or incident.bail_refused):
        errors.append({"field": "transferred_at", "message": "a transfer follows a charge with bail refused"})
    for name in ("released_at", "returned_home_at"):
        value = getattr(body, name)
        if value is not None and value < incident.occurred_at:
            errors.append({"field": name, "message": "before the incident"})
    if errors:
        raise ValidationFailed("Check these fields: " + ", ".join(e["field"] for e in errors), errors=errors)
    return applied


async def _stop_and_retime(
    session: AsyncSession, actor: Actor, incident: Incident, body: IncidentUpdate, now: datetime
) -> None:
    if body.transferred_at is None and body.returned_home_at is None:
        return
    open_clocks = list(
        (
            await session.execute(
                select(Clock).where(
                    col(Clock.incident_id) == incident.id,
                    col(Clock.kind).in_(("bail_refused_transfer", "rhi_72h")),
                    col(Clock.met_at).is_(None),
                )
            )
        ).scalars()
    )
    for clock in open_clocks:
        if clock.kind == "bail_refused_transfer" and body.transferred_at is not None:
            clock.met_at = body.transferred_at
            clock.met_by_id = actor.id
            clock.outcome = "transferred"
            clock.met_note = "Transferred to local-authority accommodation (police update)"
            clock.updated_at = now
            timeline.add_event(
                session,
                incident.id,
                "clock.met",
                actor_id=actor.id,
                detail={"clock_id": str(clock.id), "kind": clock.kind, "outcome": "transferred"},
            )
        elif clock.kind == "rhi_72h" and body.returned_home_at is not None:
            clock.starts_at = body.returned_home_at
            clock.due_at = body.returned_home_at + RHI_WITHIN
            clock.updated_at = now
            timeline.add_event(
                session,
                incident.id,
                "clock.retimed",
                detail={"clock_id": str(clock.id), "kind": clock.kind, "due_at": clock.due_at.isoformat()},
            )
    await session.flush()


async def _announce_priority(
    session: AsyncSession, incident: Incident, previous: str, *, exclude: set[uuid.UUID], now: datetime
) -> None:
    """A push to whoever holds each of the incident's pages: the acknowledger of a taken page,
    the people of the current level of a live one, the team's managers of an uncovered one.
    Ids, the reference and the priorities only."""
    pages = (
        await session.execute(
            select(Page).where(
                col(Page.incident_id) == incident.id,
                col(Page.state).in_((PageState.ACTIVE, PageState.ACKNOWLEDGED, PageState.UNCOVERED)),
            )
        )
    ).scalars()
    message = {
        "type": "alert",
        "alert": PRIORITY_RAISED,
        "incident_id": str(incident.id),
        "reference": incident.reference,
        "priority": incident.priority,
        "previous_priority": previous,
    }
    holders: dict[uuid.UUID, uuid.UUID] = {}  # user -> page
    for page in pages:
        if page.team_id in exclude:
            continue
        if page.state == PageState.ACKNOWLEDGED and page.acknowledged_by_id:
            users = [page.acknowledged_by_id]
        elif page.state == PageState.UNCOVERED:
            users = await team_managers(session, page.team_id)
        else:
            level = page.policy["levels"][page.level_index]
            users = await level_targets(
                session, page.team_id, level["target"], now, person_id=level.get("user_id")
            )
        for user_id in users:
            holders.setdefault(user_id, page.id)
    stage = f"priority:{incident.version}"
    with_device: set[uuid.UUID] = set()
    for device in await device_rules.devices_of(session, holders):
        with_device.add(device.user_id)
        await enqueue_device_message(
            session,
            "alert",
            device,
            message,
            now=now,
            dedupe_key=f"{stage}:{incident.id}:{device.id}",
        )
    for user_id, page_id in holders.items():
        if user_id not in with_device:
            base = {"purpose": "alert", "page_id": None, "user_id": str(user_id), "message": message}
            await enqueue_fallback(session, page_id, user_id, base, stage, now)
    timeline.add_event(
        session,
        incident.id,
        "priority.announced",
        detail={"priority": incident.priority, "previous_priority": previous, "people": len(holders)},
    )
