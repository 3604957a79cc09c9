"""A first set-up from a file: areas, police stations, teams and users (`lantern setup import`).

The file (YAML or JSON, see deploy/setup.example.yaml) is read whole and checked before
anything is written; then everything is applied in one transaction, or nothing is.

Idempotent: each row is found by its slug (users by username) and changed only where it differs
from the file, so running the same file twice changes nothing the second time. Rows the file
does not mention are left alone (nothing is ever deleted; retire with `active: false`).

The caller records the import in the audit trail (in the same transaction) when it changed
anything; a second run of the same file writes nothing at all.

Passwords never sit in the file in clear. A user may carry `password_hash` (an Argon2 hash, as
`lantern users create` or any argon2id tool makes); a new user without one gets a random
first password, returned once to be printed for the operator to hand over. An existing user's
password is never changed by an import.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.errors import ValidationFailed
from api.teams import service
from api.teams.models import Area, Station, Team
from api.teams.schemas import Role

SLUG = r"^[a-z0-9][a-z0-9-]*$"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaEntry(_Entry):
    slug: str = Field(min_length=2, max_length=64, pattern=SLUG)
    name: str = Field(min_length=1, max_length=120)
    active: bool = True


class StationEntry(_Entry):
    slug: str = Field(min_length=2, max_length=64, pattern=SLUG)
    name: str = Field(min_length=1, max_length=120)
    area: str = Field(min_length=2, max_length=64)
    active: bool = True


class TeamEntry(_Entry):
    slug: str = Field(min_length=2, max_length=64, pattern=SLUG)
    name: str = Field(min_length=1, max_length=120)
    specialism: Literal["cse", "cce", "general"]
    area: str = Field(min_length=2, max_length=64)
    active: bool = True


class UserEntry(_Entry):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    roles: list[Role] = Field(min_length=1)
    teams: list[str] = Field(default_factory=list, description="Team slugs")
    station: str | None = Field(None, description="Station slug (police users)")
    password_hash: str | None = Field(None, description="An Argon2 hash; never a password")
    active: bool = True

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("$argon2"):
            raise ValueError("must be an Argon2 hash ($argon2id$...); never put a password in the file")
        return value


class SetupFile(_Entry):
    areas: list[AreaEntry] = Field(default_factory=list)
    stations: list[StationEntry] = Field(default_factory=list)
    teams: list[TeamEntry] = Field(default_factory=list)
    users: list[UserEntry] = Field(default_factory=list)


@dataclass
class SetupReport:
    """What an import did: per kind, the slugs/usernames created, changed and left as they were."""

    created: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)
    first_passwords: dict[str, str] = field(default_factory=dict)  # username -> printed once

    def note(self, kind: str, key: str, outcome: str) -> None:
        getattr(self, outcome).setdefault(kind, []).append(key)

    @property
    def changes(self) -> int:
        return sum(len(v) for v in self.created.values()) + sum(len(v) for v in self.changed.values())


def parse(data: Any) -> SetupFile:
    """The file's content checked whole; 422-style errors name each bad field."""
    if isinstance(data, dict):
        for i, user in enumerate(data.get("users") or []):
            if isinstance(user, dict) and "password" in user:
                raise ValidationFailed.field(
                    f"users.{i}.password",
                    "never put a password in the file: give password_hash, "
                    "or leave it out for a first password",
                )
    try:
        setup = SetupFile.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            "The set-up file is not valid.",
            errors=[{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()],
        ) from None
    errors = []
    for kind, rows, key in (
        ("areas", setup.areas, "slug"),
        ("stations", setup.stations, "slug"),
        ("teams", setup.teams, "slug"),
        ("users", setup.users, "username"),
    ):
        seen: set[str] = set()
        for i, row in enumerate(rows):
            value = getattr(row, key).lower()
            if value in seen:
                errors.append({"field": f"{kind}.{i}.{key}", "message": "appears twice in the file"})
            seen.add(value)
    if errors:
        raise ValidationFailed("The set-up file is not valid.", errors=errors)
    return setup


