"""On-call resolution: who is on call at one level, at an instant or over a period.

Pure time logic: no database, no HTTP, no clock. Rotations are defined in Europe/London wall
time (a hand-off "at 17:00" stays at 17:00 all year) and resolved to UTC instants.

Shift ``k`` of a rotation starts at the wall time ``start_local + k * length`` and ends where
shift ``k + 1`` starts. Both ends go through the same conversion (``local_to_utc``), so
consecutive shifts always meet exactly: no gap and no overlap across the clock changes, only a
shift that is an hour shorter (last Sunday of March) or longer (last Sunday of October).

Overrides replace the rotations of their level for their interval; when several overrides run at
once, all of their people are on call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

Level = Literal["primary", "secondary"]
SlotSource = Literal["override", "rotation", "none"]
LEVELS: frozenset[str] = frozenset({"primary", "secondary"})

# London's clocks move by one hour. With shorter shifts a later wall time in the March gap
# could resolve to an earlier instant than the hand-off before it (a negative shift).
MIN_SHIFT_LENGTH = timedelta(hours=1)


def require_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; a naive one is a ValueError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def local_to_utc(wall: datetime) -> datetime:
    """Resolve a naive Europe/London wall time to an aware UTC instant.

    Both daylight-saving edge cases resolve with ``fold=0`` (PEP 495), deterministically:

    - a wall time that happens twice (last Sunday of October, 01:00-01:59) means its first
      occurrence, still in BST: 01:30 -> 00:30 UTC;
    - a wall time that never happens (last Sunday of March, 01:00-01:59) is read with the
      offset in force before the change (GMT): 01:30 -> 01:30 UTC, which is 02:30 BST.
    """
    if wall.tzinfo is not None:
        raise ValueError(f"wall time must be naive Europe/London time, got {wall.isoformat()}")
    return wall.replace(tzinfo=LONDON, fold=0).astimezone(UTC)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {sorted(LEVELS)}, got {level!r}")


@dataclass(frozen=True)
class Shift:
    """One shift of a rotation, in UTC; ``user_id`` is None for a rotation with no members."""

    index: int
    starts_at: datetime
    ends_at: datetime
    user_id: uuid.UUID | None


@dataclass(frozen=True)
class Rotation:
    """Ordered members handing over every ``length`` of wall-clock time from ``start_local``.

    ``start_local`` and ``ends_local`` are naive Europe/London wall times; ``ends_local`` cuts
    the last shift short. A rotation with no members puts nobody on call.
    """

    id: uuid.UUID
    level: Level
    members: list[uuid.UUID]
    start_local: datetime
    length: timedelta
    ends_local: datetime | None = None

    def __post_init__(self) -> None:
        _check_level(self.level)
        if self.start_local.tzinfo is not None:
            raise ValueError("start_local must be a naive Europe/London wall time")
        if self.ends_local is not None:
            if self.ends_local.tzinfo is not None:
                raise ValueError("ends_local must be a naive Europe/London wall time")
            if self.ends_local <= self.start_local:
                raise ValueError("ends_local must be after start_local")
        if self.length < MIN_SHIFT_LENGTH:
            raise ValueError(f"length must be at least {MIN_SHIFT_LENGTH}")

    @property
    def starts_at(self) -> datetime:
        """UTC instant of the first hand-off."""
        return local_to_utc(self.start_local)

    @property
    def ends_at(self) -> datetime | None:
        """UTC instant at which the rotation stops, or None if it runs on."""
        return None if self.ends_local is None else local_to_utc(self.ends_local)

    def shift_start(self, index: int) -> datetime:
        """UTC instant at which shift ``index`` starts (ignoring ``ends_local``)."""
        return local_to_utc(self.start_local + index * self.length)

    def member(self, index: int) -> uuid.UUID | None:
        """Who holds shift ``index``."""
        if not self.members:
            return None
        return self.members[index % len(self.members)]

    def shift_index(self, at: datetime) -> int | None:
        """Index of the shift running at instant ``at``, or None outside the rotation's life.

        Jumps to the index arithmetically from the wall time, then corrects by a step or two
        for the clock changes, so a rotation that began years ago costs the same as a new one.
        """
        at = require_aware("at", at)
        ends_at = self.ends_at
        if at < self.starts_at or (ends_at is not None and at >= ends_at):
            return None
        wall = at.astimezone(LONDON).replace(tzinfo=None)
        index = max(0, (wall - self.start_local) // self.length)
        while index > 0 and self.shift_start(index) > at:
            index -= 1
        while self.shift_start(index + 1) <= at:
            index += 1
        return index

    def shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        """Shifts overlapping ``[start, end)`` in order, cut at the rotation's end.

        Shifts are not clipped to the window. A shift of zero length (only possible with a
        one-hour shift whose wall-clock start falls in the March gap) is skipped.
        """
        start = require_aware("start", start)
        end = require_aware("end", end)
        ends_at = self.ends_at
        if start < self.starts_at:
            index = 0
        else:
            found = self.shift_index(start)
            if found is None:  # the rotation has ended
                return
            index = found
        while True:
            shift_starts = self.shift_start(index)
            if shift_starts >= end or (ends_at is not None and shift_starts >= ends_at):
                return
            shift_ends = self.shift_start(index + 1)
            if ends_at is not None:
                shift_ends = min(shift_ends, ends_at)
            if shift_ends > shift_starts:
                yield Shift(index, shift_starts, shift_ends, self.member(index))
            index += 1


@dataclass(frozen=True)
class Override:
    """``user_id`` is on call at ``level`` for ``[starts_at, ends_at)``, replacing the rotations."""

    user_id: uuid.UUID
    level: Level
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        _check_level(self.level)
        # Normalise to UTC once so comparisons and slot boundaries are all UTC.
        object.__setattr__(self, "starts_at", require_aware("starts_at", self.starts_at))
        object.__setattr__(self, "ends_at", require_aware("ends_at", self.ends_at))
        if self.ends_at <= self.starts_at:
            raise ValueError("override ends_at must be after starts_at")


@dataclass(frozen=True)
class Slot:
    """A maximal stretch of ``[starts_at, ends_at)`` with the same people on call.

    ``source`` says where they came from; ``none`` (with empty ``user_ids``) is a gap.
    """

    starts_at: datetime
    ends_at: datetime
    user_ids: list[uuid.UUID]
    source: SlotSource


def _unique(user_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(user_ids))


def on_call(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    level: str,
    at: datetime,
) -> list[uuid.UUID]:
    """Who is on call at ``level`` at instant ``at``.

    Overrides running at ``at`` win: their people, in the order given, replace the rotations.
    Otherwise the members of every rotation of that level running at ``at`` (union, in
    rotation order). Duplicates are removed; an empty list means nobody is on call.
    """
    _check_level(level)
    at = require_aware("at", at)
    overriding = [o.user_id for o in overrides if o.level == level and o.starts_at <= at < o.ends_at]
    if overriding:
        return _unique(overriding)
    members: list[uuid.UUID] = []
    for rotation in rotations:
        if rotation.level != level:
            continue
        index = rotation.shift_index(at)
        if index is not None and (member := rotation.member(index)) is not None:
            members.append(member)
    return _unique(members)


@dataclass(frozen=True)
class _Span:
    starts_at: datetime
    ends_at: datetime
    rank: tuple[int, int]  # (0 override | 1 rotation, position in its input list)
    user_id: uuid.UUID


def coverage(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    level: str,
    start: datetime,
    end: datetime,
) -> list[Slot]:
    """Contiguous slots covering ``[start, end)`` exactly, gaps included, all in UTC.

    Each slot answers ``on_call`` for every instant inside it. Adjacent stretches with the same
    people and source are merged, so a slot boundary is a real change of who is on call.
    Work is proportional to the shifts inside the window, not to the rotation's age.
    """
    _check_level(level)
    start = require_aware("start", start)
    end = require_aware("end", end)
    if end < start:
        raise ValueError("end must not be before start")
    if end == start:
        return []

    spans: list[_Span] = []
    for position, override in enumerate(overrides):
        if override.level == level and override.starts_at < end and override.ends_at > start:
            spans.append(
                _Span(
                    max(override.starts_at, start),
                    min(override.ends_at, end),
                    (0, position),
                    override.user_id,
                )
            )
    for position, rotation in enumerate(rotations):
        if rotation.level != level:
            continue
        for shift in rotation.shifts(start, end):
            if shift.user_id is not None:
                spans.append(
                    _Span(
                        max(shift.starts_at, start),
                        min(shift.ends_at, end),
                        (1, position),
                        shift.user_id,
                    )
                )

    cuts = sorted({start, end, *(s.starts_at for s in spans), *(s.ends_at for s in spans)})
    waiting = sorted(spans, key=lambda s: s.starts_at)
    next_waiting = 0
    active: list[_Span] = []
    slots: list[Slot] = []
    for slot_starts, slot_ends in pairwise(cuts):
        while next_waiting < len(waiting) and waiting[next_waiting].starts_at <= slot_starts:
            active.append(waiting[next_waiting])
            next_waiting += 1
        active = [s for s in active if s.ends_at > slot_starts]
        present = sorted(active, key=lambda s: s.rank)
        overriding = [s.user_id for s in present if s.rank[0] == 0]
        source: SlotSource
        if overriding:
            user_ids, source = _unique(overriding), "override"
        elif present:
            user_ids, source = _unique([s.user_id for s in present]), "rotation"
        else:
            user_ids, source = [], "none"
        previous = slots[-1] if slots else None
        if previous and previous.user_ids == user_ids and previous.source == source:
            slots[-1] = Slot(previous.starts_at, slot_ends, user_ids, source)
        else:
            slots.append(Slot(slot_starts, slot_ends, user_ids, source))
    return slots
