"""Rotas in the database: creating rotations and override shifts, and resolving who is on call.

The time logic lives in `api.rota.schedule` (pure, tested on its own); this module loads the
team's rotations and overrides and hands them to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.auth.models import User
from api.db import utcnow
from api.errors import NotFound, PreconditionFailed, ValidationFailed
from api.rota import schedule
from api.rota.models import OverrideShift, Rotation, RotationMember
from api.teams.models import Membership, Team

LEVELS = ("primary", "secondary")
MAX_OVERRIDE = timedelta(days=31)
ON_CALL_ROLES = frozenset({"worker", "manager"})


@dataclass(frozen=True)
class TeamRota:
    """A team's rotations and the overrides that touch a window, ready for `schedule`."""

    rotations: list[schedule.Rotation]
    overrides: list[schedule.Override]

    def on_call(self, level: str, at: datetime) -> list[uuid.UUID]:
        return schedule.on_call(self.rotations, self.overrides, level, at)

    def coverage(self, level: str, start: datetime, end: datetime) -> list[schedule.Slot]:
        return schedule.coverage(self.rotations, self.overrides, level, start, end)


@dataclass(frozen=True)
class Interval:
    """One stretch of one person's on-call time at a level of a team."""

    team: Team
    level: str
    starts_at: datetime
    ends_at: datetime


def to_schedule(rotation: Rotation, members: list[uuid.UUID]) -> schedule.Rotation:
    return schedule.Rotation(
        id=rotation.id,
        level=rotation.level,  # type: ignore[arg-type]
        members=members,
        start_local=rotation.start_local,
        length=timedelta(minutes=rotation.length_minutes),
        ends_local=rotation.ends_local,
    )


async def rotations_of(
    session: AsyncSession, team_ids: list[uuid.UUID]
) -> list[tuple[Rotation, list[uuid.UUID]]]:
    """Rotations of the teams, oldest first, each with its members in order."""
    if not team_ids:
        return []
    rotations = list(
        (
            await session.execute(
                select(Rotation)
                .where(col(Rotation.team_id).in_(team_ids))
                .order_by(col(Rotation.created_at), col(Rotation.id))
            )
        ).scalars()
    )
    members: dict[uuid.UUID, list[uuid.UUID]] = {r.id: [] for r in rotations}
    if rotations:
        rows = await session.execute(
            select(col(RotationMember.rotation_id), col(RotationMember.user_id))
            .where(col(RotationMember.rotation_id).in_(list(members)))
            .order_by(col(RotationMember.rotation_id), col(RotationMember.position))
        )
        for rotation_id, user_id in rows.all():
            members[rotation_id].append(user_id)
    return [(r, members[r.id]) for r in rotations]


async def load_rota(
    session: AsyncSession, team_id: uuid.UUID, start: datetime, end: datetime | None = None
) -> TeamRota:
    """The team's rota for instants in `[start, end]` (overrides outside it are left out)."""
    end = end or start
    rotations = [to_schedule(r, m) for r, m in await rotations_of(session, [team_id])]
    rows = await session.execute(
        select(OverrideShift)
        .where(
            col(OverrideShift.team_id) == team_id,
            col(OverrideShift.starts_at) <= end,
            col(OverrideShift.ends_at) > start,
        )
        .order_by(col(OverrideShift.created_at), col(OverrideShift.id))
    )
    overrides = [
        schedule.Override(user_id=o.user_id, level=o.level, starts_at=o.starts_at, ends_at=o.ends_at)  # type: ignore[arg-type]
        for o in rows.scalars()
    ]
    return TeamRota(rotations=rotations, overrides=overrides)


async def on_call(session: AsyncSession, team_id: uuid.UUID, level: str, at: datetime) -> list[uuid.UUID]:
    """Who is on call for the team at `level` at instant `at` (empty: nobody)."""
    return (await load_rota(session, team_id, at)).on_call(level, at)


