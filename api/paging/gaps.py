"""Warnings on a team's coming rota: stretches with nobody on call, or with somebody on call
whose devices do not work (none registered, all retired, or failing).

In paging, not rota: it reads the rota (below) and the devices paging delivers to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.paging.devices import reachable_user_ids
from api.rota import service as rota


@dataclass(frozen=True)
class RotaGap:
    level: str
    starts_at: datetime
    ends_at: datetime
    reason: str  # "nobody" | "no_working_device"
    user_id: uuid.UUID | None = None


async def find_gaps(
    session: AsyncSession, team_id: uuid.UUID, start: datetime, end: datetime, *, failure_threshold: int
) -> list[RotaGap]:
    """Gaps of `[start, end)`, per level, in time order; adjacent stretches are merged."""
    team_rota = await rota.load_rota(session, team_id, start, end)
    found: list[RotaGap] = []
    for level in rota.LEVELS:
        slots = team_rota.coverage(level, start, end)
        everyone = {uid for slot in slots for uid in slot.user_ids}
        reachable = await reachable_user_ids(session, everyone, failure_threshold)
        for slot in slots:
            problems = (
                [("nobody", None)]
                if not slot.user_ids
                else [("no_working_device", uid) for uid in slot.user_ids if uid not in reachable]
            )
            for reason, user_id in problems:
                _append_merged(found, RotaGap(level, slot.starts_at, slot.ends_at, reason, user_id))
    found.sort(key=lambda g: (g.starts_at, g.level, g.reason))
    return found


def _append_merged(found: list[RotaGap], gap: RotaGap) -> None:
    for i in range(len(found) - 1, -1, -1):
        last = found[i]
        same = (last.level, last.reason, last.user_id) == (gap.level, gap.reason, gap.user_id)
        if same and last.ends_at == gap.starts_at:
            found[i] = RotaGap(gap.level, last.starts_at, gap.ends_at, gap.reason, gap.user_id)
            return
    found.append(gap)
