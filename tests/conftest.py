"""Test fixtures: the whole suite on SQLite, and again on PostgreSQL when it answers.

Each database is created and migrated once per run with the real migrations; each test
gets a clean database (a copy of the migrated SQLite file, or PostgreSQL tables emptied)
and an app with its real lifespan, reached over HTTP through ASGITransport.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.auth import passwords
from api.auth.models import User
from api.auth.passwords import hash_password
from api.auth.tokens import issue_access_token
from api.db import Database
from api.main import create_app
from api.migrations import upgrade
from api.platform.logs import JsonFormatter
from api.settings import Settings, _new_vapid_private_pem, vapid_public_key_b64
from api.teams import service as teams
from api.teams.models import Area, Membership, Station, Team
from tests.compile_once import share_compiled_statements
from tests.fakes.push_service import FakePushService
from tests.launcher import close_shared as close_shared_launcher
from tests.paging_helpers import make_crew, paging_settings
from tests.parallel import (  # noqa: F401 - used by pytest
    _alone_if_marked,
    pytest_collection_modifyitems,
)
from tests.routes_once import share_built_routes
from workers.runtime import Worker
from workers.sender import Channels

PG_ADMIN_DSN = os.environ.get("LANTERN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("LANTERN_REQUIRE_POSTGRES") == "1"
WANTED = os.environ.get("LANTERN_TEST_DATABASES", "sqlite,postgres").split(",")
PASSWORD = "correct horse battery staple"
VAPID_PEM = _new_vapid_private_pem()
# The timing equaliser as production has it (`_test_cost_argon2` swaps it for the whole run).
PRODUCTION_DUMMY_HASH = passwords._DUMMY_HASH
share_built_routes()
# LANTERN_TEST_COMPILE_PER_ENGINE=1: each engine compiles for itself, as in production.
if os.environ.get("LANTERN_TEST_COMPILE_PER_ENGINE") != "1":
    share_compiled_statements()


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
    pg_reset: str | None = None  # the statements that empty a PostgreSQL test database
    _pg_conn: asyncpg.Connection | None = None  # kept open for those, for the whole run

    async def empty_postgres(self) -> None:
        """Empty this PostgreSQL test database before a test, over the connection kept for it."""
        assert self.pg_reset is not None
        for attempt in (1, 2):
            if self._pg_conn is None or self._pg_conn.is_closed():
                self._pg_conn = await asyncpg.connect(self.template_url.replace("+asyncpg", ""))
            try:
                await self._pg_conn.execute(self.pg_reset)
                return
            except (OSError, asyncpg.InterfaceError, asyncpg.ConnectionDoesNotExistError):
                self._pg_conn = None  # lost: connect again, once
                if attempt == 2:
                    raise
            except asyncpg.PostgresError:
                await self._pg_conn.close()  # never reuse one left inside a failed transaction
                self._pg_conn = None
                raise

    async def close(self) -> None:
        if self._pg_conn is not None and not self._pg_conn.is_closed():
            await self._pg_conn.close()


# Parallel runs (pytest-xdist, `make test`): every worker process makes its own databases. The
# PostgreSQL ones are named `lantern_test_<run>_<worker>_<random>`, where <run> is chosen once
# by the process that starts the workers (or by the only process without xdist), so that process
# can drop every database of its run at the end, including those of a worker that crashed.
_RUN_KEY = pytest.StashKey[str]()


def _run_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput["lantern_run"]
    return config.stash.setdefault(_RUN_KEY, uuid.uuid4().hex[:8])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist, in the controller: hand each worker the run id."""
    node.workerinput["lantern_run"] = _run_id(node.config)


def pg_database_name(config: pytest.Config, what: str = "test") -> str:
    """A PostgreSQL database name unique to this run, this worker and this call."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"lantern_{what}_{_run_id(config)}_{worker}_{uuid.uuid4().hex[:6]}"


async def _drop_pg_databases(pattern: str) -> list[str]:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    try:
        names = [
            row["datname"]
            for row in await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", pattern)
        ]
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    return names


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the controller (or a run without xdist), after every worker has finished: drop what
    this run's workers left in PostgreSQL, for instance because one was killed."""
    if hasattr(session.config, "workerinput") or "postgres" not in WANTED:
        return
    pattern = f"lantern\\_%\\_{_run_id(session.config)}\\_%"
    try:
        left = asyncio.run(_drop_pg_databases(pattern))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return  # no PostgreSQL: nothing was made
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if left and reporter is not None:
        reporter.write_line(f"dropped {len(left)} PostgreSQL test database(s) left by a worker: {left}")


