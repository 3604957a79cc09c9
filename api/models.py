"""Imports every table so Alembic and the tests see the whole schema."""

from api.audit.models import AuditEvent, AuditSubject
from api.auth.models import SessionRevocation, SigninFailure, User
from api.handover.models import Clock, HandoverEvent, HandoverItem, NrmConsideration
from api.hubs.models import HubDecision
from api.incidents.models import (
    IdempotencyRecord,
    Incident,
    IncidentIndicator,
    IncidentTeam,
    ReferenceCounter,
    TimelineEvent,
)
from api.jobs.models import Job
from api.paging.models import Acknowledgement, Delivery, EscalationPolicy, Page, PushSubscription
from api.partners.models import ConcernTeam, PartnerConcern
from api.people.models import PersonMerge, PossibleMatch, YoungPerson, YoungPersonName
from api.places.models import (
    IncidentPerson,
    PersonOfConcern,
    Place,
    PlaceMerge,
    StrategyAction,
    StrategyMeeting,
)
from api.referrals.models import Referral
from api.rota.models import OverrideShift, Rotation, RotationMember
from api.search.models import SavedSearch
from api.support.models import HandoverNote, HandoverNoteVersion, SupportOffer, SupportOfferVersion
from api.teams.models import Area, Membership, Station, Team

__all__ = [
    "HubDecision",
    "ConcernTeam",
    "PartnerConcern",
    "SavedSearch",
    "Clock",
    "HandoverEvent",
    "HandoverItem",
    "NrmConsideration",
    "Referral",
    "HandoverNote",
    "HandoverNoteVersion",
    "SupportOffer",
    "SupportOfferVersion",
    "RotationMember",
    "Rotation",
    "OverrideShift",
    "PushSubscription",
    "Page",
    "EscalationPolicy",
    "Delivery",
    "Acknowledgement",
    "Area",
    "AuditEvent",
    "AuditSubject",
    "IdempotencyRecord",
    "PersonMerge",
    "YoungPersonName",
    "Incident",
    "IncidentIndicator",
    "IncidentPerson",
    "PersonOfConcern",
    "Place",
    "PlaceMerge",
    "StrategyAction",
    "StrategyMeeting",
    "IncidentTeam",
    "Job",
    "Membership",
    "PossibleMatch",
    "ReferenceCounter",
    "Station",
    "Team",
    "TimelineEvent",
    "User",
    "YoungPerson",
    "SessionRevocation",
    "SigninFailure",
]
