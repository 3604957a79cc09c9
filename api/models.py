"""Imports every table so Alembic and the tests see the whole schema."""

from api.audit.models import AuditEvent
from api.auth.models import User
from api.jobs.models import Job
from api.teams.models import Area, Membership, Station, Team

__all__ = ["Area", "AuditEvent", "Job", "Membership", "Station", "Team", "User"]