def _outcome(created: bool, changed: list[str] | bool) -> str:
    return "created" if created else "changed" if changed else "unchanged"


async def apply(session: AsyncSession, setup: SetupFile) -> SetupReport:
    """Bring the database in line with the file (in the caller's transaction)."""
    report = SetupReport()
    areas: dict[str, Area] = {}
    for entry in setup.areas:
        area = await service.area_by_slug(session, entry.slug)
        created = area is None
        if area is None:
            area = await service.create_area(session, slug=entry.slug, name=entry.name)
        _, changed = await service.update_area(session, area.id, {"name": entry.name, "active": entry.active})
        areas[entry.slug] = area
        report.note("areas", entry.slug, _outcome(created, changed))

    async def area_id(slug: str, where: str) -> uuid.UUID:
        area = areas.get(slug) or await service.area_by_slug(session, slug)
        if area is None:
            raise ValidationFailed.field(where, f"unknown area '{slug}'")
        return area.id

    for i, st in enumerate(setup.stations):
        wanted_area = await area_id(st.area, f"stations.{i}.area")
        station: Station | None = await service.station_by_slug(session, st.slug)
        created = station is None
        if station is None:
            station = Station(slug=st.slug, name=st.name, area_id=wanted_area)
            session.add(station)
            await session.flush()
        _, changed = await service.update_station(
            session, station.id, {"name": st.name, "area_id": wanted_area, "active": st.active}
        )
        report.note("stations", st.slug, _outcome(created, changed))

    teams: dict[str, uuid.UUID] = {}
    for i, tm in enumerate(setup.teams):
        wanted_area = await area_id(tm.area, f"teams.{i}.area")
        team: Team | None = await service.team_by_slug(session, tm.slug)
        created = team is None
        if team is None:
            team = Team(slug=tm.slug, name=tm.name, specialism=tm.specialism, area_id=wanted_area)
            session.add(team)
            await session.flush()
        _, changed = await service.update_team(
            session,
            team.id,
            {
                "name": tm.name,
                "specialism": tm.specialism,
                "area_id": wanted_area,
                "active": tm.active,
            },
        )
        teams[tm.slug] = team.id
        report.note("teams", tm.slug, _outcome(created, changed))

    for i, person in enumerate(setup.users):
        team_ids = []
        for j, slug in enumerate(person.teams):
            found = teams.get(slug) or getattr(await service.team_by_slug(session, slug), "id", None)
            if found is None:
                raise ValidationFailed.field(f"users.{i}.teams.{j}", f"unknown team '{slug}'")
            team_ids.append(found)
        user: User | None = await service.user_by_username(session, person.username)
        created = user is None
        if user is None:
            password = None if person.password_hash else secrets.token_urlsafe(12)
            try:
                user = await service.create_user(
                    session,
                    username=person.username,
                    display_name=person.display_name,
                    password=password,
                    roles=person.roles,
                    team_ids=team_ids,
                    station_slug=person.station,
                )
            except ValidationFailed as exc:
                raise ValidationFailed(
                    exc.detail,
                    errors=[{**e, "field": f"users.{i}.{e['field']}"} for e in (exc.errors or [])],
                ) from None
            if person.password_hash:
                user.password_hash = person.password_hash
            if password:
                report.first_passwords[user.username] = password
        try:
            _, changed = await service.update_user(
                session,
                user.id,
                {
                    "display_name": person.display_name,
                    "roles": person.roles,
                    "team_ids": team_ids,
                    "station": person.station,
                    "active": person.active,
                },
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.detail, errors=[{**e, "field": f"users.{i}.{e['field']}"} for e in (exc.errors or [])]
            ) from None
        report.note("users", user.username, _outcome(created, changed))

    return report
