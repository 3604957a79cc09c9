"""Places, persons of concern, who was present at an incident, a place's profile and a young
person's network. Case roles and coordinators; merge and retire for managers and coordinators.
Police reach none of it (403; 404 on another station's incident), except place suggestions
for the report form (place names are not personal data; nothing else of a place is shown)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth.dependencies import CurrentActor, roles
from api.db import utcnow
from api.deps import SessionDep
from api.flows.network import young_person_network
from api.flows.place_profile import concern_out, place_out, place_profile
from api.incidents.access import incident_roles
from api.places import concerns, service, strategy
from api.places.models import IncidentPerson, PersonOfConcern
from api.places.schemas import (
    IncidentPlaceOut,
    Network,
    PeerRef,
    PersonOfConcernIn,
    PersonOfConcernOut,
    PersonsOfConcernPage,
    PersonsOfConcernQuery,
    PlaceIn,
    PlaceLinkIn,
    PlaceList,
    PlaceMergeIn,
    PlaceMergeOut,
    PlaceOut,
    PlaceProfile,
    PlaceSuggestion,
    PlaceSuggestions,
    PresentIn,
    PresentList,
    PresentOut,
)
from api.places.service import CASE_ROLES, STEWARD_ROLES
from api.places.strategy_schemas import (
    ReviewClockList,
    ReviewClockOut,
    ReviewMetIn,
    StrategyActionOut,
    StrategyActionPatch,
    StrategyMeetingIn,
    StrategyMeetingList,
    StrategyMeetingOut,
)
from api.textinput import IdentifyingText

router = APIRouter(prefix="/api/v1", tags=["places and peers"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such place, or not of your teams' areas"}
}


def _merge_out(record) -> PlaceMergeOut:
    return PlaceMergeOut(
        id=record.id,
        place_id=record.place_id,
        into_place_id=record.into_id,
        incidents_moved=len(record.incident_ids),
        aliases_added=list(record.aliases_added),
        merged_at=record.merged_at,
        undone_at=record.undone_at,
    )


@router.get(
    "/places/suggestions",
    response_model=PlaceSuggestions,
    dependencies=[roles("police", *CASE_ROLES)],
)
async def suggest_places(
    session: SessionDep,
    actor: CurrentActor,
    q: Annotated[IdentifyingText, Query(min_length=1, max_length=120, description="A place name as typed")],
    area: Annotated[IdentifyingText | None, Query(max_length=64, description="Area slug")] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> PlaceSuggestions:
    """Places whose name or an alias resembles `q`, best first. Place names only: never put a
    person's name or address here (it would be in the URL)."""
    found = await service.suggestions(session, actor, q, area, limit)
    return PlaceSuggestions(
        items=[
            PlaceSuggestion(
                id=m.place.id,
                name=m.place.name,
                matched=m.matched,
                area=slug,
                type=m.place.type,
                score=m.score,
            )
            for m, slug in found
        ]
    )


@router.get("/places", response_model=PlaceList, dependencies=[roles(*CASE_ROLES)])
async def list_places(
    session: SessionDep,
    actor: CurrentActor,
    area: Annotated[IdentifyingText | None, Query(max_length=64, description="Area slug")] = None,
    include_retired: bool = False,
) -> PlaceList:
    """The places of your teams' areas, by name (at most 1000); merged duplicates never."""
    slugs = await service.area_slugs(session)
    return PlaceList(
        items=[place_out(p, slugs) for p in await service.list_places(session, actor, area, include_retired)]
    )


@router.post("/places", status_code=201, response_model=PlaceOut, dependencies=[roles(*CASE_ROLES)])
async def create_place(body: PlaceIn, session: SessionDep, actor: CurrentActor) -> PlaceOut:
    place = await service.create_place(session, actor, body)
    return place_out(place, await service.area_slugs(session))


