"""Who the child is: the records of one child, possible matches decided, merges and their undoing.

A merge moves nothing. Every record of the absorbed child points at the surviving record (the
older one), so a child's records are always one survivor and the records pointing at it (never
a chain). Reads that span the child use `same_child`. The merge record keeps what each record
pointed at before; undoing restores exactly that, and only while nothing later changed it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import CompoundSelect, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.dependencies import Actor
from api.db import utcnow
from api.errors import Conflict, NotFound
from api.people.models import PersonMerge, PossibleMatch, YoungPerson
from api.people.queries import young_people_by_id

OPEN, CONFIRMED, REJECTED = "open", "confirmed", "rejected"


def same_child(young_person_id: uuid.UUID) -> CompoundSelect:
    """A subquery: the ids of every record of the child `young_person_id` is a record of (itself,
    its survivor and every record merged into that survivor).

    Two index lookups joined by UNION, not one `id = s OR merged_into_id = s`: PostgreSQL can use
    no index for that OR, and under `incidents.young_person_id IN (…)` with 100,000 incidents it
    planned a scan of every young person for each incident (bench/growth.py: 3.9 s a known
    child's intake, one count taking 77 s)."""
    survivor = (
        select(func.coalesce(col(YoungPerson.merged_into_id), col(YoungPerson.id)))
        .where(col(YoungPerson.id) == young_person_id)
        .scalar_subquery()
    )
    return union(
        select(col(YoungPerson.id)).where(col(YoungPerson.id) == survivor),
        select(col(YoungPerson.id)).where(col(YoungPerson.merged_into_id) == survivor),
    )


async def records_of(session: AsyncSession, young_person_id: uuid.UUID) -> list[YoungPerson]:
    """Every record of the child, the survivor first (oldest first after it)."""
    rows = (
        await session.execute(select(YoungPerson).where(col(YoungPerson.id).in_(same_child(young_person_id))))
    ).scalars()
    return sorted(rows, key=lambda p: (p.merged_into_id is not None, p.created_at, p.id))


@dataclass
class Suggestion:
    """An open possible match seen from one child: the other record it may be."""

    match: PossibleMatch
    other: YoungPerson


async def open_suggestions(session: AsyncSession, young_person_id: uuid.UUID) -> list[Suggestion]:
    """Open possible matches between any record of this child and a record of another child."""
    mine = set((await session.execute(same_child(young_person_id))).scalars())
    if not mine:
        return []
    matches = (
        (
            await session.execute(
                select(PossibleMatch)
                .where(
                    col(PossibleMatch.state) == OPEN,
                    or_(
                        col(PossibleMatch.young_person_id).in_(mine),
                        col(PossibleMatch.candidate_id).in_(mine),
                    ),
                )
                .order_by(col(PossibleMatch.created_at), col(PossibleMatch.id))
            )
        )
        .scalars()
        .all()
    )
    others = {m.candidate_id if m.young_person_id in mine else m.young_person_id for m in matches}
    people = await young_people_by_id(session, others)
    out = []
    for m in matches:
        other = people[m.candidate_id if m.young_person_id in mine else m.young_person_id]
        if other.id not in mine:  # both records became one child some other way
            out.append(Suggestion(m, other))
    return out


async def merges_of(session: AsyncSession, young_person_id: uuid.UUID) -> list[PersonMerge]:
    """Merges (undone ones too) that touched any record of this child, newest first."""
    mine = list((await session.execute(same_child(young_person_id))).scalars())
    return list(
        (
            await session.execute(
                select(PersonMerge)
                .where(or_(col(PersonMerge.survivor_id).in_(mine), col(PersonMerge.merged_id).in_(mine)))
                .order_by(col(PersonMerge.merged_at).desc(), col(PersonMerge.id))
            )
        ).scalars()
    )


async def _open_match_of(
    session: AsyncSession, young_person_id: uuid.UUID, match_id: uuid.UUID
) -> PossibleMatch:
    match = await session.get(PossibleMatch, match_id, with_for_update=True, populate_existing=True)
    mine = set((await session.execute(same_child(young_person_id))).scalars())
    if match is None or not ({match.young_person_id, match.candidate_id} & mine):
        raise NotFound("No such possible match for this young person.")
    if match.state != OPEN:
        raise Conflict(f"This possible match was already {match.state}.")
    return match


async def confirm(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, match_id: uuid.UUID
) -> PersonMerge:
    """The two records are one child: the younger child's records are merged into the older's."""
    match = await _open_match_of(session, young_person_id, match_id)
    first = await _record(session, match.young_person_id)
    second = await _record(session, match.candidate_id)
    a, b = await _record(session, first.record_group), await _record(session, second.record_group)
    if a.id == b.id:
        raise Conflict("These records are already one child.")
    # Both survivors locked and read again: a merge confirmed meanwhile must not make a chain.
    locked = (
        (
            await session.execute(
                select(YoungPerson)
                .where(col(YoungPerson.id).in_([a.id, b.id]))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    if any(p.merged_into_id is not None for p in locked):
        raise Conflict("These records were merged meanwhile: load the possible matches again.")
    survivor, absorbed = sorted((a, b), key=lambda p: (p.created_at, str(p.id)))
    moving = (
        (
            await session.execute(
                select(YoungPerson)
                .where(
                    or_(col(YoungPerson.id) == absorbed.id, col(YoungPerson.merged_into_id) == absorbed.id)
                )
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    moved = {str(p.id): str(p.merged_into_id) if p.merged_into_id else None for p in moving}
    for record in moving:
        record.merged_into_id = survivor.id
        record.updated_at = now
    match.state, match.decided_by_id, match.decided_at = CONFIRMED, actor.id, now
    merge = PersonMerge(
        possible_match_id=match.id,
        survivor_id=survivor.id,
        merged_id=absorbed.id,
        moved=moved,
        merged_by_id=actor.id,
        merged_at=now,
    )
    session.add(merge)
    return merge


async def reject(
    session: AsyncSession, actor: Actor, young_person_id: uuid.UUID, match_id: uuid.UUID
) -> PossibleMatch:
    """Not the same child: remembered, so intake never suggests this pair again."""
    match = await _open_match_of(session, young_person_id, match_id)
    match.state, match.decided_by_id, match.decided_at = REJECTED, actor.id, utcnow()
    return match


async def undo(session: AsyncSession, actor: Actor, merge_id: uuid.UUID) -> PersonMerge:
    """Put every moved record back where it pointed before the merge; the match is open again.

    Refused (409) when already undone, or when a later merge moved these records on (undo that
    one first): undoing out of order would split a child the later merge joined.
    """
    merge = await session.get(PersonMerge, merge_id, with_for_update=True, populate_existing=True)
    if merge is None:
        raise NotFound("No such merge.")
    if merge.undone_at is not None:
        raise Conflict("This merge was already undone.")
    ids = [uuid.UUID(i) for i in merge.moved]
    records = (
        (await session.execute(select(YoungPerson).where(col(YoungPerson.id).in_(ids)).with_for_update()))
        .scalars()
        .all()
    )
    survivor = await _record(session, merge.survivor_id)
    if survivor.merged_into_id is not None or any(r.merged_into_id != merge.survivor_id for r in records):
        raise Conflict("A later merge moved these records: undo that merge first.")
    now = utcnow()
    for record in records:
        before = merge.moved[str(record.id)]
        record.merged_into_id = uuid.UUID(before) if before else None
        record.updated_at = now
    merge.undone_by_id, merge.undone_at = actor.id, now
    match = await session.get(PossibleMatch, merge.possible_match_id)
    if match is not None:
        match.state, match.decided_by_id, match.decided_at = OPEN, None, None
    return merge


async def _record(session: AsyncSession, young_person_id: uuid.UUID) -> YoungPerson:
    person = await session.get(YoungPerson, young_person_id)
    if person is None:
        raise NotFound("No such young person.")
    return person
