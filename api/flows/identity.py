"""Who the child is, for case roles: possible matches listed, confirmed, rejected, merges undone.

Above people (records, matches, merges) and incidents (who may see the child): only case roles
of teams that had an incident of one of the child's records see or decide anything; anyone else
gets the same 404 as for an unknown id. Every read and decision is audited, naming each record
a decision touched so every record's access log finds it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit import service as audit
from api.auth.dependencies import Actor
from api.auth.queries import users_by_id
from api.errors import NotFound
from api.handover.contents import display_name
from api.incidents.access import team_scope
from api.incidents.models import Incident
from api.people import identity
from api.people.models import PersonMerge, PossibleMatch, YoungPerson
from api.people.schemas import MatchedRecord, MergeOut, PossibleMatchesOut, PossibleMatchOut


async def _in_scope(session: AsyncSession, actor: Actor, young_person_id: uuid.UUID) -> None:
    seen = await session.scalar(
        select(
            exists().where(
                col(Incident.young_person_id).in_(identity.same_child(young_person_id)), team_scope(actor)
            )
        )
    )
    if not seen:
        raise NotFound("No such young person.")


def _record(person: YoungPerson) -> MatchedRecord:
    return MatchedRecord(
        id=str(person.id),
        first_name=person.first_name,
        last_name=person.last_name,
        aliases=person.aliases,
        date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
        apparent_age=person.apparent_age,
        gender=person.gender,
        la_reference=person.la_reference,
    )


def _match(match: PossibleMatch, other: YoungPerson) -> PossibleMatchOut:
    return PossibleMatchOut(
        id=str(match.id),
        reason=match.reason,
        state=match.state,
        created_at=match.created_at.isoformat(),
        record=_record(other),
    )


async def _merges_out(session: AsyncSession, merges: list[PersonMerge]) -> list[MergeOut]:
    ids: set[uuid.UUID | None] = set()
    for m in merges:
        ids |= {m.merged_by_id, m.undone_by_id}
    users = await users_by_id(session, ids)
    return [
        MergeOut(
            id=str(m.id),
            possible_match_id=str(m.possible_match_id),
            survivor_id=str(m.survivor_id),
            merged_id=str(m.merged_id),
            records_moved=sorted(m.moved),
            merged_by=display_name(users, m.merged_by_id),
            merged_at=m.merged_at.isoformat(),
            undone_by=display_name(users, m.undone_by_id) if m.undone_by_id else None,
            undone_at=m.undone_at.isoformat() if m.undone_at else None,
        )
        for m in merges
    ]


async def possible_matches(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID
) -> PossibleMatchesOut:
    """The child's records, the open suggestions for it and the merges that touched it; audited."""
    await _in_scope(session, actor, young_person_id)
    records = await identity.records_of(session, young_person_id)
    suggestions = await identity.open_suggestions(session, young_person_id)
    merges = await identity.merges_of(session, young_person_id)
    audit.record(
        session,
        actor,
        "young_person.possible_matches.read",
        resource_type="young_person",
        resource_id=young_person_id,
        young_person_id=young_person_id,
        subjects=[s.other.id for s in suggestions],
        detail={"open": len(suggestions)},
    )
    return PossibleMatchesOut(
        young_person_id=str(young_person_id),
        survivor_id=str(records[0].id),
        records=[str(r.id) for r in records],
        items=[_match(s.match, s.other) for s in suggestions],
        merges=await _merges_out(session, merges),
    )


async def confirm_match(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, match_id: uuid.UUID
) -> MergeOut:
    await _in_scope(session, actor, young_person_id)
    merge = await identity.confirm(session, actor, young_person_id, match_id)
    _audit_merge(session, actor, "young_person.merge", merge)
    await session.flush()
    return (await _merges_out(session, [merge]))[0]


async def reject_match(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, match_id: uuid.UUID
) -> PossibleMatchOut:
    await _in_scope(session, actor, young_person_id)
    match = await identity.reject(session, actor, young_person_id, match_id)
    audit.record(
        session,
        actor,
        "young_person.possible_match.reject",
        resource_type="possible_match",
        resource_id=match.id,
        young_person_id=match.young_person_id,
        subjects=[match.candidate_id],
    )
    other_id = (
        match.candidate_id
        if match.young_person_id in await _ids(session, young_person_id)
        else match.young_person_id
    )
    other = await session.get(YoungPerson, other_id)
    assert other is not None, "possible_matches.candidate_id is a non-null foreign key"
    return _match(match, other)


async def undo_merge(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, merge_id: uuid.UUID
) -> MergeOut:
    """A manager undoes a merge of this child's records (from the child's page)."""
    await _in_scope(session, actor, young_person_id)
    merge = await session.get(PersonMerge, merge_id)
    if merge is None or not ({merge.survivor_id, merge.merged_id} & await _ids(session, young_person_id)):
        raise NotFound("No such merge for this young person.")
    merge = await identity.undo(session, actor, merge_id)
    _audit_merge(session, actor, "young_person.merge.undo", merge)
    await session.flush()
    return (await _merges_out(session, [merge]))[0]


async def _ids(session: AsyncSession, young_person_id: uuid.UUID) -> set[uuid.UUID]:
    return set((await session.execute(identity.same_child(young_person_id))).scalars())


def _audit_merge(session: AsyncSession, actor: Actor, action: str, merge: PersonMerge) -> None:
    audit.record(
        session,
        actor,
        action,
        resource_type="young_person_merge",
        resource_id=merge.id,
        young_person_id=merge.survivor_id,
        subjects=[uuid.UUID(i) for i in merge.moved],
        detail={"records_moved": len(merge.moved)},
    )