async def _check_members(
    session: AsyncSession, team_id: uuid.UUID, user_ids: list[uuid.UUID], field: str
) -> None:
    rows = await session.execute(
        select(col(User.id), col(User.roles), col(User.active))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.team_id) == team_id, col(User.id).in_(user_ids))
    )
    eligible = {uid for uid, roles, active in rows.all() if active and ON_CALL_ROLES.intersection(roles)}
    errors = [
        {
            "field": f"{field}.{i}" if field == "members" else field,
            "message": "not a worker or manager of this team",
        }
        for i, uid in enumerate(user_ids)
        if uid not in eligible
    ]
    if errors:
        raise ValidationFailed("Everyone on call must be a worker or manager of the team.", errors=errors)


async def create_rotation(
    session: AsyncSession,
    team: Team,
    *,
    name: str,
    level: str,
    members: list[uuid.UUID],
    start_local: datetime,
    length_hours: int,
    ends_local: datetime | None,
    created_by_id: uuid.UUID | None,
) -> tuple[Rotation, list[uuid.UUID]]:
    """A rotation of `members` (in order) handing over every `length_hours` from `start_local`."""
    await _check_members(session, team.id, members, "members")
    if ends_local is not None and ends_local <= start_local:
        raise ValidationFailed.field("ends_local", "must be after start_local")
    rotation = Rotation(
        team_id=team.id,
        name=name,
        level=level,
        start_local=start_local,
        ends_local=ends_local,
        length_minutes=length_hours * 60,
        created_by_id=created_by_id,
    )
    to_schedule(rotation, members)  # the schedule's own invariants, before anything is written
    session.add(rotation)
    await session.flush()
    for position, user_id in enumerate(members):
        session.add(RotationMember(rotation_id=rotation.id, position=position, user_id=user_id))
    await session.flush()
    return rotation, members


UNSET: object = object()


async def rotation_of_team(
    session: AsyncSession, team_id: uuid.UUID, rotation_id: uuid.UUID, *, lock: bool = False
) -> Rotation:
    """The team's rotation (locked for update when `lock`); 404 for another team's."""
    rotation = await session.get(Rotation, rotation_id, with_for_update=lock or None, populate_existing=lock)
    if rotation is None or rotation.team_id != team_id:
        raise NotFound("No such rotation in this team.")
    return rotation


async def members_of(session: AsyncSession, rotation_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(col(RotationMember.user_id))
        .where(col(RotationMember.rotation_id) == rotation_id)
        .order_by(col(RotationMember.position))
    )
    return list(rows.scalars())


async def update_rotation(
    session: AsyncSession,
    team: Team,
    rotation_id: uuid.UUID,
    *,
    changes: dict,
    if_version: int | None,
) -> tuple[Rotation, list[uuid.UUID]]:
    """Change a rotation's name, members, start, shift length or end (only the keys in `changes`;
    `ends_local: None` clears the end). With `if_version`, refuse (412) unless it is still the
    stored version; without it the last write wins. The whole rotation is recomputed from the
    new values, past shifts included: what happened on past pages stays in their deliveries."""
    rotation = await rotation_of_team(session, team.id, rotation_id, lock=True)
    if if_version is not None and if_version != rotation.version:
        raise PreconditionFailed(
            f"The rotation changed since you read it (now version {rotation.version}); reload and retry."
        )
    members = await members_of(session, rotation.id)
    new_members = changes.get("members", members)
    if "members" in changes:
        await _check_members(session, team.id, new_members, "members")
    start_local = changes.get("start_local", rotation.start_local)
    ends_local = changes.get("ends_local", rotation.ends_local)
    length_minutes = changes["length_hours"] * 60 if "length_hours" in changes else rotation.length_minutes
    if ends_local is not None and ends_local <= start_local:
        raise ValidationFailed.field("ends_local", "must be after start_local")
    draft = Rotation(
        id=rotation.id,
        team_id=team.id,
        level=rotation.level,
        start_local=start_local,
        ends_local=ends_local,
        length_minutes=length_minutes,
    )
    to_schedule(draft, new_members)  # the schedule's own invariants, before anything is written
    if "name" in changes:
        rotation.name = changes["name"]
    rotation.start_local = start_local
    rotation.ends_local = ends_local
    rotation.length_minutes = length_minutes
    rotation.version += 1
    rotation.updated_at = utcnow()
    if new_members != members:
        await session.execute(delete(RotationMember).where(col(RotationMember.rotation_id) == rotation.id))
        await session.flush()
        for position, user_id in enumerate(new_members):
            session.add(RotationMember(rotation_id=rotation.id, position=position, user_id=user_id))
    await session.flush()
    return rotation, new_members