async def _pg_reset_statements(conn) -> str:
    """What empties a migrated PostgreSQL test database between tests, as one round trip: DELETE
    from every table (but alembic_version) and restart the sequences that tables own, as
    `TRUNCATE … RESTART IDENTITY` would. DELETE on a few rows costs about 1 ms where TRUNCATE of
    34 tables costs 0.1 s to 1 s (new files for every table and index, more so while other
    databases on the server are busy). `session_replication_role = replica` skips the foreign
    key checks (every row goes) and the audit trail's append-only triggers, for this
    transaction only; it needs a superuser, as the test server's `postgres` is."""
    tables = (
        await conn.exec_driver_sql(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename"
        )
    ).scalars()
    owned_sequences = (
        await conn.exec_driver_sql(
            "SELECT DISTINCT d.objid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
            "WHERE s.relkind = 'S' AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') ORDER BY 1"
        )
    ).scalars()
    return "; ".join(
        [
            "BEGIN",
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {table}" for table in tables),
            *(f"ALTER SEQUENCE {sequence} RESTART" for sequence in owned_sequences),
            "COMMIT",
        ]
    )


class _Templates:
    """The migrated template of each database kind, made when first asked for, kept for the
    whole session (tests of one kind need not run together), dropped at the end."""

    def __init__(self, config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.config = config
        self.tmp_path_factory = tmp_path_factory
        self.ready: dict[str, TestDatabase] = {}
        self.pg_names: list[str] = []
        self.pg_missing: str | None = None

    async def get(self, kind: str) -> TestDatabase:
        if kind not in self.ready:
            self.ready[kind] = await (self._sqlite() if kind == "sqlite" else self._postgres())
        return self.ready[kind]

    async def _sqlite(self) -> TestDatabase:
        path = self.tmp_path_factory.mktemp("sqlite") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        database = Database(url)
        try:
            await upgrade(database.engine)
        finally:
            await database.dispose()
        return TestDatabase("sqlite", url, template_path=path)

    async def _postgres(self) -> TestDatabase:
        if self.pg_missing is None and not await _postgres_answers():
            self.pg_missing = "PostgreSQL does not answer"
        if self.pg_missing:
            if REQUIRE_PG:
                pytest.fail(f"{self.pg_missing} and LANTERN_REQUIRE_POSTGRES=1")
            pytest.skip(f"{self.pg_missing} (set LANTERN_REQUIRE_POSTGRES=1 to fail instead)")
        name = pg_database_name(self.config)
        self.pg_names.append(name)  # dropped at the end, even if what follows fails
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            # Commits need not wait for the WAL to reach the disk (5 ms or more here, longer
            # while other runs share the disk): visibility, locks and NOTIFY are unchanged, and
            # only a crash of the server itself could lose the last commits of a test database.
            await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        finally:
            await admin.close()
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{name}"
        database = Database(url)
        try:
            await upgrade(database.engine)
            async with database.engine.connect() as conn:
                reset = await _pg_reset_statements(conn)
        finally:
            await database.dispose()
        return TestDatabase("postgres", url, pg_name=name, pg_reset=reset)

    async def drop(self) -> None:
        for database in self.ready.values():
            await database.close()
        if not self.pg_names:
            return
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in self.pg_names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def _templates(request, tmp_path_factory) -> AsyncIterator[_Templates]:
    templates = _Templates(request.config, tmp_path_factory)
    try:
        yield templates
    finally:
        await templates.drop()


@pytest.fixture(scope="session", params=[k for k in ("sqlite", "postgres") if k in WANTED])
async def test_database(request, _templates: _Templates) -> TestDatabase:
    return await _templates.get(request.param)


# For a test whose subject touches no database (a route table, static files, a request body its
# schema refuses before any handler runs): it runs on the first database of
# LANTERN_TEST_DATABASES only, where `settings` would otherwise make it run on each.
one_database = pytest.mark.parametrize("test_database", WANTED[:1], indirect=True, scope="session")


@pytest.fixture
async def database_url(test_database: TestDatabase, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if test_database.kind == "sqlite":
        path = tmp_path / "lantern.db"
        shutil.copyfile(test_database.template_path, path)
        return f"sqlite+aiosqlite:///{path}"
    await test_database.empty_postgres()
    return test_database.template_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The app's settings for one test; a test marked `fake_push` (a module sets
    `pytestmark = pytest.mark.fake_push`) gets them as `paging_settings` leaves them."""
    settings = Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        vapid_private_key=VAPID_PEM,
        run_worker=False,
        pwa_dist=tmp_path / "no-pwa",
    )
    if request.node.get_closest_marker("fake_push") is not None:
        paging_settings(settings, request.getfixturevalue("push_service"))
    return settings


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


@pytest.fixture(scope="session", autouse=True)
def _shared_launcher_closed():
    """The `lantern` launcher (tests/launcher.py), if a test started it, stops with the session."""
    yield
    close_shared_launcher()


@pytest.fixture(scope="session", autouse=True)
def _test_cost_argon2():
    """Argon2id as in production, at the lowest cost its parameters allow: each hash costs about
    2 s of CPU at the production cost on this machine, and the demo alone hashes 17 passwords.
    Verification reads the cost from the hash, so sign-ins still check real Argon2id hashes;
    the timing equaliser for unknown users is re-made at the same cost, as in production."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("lantern-timing-equaliser"))
        yield


_HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    # Hash each test password once per run.
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

    # The rows the teams service would make, in two flushes rather than ~40 round trips.
    async with db.session() as session:
        areas = {slug: Area(slug=slug, name=name) for slug, name in AREAS}
        session.add_all(areas.values())
        await session.flush()
        stations = {
            slug: Station(slug=slug, name=name, area_id=areas[area].id) for slug, name, area in STATIONS
        }
        team_rows = {
            slug: Team(slug=slug, name=name, specialism=specialism, area_id=areas[area].id)
            for slug, name, specialism, area in demo_teams()
        }
        session.add_all([*stations.values(), *team_rows.values()])
        await session.flush()
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


# -- people and phones that tests of several domains share --------------------------------------


@pytest.fixture
async def police(world: World, make_user) -> Person:
    """A police officer at the Euston Street custody suite."""
    return await make_user("police", station="euston-street")


@pytest.fixture
def custody(police: Person) -> Person:
    """The same officer, named for the custody suite that reports."""
    return police


@pytest.fixture
async def manager(world: World, make_user) -> Person:
    """A manager of the City CCE team."""
    return await make_user("manager", teams_=["city-cce"])


@pytest.fixture(scope="session")
def push_service():
    """A fake Web Push service on loopback (tests/fakes/push_service.py), one per test process."""
    with FakePushService(expected_vapid_public_key=vapid_public_key_b64(VAPID_PEM)) as service:
        yield service


@pytest.fixture
def push(push_service: FakePushService) -> FakePushService:
    """The fake push service, emptied for this test."""
    push_service.reset()
    return push_service


@pytest.fixture
async def worker(db: Database, settings: Settings):
    """The job worker, driven by the test at chosen instants (`drain`, `audit`)."""
    channels = Channels(settings)
    runner = Worker(db, settings, channels=channels, worker_id="test-worker")
    yield runner
    await channels.aclose()


@pytest.fixture
async def crew(request: pytest.FixtureRequest, client, db: Database, world: World, make_user, push):
    """A team on call with phones (tests/paging_helpers.make_crew); a `crew` marker passes its
    keyword arguments on, e.g. `pytest.mark.crew(primary_phones=1)`."""
    marker = request.node.get_closest_marker("crew")
    return await make_crew(client, db, world, make_user, push, **(marker.kwargs if marker else {}))


@pytest.fixture
def captured_logs():
    """Every log record of the process, formatted by the production JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
