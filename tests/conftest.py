"""Test fixtures: the whole suite on SQLite, and again on PostgreSQL when it answers.

Each database is created and migrated once per run with the real migrations; each test
gets a clean database (a copy of the migrated SQLite file, or truncated PostgreSQL
tables) and an app with its real lifespan, reached over HTTP through ASGITransport.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from api.auth.models import User
from api.auth.passwords import hash_password
from api.auth.tokens import issue_access_token
from api.db import Database
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings, _new_vapid_private_pem
from api.teams import service as teams
from api.teams.models import Membership

PG_ADMIN_DSN = os.environ.get("LANTERN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("LANTERN_REQUIRE_POSTGRES") == "1"
WANTED = os.environ.get("LANTERN_TEST_DATABASES", "sqlite,postgres").split(",")
PASSWORD = "correct horse battery staple"
VAPID_PEM = _new_vapid_private_pem()


async def _postgres_answers() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@dataclass
class TestDatabase:
    kind: str
    template_url: str
    template_path: Path | None = None
    pg_name: str | None = None


@pytest.fixture(scope="session", params=[k for k in ("sqlite", "postgres") if k in WANTED])
async def test_database(request, tmp_path_factory) -> AsyncIterator[TestDatabase]:
    kind = request.param
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        database = Database(url)
        await upgrade(database.engine)
        await database.dispose()
        yield TestDatabase(kind, url, template_path=path)
        return
    if not await _postgres_answers():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL does not answer and LANTERN_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL does not answer (set LANTERN_REQUIRE_POSTGRES=1 to fail instead)")
    name = f"lantern_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    database = Database(url)
    await upgrade(database.engine)
    await database.dispose()
    try:
        yield TestDatabase(kind, url, pg_name=name)
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database_url(test_database: TestDatabase, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if test_database.kind == "sqlite":
        path = tmp_path / "lantern.db"
        shutil.copyfile(test_database.template_path, path)
        return f"sqlite+aiosqlite:///{path}"
    database = Database(test_database.template_url)
    async with database.engine.begin() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
        if tables:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    await database.dispose()
    return test_database.template_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
    )


@pytest.fixture
async def app(settings: Settings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lantern.test")
    async with transport as c:
        yield c


@pytest.fixture
def db(app) -> Database:
    return app.state.database


_HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    # Argon2 is deliberately slow; hash each test password once per run.
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@dataclass
class World:
    """The demo geography: three areas, stations and a CSE, CCE and general team each."""

    areas: dict
    stations: dict
    teams: dict


@pytest.fixture
async def world(db: Database) -> World:
    from api.demo import AREAS, STATIONS, demo_teams

    async with db.session() as session:
        areas = {slug: await teams.ensure_area(session, slug, name) for slug, name in AREAS}
        stations = {
            slug: await teams.ensure_station(session, slug, name, areas[area])
            for slug, name, area in STATIONS
        }
        team_rows = {}
        for slug, name, specialism, area in demo_teams():
            team_rows[slug] = await teams.create_team(
                session, slug=slug, name=name, specialism=specialism, area_slug=area
            )
    return World(areas=areas, stations=stations, teams=team_rows)


@dataclass
class Person:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


@pytest.fixture
def make_user(db: Database, settings: Settings):
    """Factory: a user with roles, teams (slugs or Team rows) and a fresh access token."""

    async def _make(
        *roles: str, teams_=(), station=None, username: str | None = None, password: str = PASSWORD
    ) -> Person:
        async with db.session() as session:
            station_id = None
            if station is not None:
                station_id = (
                    station.id
                    if hasattr(station, "id")
                    else (await teams.station_by_slug(session, station)).id
                )
            user = User(
                username=username or f"{roles[0]}-{uuid.uuid4().hex[:8]}",
                display_name=f"Test {roles[0]}",
                roles=sorted(roles),
                password_hash=_hash(password),
                station_id=station_id,
            )
            session.add(user)
            await session.flush()
            for team in teams_:
                team_id = team.id if hasattr(team, "id") else (await teams.team_by_slug(session, team)).id
                session.add(Membership(user_id=user.id, team_id=team_id))
        return Person(user=user, token=issue_access_token(settings, user.id).token)

    return _make
