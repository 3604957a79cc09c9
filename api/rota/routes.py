"""Rota routes: rotations, override shifts, who is on call, gaps, calendar exports.

Managers of the team and admins manage a rota; the team's members read it; everyone reads
their own on-call time.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from api.audit import service as audit
from api.auth.dependencies import ALL_STAFF, CurrentActor, roles
from api.auth.queries import users_by_id
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import ValidationFailed
from api.paging.gaps import find_gaps
from api.rota import service
from api.rota.access import team_to_manage, team_to_read
from api.rota.calendar import CalendarEntry, to_ics
from api.rota.models import OverrideShift, Rotation
from api.rota.schedule import local_to_utc
from api.rota.schemas import (
    Gap,
    GapsOut,
    MemberOut,
    MyOnCallOut,
    MyShift,
    OnCallOut,
    PersonRef,
    RotationCreate,
    RotationOut,
    RotationUpdate,
    ShiftCreate,
    ShiftOut,
    TeamRef,
)
from api.timewindows import RotaInstant

router = APIRouter(prefix="/api/v1", tags=["rota"])

MANAGERS = ("manager", "admin")
ICS = "text/calendar; charset=utf-8"
# A shift that started before a window is still shown whole: look back this far.
LOOK_BACK = timedelta(days=31)


def _person(names: dict, user_id: uuid.UUID) -> PersonRef:
    user = names.get(user_id)
    return PersonRef(id=user_id, display_name=user.display_name if user else "")


def _rotation_out(rotation: Rotation, members: list[uuid.UUID], names: dict) -> RotationOut:
    return RotationOut(
        id=rotation.id,
        team_id=rotation.team_id,
        name=rotation.name,
        level=rotation.level,
        members=[_person(names, m) for m in members],
        start_local=rotation.start_local,
        length_hours=rotation.length_minutes / 60,
        ends_local=rotation.ends_local,
        starts_at=local_to_utc(rotation.start_local),
        ends_at=local_to_utc(rotation.ends_local) if rotation.ends_local else None,
        created_at=rotation.created_at,
        version=rotation.version,
        updated_at=rotation.updated_at,
    )


def _if_match(value: str | None) -> int | None:
    """The version an `If-Match` names (`"3"`, `W/"3"` or `3`); None when absent."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise ValidationFailed.field("If-Match", 'must be the rotation\'s version, such as "2"')
    return int(text)


def _shift_out(shift: OverrideShift, names: dict) -> ShiftOut:
    return ShiftOut(
        id=shift.id,
        team_id=shift.team_id,
        user=_person(names, shift.user_id),
        level=shift.level,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=shift.created_at,
    )


@router.post(
    "/teams/{team_id}/rotations",
    status_code=status.HTTP_201_CREATED,
    response_model=RotationOut,
    dependencies=[roles(*MANAGERS)],
)
async def create_rotation(
    team_id: uuid.UUID, body: RotationCreate, session: SessionDep, actor: CurrentActor
) -> RotationOut:
    """A rotation: `members` take turns, handing over every `length_hours` of London wall-clock
    time from `start_local` (a hand-off at 17:00 stays at 17:00 across the clock changes)."""
    team = await team_to_manage(session, actor, team_id)
    rotation, members = await service.create_rotation(
        session,
        team,
        name=body.name,
        level=body.level,
        members=body.members,
        start_local=body.start_local,
        length_hours=body.length_hours,
        ends_local=body.ends_local,
        created_by_id=actor.id,
    )
    audit.record(
        session,
        actor,
        "rota.rotation.create",
        resource_type="rotation",
        resource_id=rotation.id,
        team_id=team.id,
    )
    return _rotation_out(rotation, members, await users_by_id(session, set(members)))


@router.get("/teams/{team_id}/rotations", response_model=list[RotationOut], dependencies=[roles(*ALL_STAFF)])
async def list_rotations(team_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> list[RotationOut]:
    await team_to_read(session, actor, team_id)
    rotations = await service.rotations_of(session, [team_id])
    names = await users_by_id(session, {m for _, members in rotations for m in members})
    return [_rotation_out(r, members, names) for r, members in rotations]


@router.patch(
    "/teams/{team_id}/rotations/{rotation_id}",
    response_model=RotationOut,
    dependencies=[roles(*MANAGERS)],
    responses={
        404: {"description": "No such rotation in this team"},
        412: {"description": "`If-Match` named a version that is no longer the rotation's"},
    },
)
async def update_rotation(
    team_id: uuid.UUID,
    rotation_id: uuid.UUID,
    body: RotationUpdate,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None,
) -> RotationOut:
    """Edit a rotation: its name, members, first hand-off, shift length or end (`ends_local`;
    shifts after it leave on-call, the gaps and the calendars). Only the fields sent change.

    Send `If-Match` with the `version` you read to be refused (412) if someone else edited it
    since; without it the last write wins (a manager fixing tonight's rota from a phone)."""
    team = await team_to_manage(session, actor, team_id)
    changes = body.model_dump(exclude_unset=True)
    nulls = [
        k for k in ("name", "members", "start_local", "length_hours") if k in changes and changes[k] is None
    ]
    if nulls:
        raise ValidationFailed(
            "These fields cannot be emptied.",
            errors=[{"field": k, "message": "may not be null"} for k in nulls],
        )
    rotation, members = await service.update_rotation(
        session, team, rotation_id, changes=changes, if_version=_if_match(if_match)
    )
    audit.record(
        session,
        actor,
        "rota.rotation.update",
        resource_type="rotation",
        resource_id=rotation.id,
        team_id=team.id,
        detail={"fields": sorted(changes), "version": rotation.version},
    )
    response.headers["ETag"] = f'"{rotation.version}"'
    return _rotation_out(rotation, members, await users_by_id(session, set(members)))


@router.delete(
    "/teams/{team_id}/rotations/{rotation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[roles(*MANAGERS)],
    responses={404: {"description": "No such rotation in this team"}},
)
async def end_rotation(
    team_id: uuid.UUID, rotation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> Response:
    """End a rotation now (its `ends_local` becomes now; it stays listed for the record). A
    rotation that has not started yet is removed. To end it at another time, PATCH `ends_local`."""
    team = await team_to_manage(session, actor, team_id)
    ended = await service.end_rotation(session, team, rotation_id, utcnow())
    audit.record(
        session,
        actor,
        "rota.rotation.end" if ended is not None else "rota.rotation.delete",
        resource_type="rotation",
        resource_id=rotation_id,
        team_id=team.id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/teams/{team_id}/members", response_model=list[MemberOut], dependencies=[roles(*ALL_STAFF)])
async def team_members(team_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> list[MemberOut]:
    """The team's active members (staff names and roles): who a rota or a policy level can name."""
    await team_to_read(session, actor, team_id)
    return [
        MemberOut(
            id=u.id,
            display_name=u.display_name,
            roles=u.roles,
            on_call=bool(service.ON_CALL_ROLES & set(u.roles)),
        )
        for u in await service.members_of_team(session, team_id)
    ]


@router.post(
    "/teams/{team_id}/shifts",
    status_code=status.HTTP_201_CREATED,
    response_model=ShiftOut,
    dependencies=[roles(*MANAGERS)],
)
async def create_shift(
    team_id: uuid.UUID, body: ShiftCreate, session: SessionDep, actor: CurrentActor
) -> ShiftOut:
    """An override: `user_id` is on call at `level` for the interval, instead of the rotations."""
    team = await team_to_manage(session, actor, team_id)
    shift = await service.create_override(
        session,
        team,
        user_id=body.user_id,
        level=body.level,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        created_by_id=actor.id,
    )
    audit.record(
        session,
        actor,
        "rota.shift.create",
        resource_type="override_shift",
        resource_id=shift.id,
        team_id=team.id,
    )
    return _shift_out(shift, await users_by_id(session, {shift.user_id}))


@router.delete(
    "/teams/{team_id}/shifts/{shift_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[roles(*MANAGERS)],
    responses={404: {"description": "No such shift in this team"}},
)
async def delete_shift(
    team_id: uuid.UUID, shift_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> Response:
    """Remove an override shift: the rotations cover its interval again."""
    team = await team_to_manage(session, actor, team_id)
    shift = await service.delete_override(session, team, shift_id)
    audit.record(
        session,
        actor,
        "rota.shift.delete",
        resource_type="override_shift",
        resource_id=shift.id,
        team_id=team.id,
        detail={"user_id": str(shift.user_id), "level": shift.level},
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/teams/{team_id}/shifts", response_model=list[ShiftOut], dependencies=[roles(*ALL_STAFF)])
async def list_shifts(
    team_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    from_: Annotated[RotaInstant | None, Query(alias="from")] = None,
    to: Annotated[RotaInstant | None, Query()] = None,
) -> list[ShiftOut]:
    await team_to_read(session, actor, team_id)
    start = from_ or utcnow()
    shifts = await service.overrides_of(session, team_id, start, to or start + timedelta(days=60))
    names = await users_by_id(session, {s.user_id for s in shifts})
    return [_shift_out(s, names) for s in shifts]


@router.get("/teams/{team_id}/on-call", response_model=OnCallOut, dependencies=[roles(*ALL_STAFF)])
async def on_call(
    team_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    at: Annotated[
        RotaInstant | None, Query(description="An instant with an offset (within 5 years); default now")
    ] = None,
) -> OnCallOut:
    await team_to_read(session, actor, team_id)
    at = at or utcnow()
    team_rota = await service.load_rota(session, team_id, at)
    primary, secondary = team_rota.on_call("primary", at), team_rota.on_call("secondary", at)
    names = await users_by_id(session, set(primary) | set(secondary))
    return OnCallOut(
        team_id=team_id,
        at=at,
        primary=[_person(names, u) for u in primary],
        secondary=[_person(names, u) for u in secondary],
    )


@router.get("/teams/{team_id}/rota/gaps", response_model=GapsOut, dependencies=[roles(*MANAGERS)])
async def rota_gaps(
    team_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=1, le=60)] = 7,
) -> GapsOut:
    """Coming stretches with nobody on call, or with somebody on call who has no working device."""
    await team_to_manage(session, actor, team_id)
    start = utcnow()
    end = start + timedelta(days=days)
    gaps = await find_gaps(session, team_id, start, end, failure_threshold=settings.device_failure_threshold)
    names = await users_by_id(session, {g.user_id for g in gaps if g.user_id})
    return GapsOut(
        team_id=team_id,
        starts_at=start,
        ends_at=end,
        gaps=[
            Gap(
                level=g.level,
                starts_at=g.starts_at,
                ends_at=g.ends_at,
                reason=g.reason,
                user=_person(names, g.user_id) if g.user_id else None,
            )
            for g in gaps
        ],
    )


@router.get(
    "/teams/{team_id}/rota.ics",
    dependencies=[roles(*ALL_STAFF)],
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "The team's on-call rota"}},
)
async def team_calendar(
    team_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=1, le=120)] = 28,
) -> Response:
    team = await team_to_read(session, actor, team_id)
    start = utcnow()
    end = start + timedelta(days=days)
    team_rota = await service.load_rota(session, team_id, start - LOOK_BACK, end)
    slots = [
        (level, slot)
        for level in service.LEVELS
        for slot in team_rota.coverage(level, start - LOOK_BACK, end)
        if slot.ends_at > start
    ]
    names = await users_by_id(session, {u for _, s in slots for u in s.user_ids})
    entries = [
        CalendarEntry(
            uid=f"{team.id}-{level}-{int(slot.starts_at.timestamp())}@lantern",
            summary=f"{team.name} {level}: "
            + (", ".join(_person(names, u).display_name for u in slot.user_ids) or "NOBODY ON CALL"),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        for level, slot in slots
    ]
    return Response(to_ics(f"Lantern on call - {team.name}", entries), media_type=ICS)


async def _my_shifts(session, user_id: uuid.UUID, days: int) -> list[service.Interval]:
    now = utcnow()
    return [
        i
        for i in await service.shifts_of_user(session, user_id, now - LOOK_BACK, now + timedelta(days=days))
        if i.ends_at > now
    ]


def _my_shift(interval: service.Interval) -> MyShift:
    team = interval.team
    return MyShift(
        team=TeamRef(id=team.id, slug=team.slug, name=team.name),
        level=interval.level,
        starts_at=interval.starts_at,
        ends_at=interval.ends_at,
    )


@router.get("/me/on-call", response_model=MyOnCallOut, dependencies=[roles(*ALL_STAFF)])
async def my_on_call(session: SessionDep, actor: CurrentActor) -> MyOnCallOut:
    """Am I on call now (for which teams and levels), and when is my next shift."""
    now = utcnow()
    intervals = await _my_shifts(session, actor.id, 28)
    current = [_my_shift(i) for i in intervals if i.starts_at <= now]
    coming = [i for i in intervals if i.starts_at > now]
    return MyOnCallOut(now=current, next=_my_shift(coming[0]) if coming else None)


@router.get(
    "/me/shifts.ics",
    dependencies=[roles(*ALL_STAFF)],
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "My on-call shifts"}},
)
async def my_calendar(
    session: SessionDep, actor: CurrentActor, days: Annotated[int, Query(ge=1, le=120)] = 56
) -> Response:
    entries = [
        CalendarEntry(
            uid=f"{actor.id}-{i.team.id}-{i.level}-{int(i.starts_at.timestamp())}@lantern",
            summary=f"On call ({i.level}) - {i.team.name}",
            starts_at=i.starts_at,
            ends_at=i.ends_at,
        )
        for i in await _my_shifts(session, actor.id, days)
    ]
    return Response(to_ics("Lantern - my on-call shifts", entries), media_type=ICS)
