"""GET /api/v1/events: the caller's live events as Server-Sent Events."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.auth.dependencies import EVERYONE, CurrentActor, roles
from api.deps import SessionDep, SettingsDep
from api.events.hub import Viewer, hub
from api.events.stream import event_stream

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.get(
    "/events",
    dependencies=[roles(*EVERYONE)],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "A text/event-stream of `incident.created`, `incident.updated`, `page.sent`, "
                "`page.acknowledged`, `page.escalated`, `incident.uncovered`, `support.recorded`, "
                "`handover.updated` and `partner_concern.reported` (a partner's concern reached the hub), "
                "each `data` a small JSON with ids only, scoped like the reads. "
                "The stream starts with `retry:`, sends keep-alive comments and ends after a maximum "
                "age: reconnect and refetch. Event ids are unique; there is no replay from Last-Event-ID."
            ),
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(actor: CurrentActor, session: SessionDep, settings: SettingsDep) -> StreamingResponse:
    viewer = Viewer(user_id=actor.id, roles=actor.roles, team_ids=actor.team_ids, station_id=actor.station_id)
    # The stream lives for minutes: give the connection (and SQLite's lock) back now.
    await session.commit()
    await session.close()
    return StreamingResponse(
        event_stream(
            hub,
            viewer,
            keepalive_seconds=settings.events_keepalive_seconds,
            max_age_seconds=settings.events_max_age_seconds,
            retry_ms=settings.events_retry_ms,
        ),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )
