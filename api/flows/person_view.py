"""The young person view: the record (people) with the incidents the reader may see (incidents).

A read model above both domains. Only case roles of teams that had one of the person's
incidents see the person at all; anyone else gets the same 404 as for an unknown id. The
incidents span every record of the child (records merged by a confirmed match).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import NotFound
from api.flows.access_log import AccessLogPage, access_log
from api.incidents.access import team_scope
from api.incidents.models import Incident
from api.people.identity import same_child
from api.people.models import YoungPerson
from api.people.monitoring import ethnic_group, ethnicity_label
from api.people.schemas import IncidentOfPerson, MonitoringIn, MonitoringOut, YoungPersonOut


async def young_person_view(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID
) -> YoungPersonOut:
    """The person and their incidents in the actor's teams, newest first; the read is audited."""
    person = await session.get(YoungPerson, young_person_id)
    incidents: Sequence[Incident] = ()
    if person is not None:
        incidents = (
            (
                await session.execute(
                    select(Incident)
                    .where(col(Incident.young_person_id).in_(same_child(person.id)), team_scope(actor))
                    .order_by(col(Incident.occurred_at).desc())
                )
            )
            .scalars()
            .all()
        )
    if person is None or not incidents:
        raise NotFound("No such young person.")
    audit.record(
        session,
        actor,
        "young_person.read",
        resource_type="young_person",
        resource_id=person.id,
        young_person_id=person.id,
    )
    return YoungPersonOut(
        id=str(person.id),
        first_name=person.first_name,
        last_name=person.last_name,
        aliases=person.aliases,
        date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
        apparent_age=person.apparent_age,
        gender=person.gender,
        la_reference=person.la_reference,
        legal_status=person.legal_status,
        learning_disability=person.learning_disability,
        ethnicity=person.ethnicity,
        sex=person.sex,
        merged_into_id=str(person.merged_into_id) if person.merged_into_id else None,
        incidents=[
            IncidentOfPerson(
                id=str(i.id),
                reference=i.reference,
                kind=i.kind,
                occurred_at=i.occurred_at.isoformat(),
                state=i.state,
                priority=i.priority,
            )
            for i in incidents
        ],
    )


async def person_access_log(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, *, limit: int, cursor: str | None
) -> AccessLogPage:
    """The child's access log for a manager of a team that had one of the child's incidents;
    the events of every team are shown (a subject access request needs them all). Reading it
    is itself audited."""
    in_scope = await session.scalar(
        select(
            exists().where(col(Incident.young_person_id).in_(same_child(young_person_id)), team_scope(actor))
        )
    )
    if not in_scope:
        raise NotFound("No such young person.")
    page = await access_log(session, young_person_id, limit=limit, cursor=cursor)
    audit.record(
        session,
        actor,
        "young_person.access_log.read",
        resource_type="young_person",
        resource_id=young_person_id,
        young_person_id=young_person_id,
        detail={"entries": len(page.items)},
    )
    return page


async def set_monitoring(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, body: MonitoringIn
) -> MonitoringOut:
    """Record the child's ethnicity and sex (equality monitoring) for a case role of a team that
    had one of the child's incidents; anyone else gets the 404 of an unknown id. Audited with the
    fields changed, never their values."""
    person = await session.get(YoungPerson, young_person_id)
    in_scope = person is not None and await session.scalar(
        select(exists().where(col(Incident.young_person_id) == young_person_id, team_scope(actor)))
    )
    if person is None or not in_scope:
        raise NotFound("No such young person.")
    changed = [
        name
        for name, value in (("ethnicity", body.ethnicity), ("sex", body.sex))
        if getattr(person, name) != value
    ]
    now = utcnow()
    person.ethnicity = body.ethnicity
    person.sex = body.sex
    person.monitoring_updated_at = now
    session.add(person)
    audit.record(
        session,
        actor,
        "young_person.monitoring.update",
        resource_type="young_person",
        resource_id=person.id,
        young_person_id=person.id,
        detail={"changed": changed},
    )
    return MonitoringOut(
        young_person_id=str(person.id),
        ethnicity=body.ethnicity,
        ethnicity_label=ethnicity_label(body.ethnicity),
        ethnic_group=ethnic_group(body.ethnicity),
        sex=body.sex,
        updated_at=now.isoformat(),
    )