@router.get(
    "/places/{place_id}", response_model=PlaceOut, dependencies=[roles(*CASE_ROLES)], responses=NOT_FOUND
)
async def get_place(place_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> PlaceOut:
    place = await service.readable_place(session, actor, place_id)
    return place_out(place, await service.area_slugs(session))


@router.get(
    "/places/{place_id}/profile",
    response_model=PlaceProfile,
    dependencies=[roles(*CASE_ROLES)],
    responses=NOT_FOUND,
)
async def get_place_profile(
    place_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    weeks: Annotated[int, Query(ge=1, le=104, description="How many ISO weeks the chart shows")] = 12,
) -> PlaceProfile:
    """Incidents per week, CSE/CCE, weekday × hour, indicators, the young people, peers and
    persons of concern seen there: the reader's teams' incidents only; audited per child shown."""
    return await place_profile(session, actor, place_id, weeks=weeks)


@router.post(
    "/places/{place_id}/merge",
    response_model=PlaceMergeOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses=NOT_FOUND,
)
async def merge_place(
    place_id: uuid.UUID, body: PlaceMergeIn, session: SessionDep, actor: CurrentActor
) -> PlaceMergeOut:
    """Merge this duplicate into `into_place_id`: its incidents move there and its names become
    aliases there. Undone by POST /place-merges/{id}/undo."""
    place = await service.readable_place(session, actor, place_id)
    return _merge_out(await service.merge(session, actor, place, body.into_place_id))


@router.post(
    "/place-merges/{merge_id}/undo",
    response_model=PlaceMergeOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses={404: {"description": "No such merge"}},
)
async def undo_merge(merge_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> PlaceMergeOut:
    record = await service.merge_record(session, actor, merge_id)
    return _merge_out(await service.unmerge(session, actor, record))


@router.post(
    "/places/{place_id}/retire",
    response_model=PlaceOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses=NOT_FOUND,
)
async def retire_place(place_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> PlaceOut:
    place = await service.readable_place(session, actor, place_id)
    place = await service.retire(session, actor, place)
    return place_out(place, await service.area_slugs(session))


# Strategy meetings about a place (managers and hub coordinators of the place's area).


@router.post(
    "/places/{place_id}/strategy-meetings",
    status_code=201,
    response_model=StrategyMeetingOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses=NOT_FOUND,
)
async def record_strategy_meeting(
    place_id: uuid.UUID, body: StrategyMeetingIn, session: SessionDep, actor: CurrentActor
) -> StrategyMeetingOut:
    """Who attended, the concerns, the agreed actions and the review date (a `strategy_review`
    clock until the end of that day). Meets the review clock of the place's earlier meeting."""
    place = await service.readable_place(session, actor, place_id)
    meeting = await strategy.record_meeting(session, actor, place, body)
    return (await strategy.meetings_out(session, place, [meeting]))[0]


@router.get(
    "/places/{place_id}/strategy-meetings",
    response_model=StrategyMeetingList,
    dependencies=[roles(*STEWARD_ROLES)],
    responses=NOT_FOUND,
)
async def list_strategy_meetings(
    place_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> StrategyMeetingList:
    """The place's strategy meetings, latest first, with their actions and review clocks."""
    place = await service.readable_place(session, actor, place_id)
    meetings = await strategy.list_meetings(session, actor, place)
    return StrategyMeetingList(items=await strategy.meetings_out(session, place, meetings))


@router.patch(
    "/places/{place_id}/strategy-actions/{action_id}",
    response_model=StrategyActionOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses={404: {"description": "No such action at this place, or not of your teams' areas"}},
)
async def update_strategy_action(
    place_id: uuid.UUID,
    action_id: uuid.UUID,
    body: StrategyActionPatch,
    session: SessionDep,
    actor: CurrentActor,
) -> StrategyActionOut:
    """Mark an agreed action done (it leaves the profile's open actions) or open again."""
    place = await service.readable_place(session, actor, place_id)
    action = await strategy.writable_action(session, actor, place, action_id)
    action = await strategy.set_action_status(session, actor, action, body.status)
    return strategy.action_out(action, await strategy.owner_names(session, action), utcnow())


@router.post(
    "/strategy-meetings/{meeting_id}/review/met",
    response_model=ReviewClockOut,
    dependencies=[roles(*STEWARD_ROLES)],
    responses={404: {"description": "No such meeting, or not of your teams' areas"}},
)
async def strategy_review_met(
    meeting_id: uuid.UUID, session: SessionDep, actor: CurrentActor, body: ReviewMetIn | None = None
) -> ReviewClockOut:
    """Record that the review was held without a new meeting (marking it again changes nothing)."""
    meeting = await strategy.readable_meeting(session, actor, meeting_id)
    place = await service.readable_place(session, actor, meeting.place_id)
    meeting = await strategy.mark_review_met(session, actor, meeting, body.note if body else None)
    return strategy.review_out(meeting, place.name, utcnow())


@router.get("/strategy-reviews", response_model=ReviewClockList, dependencies=[roles(*STEWARD_ROLES)])
async def strategy_reviews(
    session: SessionDep,
    actor: CurrentActor,
    include_met: Annotated[bool, Query(description="Also the reviews already met")] = False,
) -> ReviewClockList:
    """The strategy review clocks of your teams' areas' places, soonest due first."""
    return ReviewClockList(clocks=await strategy.review_clocks(session, actor, include_met=include_met))


@router.put(
    "/incidents/{incident_id}/place",
    response_model=IncidentPlaceOut,
    dependencies=[incident_roles(*CASE_ROLES)],
)
async def link_incident_place(
    incident_id: uuid.UUID, body: PlaceLinkIn, session: SessionDep, actor: CurrentActor
) -> IncidentPlaceOut:
    """Re-link the incident to a place (a merged place's id links to where it went); null unlinks.
    The incident's own location description is not changed."""
    incident = await concerns.case_incident(session, actor, incident_id)
    incident = await service.link_incident(session, actor, incident, body.place_id)
    return IncidentPlaceOut(incident_id=incident.id, place_id=incident.place_id)


# Persons of concern and who was present.


@router.post(
    "/persons-of-concern",
    status_code=201,
    response_model=PersonOfConcernOut,
    dependencies=[roles(*CASE_ROLES)],
)
async def create_person_of_concern(
    body: PersonOfConcernIn, session: SessionDep, actor: CurrentActor
) -> PersonOfConcernOut:
    person = await concerns.create_concern(session, actor, body)
    return concern_out(person, await service.area_slugs(session))


@router.post(
    "/persons-of-concern/search", response_model=PersonsOfConcernPage, dependencies=[roles(*CASE_ROLES)]
)
async def search_persons_of_concern(
    body: PersonsOfConcernQuery, session: SessionDep, actor: CurrentActor
) -> PersonsOfConcernPage:
    """Persons of concern of your teams' areas resembling `text` (in the body, never a URL)."""
    found = await concerns.search_concerns(session, actor, body.text, body.limit)
    slugs = await service.area_slugs(session)
    return PersonsOfConcernPage(items=[concern_out(p, slugs) for p in found])


def _present_out(
    link: IncidentPerson, peer, concern: PersonOfConcern | None, slugs: dict[uuid.UUID, str]
) -> PresentOut:
    return PresentOut(
        id=link.id,
        incident_id=link.incident_id,
        role=link.role,
        young_person=PeerRef(id=peer.id, first_name=peer.first_name, last_name=peer.last_name)
        if peer
        else None,
        person_of_concern=concern_out(concern, slugs) if concern else None,
        created_at=link.created_at,
    )


@router.get(
    "/incidents/{incident_id}/people", response_model=PresentList, dependencies=[incident_roles(*CASE_ROLES)]
)
async def list_present(incident_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> PresentList:
    """The peers and persons of concern recorded as present at the incident."""
    incident = await concerns.case_incident(session, actor, incident_id)
    slugs = await service.area_slugs(session)
    return PresentList(
        items=[_present_out(*row, slugs) for row in await concerns.present_at(session, actor, incident)]
    )


@router.post(
    "/incidents/{incident_id}/people",
    status_code=201,
    response_model=PresentOut,
    dependencies=[incident_roles(*CASE_ROLES)],
)
async def link_present(
    incident_id: uuid.UUID, body: PresentIn, session: SessionDep, actor: CurrentActor
) -> PresentOut:
    """Record a peer (a record you can see by id, or by name and date of birth, matched as intake
    matches) or a person of concern as present. 409 if already recorded."""
    incident = await concerns.case_incident(session, actor, incident_id)
    link, peer, concern, matched_by = await concerns.link_present(session, actor, incident, body)
    out = _present_out(link, peer, concern, await service.area_slugs(session))
    out.matched_by = matched_by
    return out


@router.delete(
    "/incidents/{incident_id}/people/{link_id}",
    status_code=204,
    response_class=Response,
    dependencies=[incident_roles(*CASE_ROLES)],
)
async def unlink_present(
    incident_id: uuid.UUID, link_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> Response:
    incident = await concerns.case_incident(session, actor, incident_id)
    await concerns.unlink_present(session, actor, incident, link_id)
    return Response(status_code=204)


@router.get(
    "/young-people/{young_person_id}/network",
    response_model=Network,
    dependencies=[roles(*CASE_ROLES)],
    responses={404: {"description": "No such young person, or none of your teams' incidents"}},
)
async def get_network(young_person_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> Network:
    """The peers and persons of concern seen with the young person, how often and where: from
    the incidents of your teams only; audited naming the child and every peer shown."""
    return await young_person_network(session, actor, young_person_id)