async def end_rotation(
    session: AsyncSession, team: Team, rotation_id: uuid.UUID, now: datetime
) -> Rotation | None:
    """Stop a rotation now: from this instant nobody is on call through it. One that has not
    started yet is removed outright (None); one that already ended before now is left as it is."""
    rotation = await rotation_of_team(session, team.id, rotation_id, lock=True)
    if schedule.local_to_utc(rotation.start_local) > now:
        await session.execute(delete(RotationMember).where(col(RotationMember.rotation_id) == rotation.id))
        await session.delete(rotation)
        await session.flush()
        return None
    wall_now = now.astimezone(schedule.LONDON).replace(tzinfo=None, second=0, microsecond=0)
    if rotation.ends_local is None or rotation.ends_local > wall_now:
        rotation.ends_local = max(wall_now, rotation.start_local + timedelta(minutes=1))
        rotation.version += 1
        rotation.updated_at = now
        await session.flush()
    return rotation


async def delete_override(session: AsyncSession, team: Team, shift_id: uuid.UUID) -> OverrideShift:
    """Remove an override shift: the rotations cover its interval again."""
    shift = await session.get(OverrideShift, shift_id)
    if shift is None or shift.team_id != team.id:
        raise NotFound("No such shift in this team.")
    await session.delete(shift)
    await session.flush()
    return shift


async def create_override(
    session: AsyncSession,
    team: Team,
    *,
    user_id: uuid.UUID,
    level: str,
    starts_at: datetime,
    ends_at: datetime,
    created_by_id: uuid.UUID | None,
) -> OverrideShift:
    """`user_id` on call at `level` for `[starts_at, ends_at)`, replacing the rotations."""
    starts_at = schedule.require_aware("starts_at", starts_at)
    ends_at = schedule.require_aware("ends_at", ends_at)
    if ends_at <= starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at")
    if ends_at - starts_at > MAX_OVERRIDE:
        raise ValidationFailed.field("ends_at", "a shift lasts at most 31 days")
    await _check_members(session, team.id, [user_id], "user_id")
    shift = OverrideShift(
        team_id=team.id,
        user_id=user_id,
        level=level,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=created_by_id,
    )
    session.add(shift)
    await session.flush()
    return shift


async def overrides_of(
    session: AsyncSession, team_id: uuid.UUID, start: datetime, end: datetime
) -> list[OverrideShift]:
    rows = await session.execute(
        select(OverrideShift)
        .where(
            col(OverrideShift.team_id) == team_id,
            col(OverrideShift.ends_at) > start,
            col(OverrideShift.starts_at) < end,
        )
        .order_by(col(OverrideShift.starts_at))
    )
    return list(rows.scalars())


async def members_of_team(session: AsyncSession, team_id: uuid.UUID) -> list[User]:
    rows = await session.execute(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.team_id) == team_id, col(User.active).is_(True))
        .order_by(col(User.display_name), col(User.username))
    )
    return list(rows.scalars())


def intervals_of(
    rota: TeamRota, team: Team, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[Interval]:
    """The stretches of `[start, end)` in which `user_id` is on call for `team`, per level."""
    found: list[Interval] = []
    for level in LEVELS:
        current: Interval | None = None
        for slot in rota.coverage(level, start, end):
            if user_id in slot.user_ids:
                if current is not None and current.ends_at == slot.starts_at:
                    current = Interval(team, level, current.starts_at, slot.ends_at)
                else:
                    if current is not None:
                        found.append(current)
                    current = Interval(team, level, slot.starts_at, slot.ends_at)
        if current is not None:
            found.append(current)
    return found


async def shifts_of_user(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[Interval]:
    """Every stretch of on-call time of `user_id` in `[start, end)`, over all their teams."""
    rows = await session.execute(
        select(Team)
        .join(Membership, col(Membership.team_id) == col(Team.id))
        .where(col(Membership.user_id) == user_id)
    )
    intervals: list[Interval] = []
    for team in rows.scalars():
        rota = await load_rota(session, team.id, start, end)
        intervals.extend(intervals_of(rota, team, user_id, start, end))
    intervals.sort(key=lambda i: (i.starts_at, i.team.slug, i.level))
    return intervals
