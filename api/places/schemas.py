"""Shapes of the places and persons-of-concern API, and of the place profile and network reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from api.auth.schemas import WriteModel
from api.places.strategy_schemas import PlaceStrategy
from api.textinput import IdentifyingText

PlaceType = Literal[
    "transport_hub",
    "takeaway_or_shop",
    "park_or_open_space",
    "hotel_or_short_let",
    "private_address",
    "school_or_college",
    "online_platform",
    "other",
]
PlaceName = Annotated[IdentifyingText, Field(min_length=2, max_length=120)]
# An OS grid reference ("SK 585 045") or a postcode district ("LE1"), never a full postcode.
GRID_REFERENCE = r"^[A-Z]{2} ?[0-9]{2,5} ?[0-9]{2,5}$"
POSTCODE_DISTRICT = r"^[A-Z]{1,2}[0-9][A-Z0-9]?$"


class PlaceIn(WriteModel):
    name: PlaceName = Field(
        description="A private address is named without house or flat numbers (lists show names)"
    )
    aliases: list[PlaceName] = Field(default_factory=list, max_length=20)
    area: IdentifyingText = Field(min_length=1, max_length=64, description="Area slug")
    type: PlaceType
    grid_reference: IdentifyingText | None = Field(
        default=None, pattern=GRID_REFERENCE, description="OS grid reference, e.g. SK 585 045"
    )
    postcode_district: IdentifyingText | None = Field(
        default=None,
        pattern=POSTCODE_DISTRICT,
        description="The outward code only (LE1), never a full postcode: no home address is kept",
    )

    @model_validator(mode="after")
    def _no_home_address(self) -> PlaceIn:
        # Lists and suggestions show names: a home's number and street would be an address.
        if self.type == "private_address":
            for label in (self.name, *self.aliases):
                if any(c.isdigit() for c in label):
                    raise ValueError("name a private address without its house or flat number")
        return self


class PlaceMergeIn(WriteModel):
    into_place_id: uuid.UUID = Field(description="The place that stays; this one becomes its alias")


class PlaceLinkIn(WriteModel):
    place_id: uuid.UUID | None = Field(description="The incident's place; null unlinks it")


class PlaceOut(BaseModel):
    id: uuid.UUID
    name: str
    aliases: list[str]
    area: str | None
    type: str
    grid_reference: str | None
    postcode_district: str | None
    created_at: datetime
    retired_at: datetime | None
    merged_into_id: uuid.UUID | None


class PlaceList(BaseModel):
    items: list[PlaceOut]


class PlaceSuggestion(BaseModel):
    id: uuid.UUID
    name: str
    matched: str = Field(description="The name or alias that matched")
    area: str | None
    type: str
    score: float


class PlaceSuggestions(BaseModel):
    items: list[PlaceSuggestion]


class PlaceMergeOut(BaseModel):
    id: uuid.UUID
    place_id: uuid.UUID
    into_place_id: uuid.UUID
    incidents_moved: int
    aliases_added: list[str]
    merged_at: datetime
    undone_at: datetime | None


class IncidentPlaceOut(BaseModel):
    incident_id: uuid.UUID
    place_id: uuid.UUID | None


# Persons of concern and who was present.

PhoneDigits = Annotated[
    IdentifyingText, Field(pattern=r"^[0-9]{2,4}$", description="The last 2 to 4 digits only")
]


class PersonOfConcernIn(WriteModel):
    nickname: IdentifyingText | None = Field(default=None, min_length=1, max_length=80)
    description: IdentifyingText | None = Field(default=None, min_length=1, max_length=300)
    vehicle: IdentifyingText | None = Field(
        default=None, min_length=1, max_length=80, description="Make, colour, a partial registration"
    )
    phone_last_digits: PhoneDigits | None = None
    area: IdentifyingText | None = Field(default=None, max_length=64, description="Area slug")

    @model_validator(mode="after")
    def _something(self) -> PersonOfConcernIn:
        if not (self.nickname or self.description or self.vehicle or self.phone_last_digits):
            raise ValueError("give a nickname, a description, a vehicle or a phone's last digits")
        return self


class PersonOfConcernOut(BaseModel):
    id: uuid.UUID
    nickname: str | None
    description: str | None
    vehicle: str | None
    phone_last_digits: str | None
    area: str | None
    created_at: datetime


class PersonsOfConcernQuery(WriteModel):
    """A search in a body: what is known of a person of concern never goes in a URL."""

    text: IdentifyingText = Field(min_length=1, max_length=80)
    limit: int = Field(default=10, ge=1, le=50)


class PersonsOfConcernPage(BaseModel):
    items: list[PersonOfConcernOut]


class PeerIn(WriteModel):
    """A peer by what is known of them: matched as intake matches a young person (the LA
    reference, else the name and date of birth); a partial match makes a new record with
    possible matches to confirm, never a merge."""

    first_name: IdentifyingText = Field(min_length=1, max_length=80)
    last_name: IdentifyingText = Field(min_length=1, max_length=80)
    date_of_birth: date | None = None
    apparent_age: int | None = Field(default=None, ge=0, le=25)
    la_reference: IdentifyingText | None = Field(default=None, min_length=1, max_length=64)


class PresentIn(WriteModel):
    """Who was present: a young person (by the id of a record you can see, or by name and date
    of birth) or a person of concern (by id). Exactly one of the three."""

    young_person_id: uuid.UUID | None = None
    young_person: PeerIn | None = None
    person_of_concern_id: uuid.UUID | None = None
    role: IdentifyingText = Field(default="peer", min_length=1, max_length=40)

    @model_validator(mode="after")
    def _exactly_one(self) -> PresentIn:
        given = [self.young_person_id, self.young_person, self.person_of_concern_id]
        if sum(x is not None for x in given) != 1:
            raise ValueError("give exactly one of young_person_id, young_person and person_of_concern_id")
        return self


class PeerRef(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str


class PresentOut(BaseModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    role: str
    matched_by: str | None = Field(
        default=None, description="For a peer given by name: la_reference, name_and_dob or new"
    )
    young_person: PeerRef | None
    person_of_concern: PersonOfConcernOut | None
    created_at: datetime


class PresentList(BaseModel):
    items: list[PresentOut]


# The place profile and the network (api/flows/contexts.py).


class WeekCount(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W48")
    incidents: int


class HourCell(BaseModel):
    weekday: int = Field(description="1 = Monday … 7 = Sunday (ISO), London time")
    hour: int = Field(description="0–23, London time")
    incidents: int


class IndicatorSeen(BaseModel):
    code: str
    label: str
    group: str
    category: str
    incidents: int


class PersonSeen(BaseModel):
    """A young person or a person of concern, with how often and when they were seen."""

    incidents: int
    first_seen: datetime
    last_seen: datetime


class YoungPersonSeen(PersonSeen):
    id: uuid.UUID
    first_name: str
    last_name: str


class ConcernSeen(PersonSeen):
    person: PersonOfConcernOut


class CategorySplit(BaseModel):
    cse: int
    cce: int
    both: int
    neither: int


class PlaceProfile(BaseModel):
    place: PlaceOut
    incidents: int
    weeks: list[WeekCount]
    categories: CategorySplit
    weekday_hours: list[HourCell] = Field(description="Only the cells with incidents")
    indicators: list[IndicatorSeen]
    young_people: list[YoungPersonSeen]
    peers: list[YoungPersonSeen] = Field(description="Young people recorded as present, not the subject")
    persons_of_concern: list[ConcernSeen]
    strategy: PlaceStrategy = Field(
        description="Strategy meetings about the place: the open actions and the next review date"
    )


class PlaceSeen(BaseModel):
    id: uuid.UUID
    name: str
    incidents: int


class NetworkPeer(YoungPersonSeen):
    places: list[PlaceSeen]


class NetworkConcern(ConcernSeen):
    places: list[PlaceSeen]


class Network(BaseModel):
    young_person_id: uuid.UUID
    incidents: int = Field(description="The young person's incidents the reader may see")
    peers: list[NetworkPeer]
    persons_of_concern: list[NetworkConcern]
