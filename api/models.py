"""Imports every table so Alembic and the tests see the whole schema."""

from api.audit.models import AuditEvent
from api.auth.models import User
from api.incidents.models import (
    IdempotencyRecord,
    Incident,
    IncidentIndicator,
    IncidentTeam,
    ReferenceCounter,
    TimelineEvent,
)
from api.jobs.models import Job
from api.people.models import PossibleMatch, YoungPerson
from api.teams.models import Area, Membership, Station, Team

__all__ = [
    "Area",
    "AuditEvent",
    "IdempotencyRecord",
    "Incident",
    "IncidentIndicator",
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
]
