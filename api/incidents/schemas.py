"""Shapes of the incidents API. Limits are documented here and in the OpenAPI schema."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from api.auth.schemas import Day, Instant, ReadModel, WriteModel
from api.incidents.models import IncidentState
from api.textinput import FreeText, IdentifyingText
from api.timewindows import CustodyInstant, IncidentInstant, SearchInstant

Kind = Literal["missing_return", "arrest", "stop_conversation"]
# What the person who acknowledged a page said they would do (paging's Action).
AckAction = Literal["attending", "phoning", "cannot_attend"]
IndicatorCategory = Literal["cse", "cce", "general"]
Provenance = Literal["observed", "disclosed", "intelligence", "concern"]
LegalStatus = Literal["none", "looked_after", "child_protection", "child_in_need", "care_leaver", "unknown"]
CustodyStatus = Literal[
    "in_custody",
    "charged_refused_bail",
    "bailed",
    "released",
    "released_under_investigation",
    "released_no_further_action",
    "police_protection",
    "not_detained",
    "not_arrested",
    "unknown",
]

NAME = Field(min_length=1, max_length=80)
Alias = Annotated[IdentifyingText, Field(min_length=1, max_length=80)]
PoliceReference = Annotated[IdentifyingText, Field(min_length=1, max_length=40)]


class YoungPersonIn(WriteModel):
    first_name: IdentifyingText = NAME
    last_name: IdentifyingText = NAME
    date_of_birth: date | None = None
    apparent_age: int | None = Field(default=None, ge=0, le=25)
    la_reference: IdentifyingText | None = Field(default=None, min_length=1, max_length=64)
    aliases: list[Alias] = Field(default_factory=list, max_length=10)
    gender: IdentifyingText | None = Field(default=None, max_length=32)
    responsible_area: IdentifyingText | None = Field(default=None, max_length=64, description="Area slug")
    legal_status: LegalStatus = Field(
        default="unknown",
        description="child_protection: a child protection plan. People aged 18 to 25 are accepted "
        "only as care_leaver. Without date_of_birth the age is not known and the person is "
        "treated as a child (Modern Slavery Act 2015 s51).",
    )
    learning_disability: bool = False
    allocated_team: IdentifyingText | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="The local authority team holding the child's case, when known (the referral goes there)",
    )
    placement_area: IdentifyingText | None = Field(
        default=None,
        max_length=64,
        description="Area slug where a looked-after child is placed (another authority is informed)",
    )


class LocationIn(WriteModel):
    description: IdentifyingText = Field(min_length=1, max_length=300)
    area: IdentifyingText | None = Field(default=None, max_length=64, description="Area slug, if known")


class IndicatorIn(WriteModel):
    code: IdentifyingText = Field(
        min_length=1,
        max_length=40,
        description="A code of the current catalogue (GET /indicators). Codes of earlier versions "
        "are accepted until the day GET /indicators/versions gives, and the answer's `catalogue` "
        "says how each was recorded",
    )
    provenance: Provenance = "observed"


class CustodyIn(WriteModel):
    status: CustodyStatus = "unknown"
    released_to: IdentifyingText | None = Field(default=None, max_length=120)
    appropriate_adult_present: bool | None = None
    detained_at: CustodyInstant | None = None
    charged: bool = False
    bail_refused: bool = False
    charged_at: CustodyInstant | None = Field(
        default=None, description="When charged; with bail refused the s38(6) action starts here"
    )
    released_at: CustodyInstant | None = Field(default=None, description="When police let the child go")
    police_protection_started_at: CustodyInstant | None = None
    appropriate_adult_arrived_at: CustodyInstant | None = Field(
        default=None, description="When the appropriate adult arrived at the station (PACE Code C)"
    )


class PersonPresentIn(WriteModel):
    role: IdentifyingText = Field(
        min_length=1, max_length=40, description="e.g. peer, adult, appropriate adult"
    )
    description: IdentifyingText | None = Field(default=None, max_length=200)


class IncidentCreate(WriteModel):
    kind: Kind
    occurred_at: IncidentInstant
    police_station: IdentifyingText = Field(min_length=1, max_length=120, description="Station slug or name")
    police_reference: IdentifyingText | None = Field(default=None, max_length=40)
    police_references: list[PoliceReference] = Field(default_factory=list, max_length=5)
    young_person: YoungPersonIn
    location: LocationIn
    place_id: uuid.UUID | None = Field(
        default=None,
        description="Extension: the place the location is (from GET /places/suggestions). Without "
        "it, the description is matched to a place of the location's area when the match is "
        "certain, else the incident stays unlinked for a worker to link",
    )
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=40)
    circumstances: FreeText | None = Field(default=None, max_length=4000)
    custody_status: CustodyStatus | None = None
    custody: CustodyIn | None = None
    people_present: list[PersonPresentIn] = Field(default_factory=list, max_length=20)
    was_missing: bool | None = Field(
        default=None,
        description="The child had been missing (any kind; a missing_return implies it): starts the "
        "return home interview and counts as a missing episode",
    )
    returned_home_at: CustodyInstant | None = Field(
        default=None,
        description="When the child got home or to their placement: the return home interview "
        "counts from here (else from the release; never while police still hold the child)",
    )
    assault_at: IncidentInstant | None = Field(
        default=None,
        description="When a disclosed sexual assault happened, if known: the health offers "
        "(emergency contraception, PEPSE, SARC) count from it, else from the report",
    )


class TeamRefOut(BaseModel):
    id: uuid.UUID
    slug: str


class TranslatedCode(BaseModel):
    sent: str
    recorded: str = Field(description="The current code recorded in its place")
    why: str | None


class KeptCode(BaseModel):
    code: str
    catalogue_version: int = Field(description="The earlier version it is recorded and read against")
    why: str | None


class CatalogueApplied(BaseModel):
    """The indicator catalogue an intake or update applied. Codes of an earlier version are
    accepted during its transition period: a deprecated code with a replacement is recorded as
    the replacement (``translated``); one without is recorded as sent, with its own version
    (``kept``)."""

    version: int
    translated: list[TranslatedCode] = Field(default_factory=list)
    kept: list[KeptCode] = Field(default_factory=list)


class IncidentCreated(BaseModel):
    id: uuid.UUID
    reference: str
    state: str
    priority: str
    teams: list[TeamRefOut]
    triage: dict[str, Any]
    needs_manager_review: bool = False
    catalogue: CatalogueApplied | None = Field(
        default=None, description="The catalogue version applied (absent from replays of old requests)"
    )


class IndicatorOut(BaseModel):
    code: str
    label: str
    category: IndicatorCategory
    group: str
    group_label: str = Field(description="The group's display label in this catalogue version")
    routes_by_context: bool = False


class DeprecatedCodeOut(BaseModel):
    code: str
    label: str = Field(description="Its label in the last version that had it")
    replaced_by: str | None
    why: str


class CatalogueVersionOut(BaseModel):
    """A version of the indicator catalogue: the current one, or an earlier one still readable."""

    version: int
    current: bool
    accepted_until: date | None = Field(
        description="Intake accepts this version's codes until this day (UTC) inclusive; "
        "null for the current version, and for a version no longer accepted"
    )
    indicators: list[IndicatorOut]
    deprecated: list[DeprecatedCodeOut] = Field(
        default_factory=list, description="Codes of earlier versions this version retired"
    )


class IncidentStatus(BaseModel):
    """What police may see of a report: the response, never case notes."""

    id: uuid.UUID
    reference: str
    state: str
    kind: str
    reported_at: datetime
    acknowledged_at: datetime | None
    acknowledged_action: str | None
    eta_minutes: int | None
    uncovered: bool
    version: int | None = None


class TriageTeam(TypedDict, total=False):
    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]

    id: str
    slug: str
    specialism: str
    area: str | None


class TriageOut(TypedDict, total=False):
    """What triage decided, as stored on the incident (triage.rules.TriageOutcome.to_dict). Every
    key optional: an incident keeps the keys its triage wrote when it ran."""

    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]

    area: str | None
    categories: list[str]
    teams: list[TriageTeam]
    priority: str
    reasons: list[str]
    needs_manager_review: bool
    prompts: list[str]


class YoungPersonRef(ReadModel):
    id: str
    first_name: str
    last_name: str


class TeamOfIncident(ReadModel):
    id: str
    slug: str
    name: str


class IncidentItem(ReadModel):
    """An item of GET /incidents: what police may see (the status fields only), or for case
    roles the summary (every field)."""

    id: str
    reference: str
    state: IncidentState
    kind: Kind
    version: int | None = None
    reported_at: Instant
    acknowledged_at: Instant | None
    acknowledged_action: AckAction | None
    eta_minutes: int | None
    uncovered: bool
    priority: str | None = None
    occurred_at: Instant | None = None
    station: str | None = None
    police_station: str | None = None
    category: str | None = None
    location: str | None = None
    young_person: YoungPersonRef | None = None
    teams: list[TeamOfIncident] | None = None
    indicators: list[str] | None = None
    triage: TriageOut | None = None
    needs_manager_review: bool | None = None


class IncidentPage(BaseModel):
    items: list[IncidentItem]
    next_cursor: str | None


class PublicTimelineEntry(ReadModel):
    at: Instant
    action: str
    detail: dict[str, Any]


class StatusTeam(ReadModel):
    slug: str
    name: str


class IncidentStatusOut(ReadModel):
    """GET /incidents/{id}/status: the status fields and the police-visible timeline."""

    id: str
    reference: str
    state: IncidentState
    kind: Kind
    reported_at: Instant
    acknowledged_at: Instant | None
    acknowledged_action: AckAction | None
    eta_minutes: int | None
    uncovered: bool
    version: int = Field(description="The incident's version: send it as If-Match to PATCH it")
    teams: list[StatusTeam] = Field(default_factory=list, description="The teams the report was routed to")
    routing_reasons: list[str] = Field(
        default_factory=list,
        description="Why it was routed there, from what was reported (as the report's 201 said)",
    )
    timeline: list[PublicTimelineEntry]


class StationOfIncident(ReadModel):
    slug: str
    name: str


class PlaceRef(ReadModel):
    id: str
    name: str
    type: str


class LocationOut(ReadModel):
    description: str
    area: str | None
    place: PlaceRef | None = Field(default=None, description="The place the location is linked to")


class PossibleMatchRef(ReadModel):
    candidate_id: str
    reason: str


class YoungPersonOfIncident(ReadModel):
    id: str
    first_name: str
    last_name: str
    date_of_birth: Day | None
    apparent_age: int | None
    la_reference: str | None
    legal_status: str
    learning_disability: bool
    possible_matches: list[PossibleMatchRef]


class IncidentIndicatorOut(ReadModel):
    code: str
    label: str
    category: str
    group: str | None
    provenance: str
    recorded_at: Instant
    catalogue_version: int


class TeamOfIncidentDetail(TeamOfIncident):
    specialism: str


class TimelineEntryOut(ReadModel):
    at: Instant
    action: str
    actor: str | None
    team_id: str | None
    detail: dict[str, Any] | None


class RotaGapOut(ReadModel):
    team: TeamOfIncident
    level: str
    starts_at: Instant
    ends_at: Instant
    reason: str
    user_id: str | None


class PagedPerson(ReadModel):
    id: str
    display_name: str


class BoardPage(ReadModel):
    """One open page of a board incident: where its escalation stands and whom it pages now."""

    page_id: str
    team: TeamOfIncident
    state: str = Field(description="active, or uncovered (every level went unanswered)")
    level: int = Field(description="The current level, counted from 0")
    levels: int = Field(description="How many levels the page's policy has")
    target: str = Field(description="primary, secondary, managers, person; uncovered: managers and admins")
    repeat: int
    level_started_at: Instant
    paging: list[PagedPerson] = Field(description="Who the current level pages (staff names)")


class BoardItem(IncidentItem):
    pages: list[BoardPage] = Field(default_factory=list)


class BoardOut(ReadModel):
    """GET /board: incidents waiting for an answer, uncovered, for review; rota gaps."""

    unacknowledged: list[BoardItem]
    uncovered: list[BoardItem]
    needs_review: list[IncidentItem]
    rota_gaps: list[RotaGapOut]


class IncidentSearch(WriteModel):
    """Search by name goes in a body, never in a URL."""

    young_person_name: IdentifyingText | None = Field(default=None, min_length=2, max_length=160)
    indicator: IdentifyingText | None = Field(default=None, max_length=40)
    location: IdentifyingText | None = Field(default=None, min_length=2, max_length=120)
    team: IdentifyingText | None = Field(default=None, max_length=64)
    state: IdentifyingText | None = Field(default=None, max_length=32)
    kind: Kind | None = None
    from_: SearchInstant | None = Field(default=None, alias="from")
    to: SearchInstant | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: IdentifyingText | None = Field(default=None, max_length=200)


# --- Updates after intake (PATCH /api/v1/incidents/{id}, api.flows.updates) ----------------

# An indicator a child disclosed to a worker after intake (shown as "disclosed to worker").
WORKER_DISCLOSED = "worker_disclosed"


class DisclosedIndicatorIn(WriteModel):
    code: IdentifyingText = Field(min_length=1, max_length=40, description="A catalogue code")


class IncidentUpdate(WriteModel):
    """What changed since intake. Police of the reporting station send custody events; workers,
    day teams and managers of the incident's teams send indicators disclosed to them. Send the
    incident's version in `If-Match`."""

    detained_at: CustodyInstant | None = Field(default=None, description="Police: the child was detained")
    charged_at: CustodyInstant | None = Field(default=None, description="Police: the child was charged")
    bail_refused: bool | None = Field(
        default=None, description="Police: bail refused at charge (starts the s38(6) action)"
    )
    released_at: CustodyInstant | None = Field(default=None, description="Police: the child was released")
    transferred_at: CustodyInstant | None = Field(
        default=None,
        description="Police: transferred to local-authority accommodation (meets the s38(6) action)",
    )
    returned_home_at: CustodyInstant | None = Field(
        default=None, description="Police: the child got home (starts the return home interview)"
    )
    appropriate_adult_arrived_at: CustodyInstant | None = Field(
        default=None,
        description="Police: the appropriate adult arrived at the station (PACE Code C)",
    )
    indicators: list[DisclosedIndicatorIn] = Field(
        default_factory=list, max_length=40, description="Workers: indicators disclosed to them"
    )


class IncidentUpdated(BaseModel):
    id: uuid.UUID
    reference: str
    version: int
    state: str
    priority: str
    previous_priority: str
    teams: list[TeamRefOut]
    new_teams: list[TeamRefOut]
    changes: list[str]
    triage: dict[str, Any]
    needs_manager_review: bool = False
    catalogue: CatalogueApplied | None = None
