"""The migrations go up, down and up again, and match the models."""

from __future__ import annotations

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import api.models  # noqa: F401
from api.db import Database
from api.migrations import current_revisions, downgrade, head_revisions, upgrade
from tests.conftest import PG_ADMIN_DSN, pg_database_name


async def _fresh_url(test_database, tmp_path, config):
    if test_database.kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", None
    name = pg_database_name(config, "mig")
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", name


async def test_upgrade_downgrade_upgrade(test_database, tmp_path, pytestconfig):
    url, pg_name = await _fresh_url(test_database, tmp_path, pytestconfig)
    database = Database(url)
    try:
        await upgrade(database.engine)
        assert await current_revisions(database.engine) == head_revisions()
        await downgrade(database.engine, "base")
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        await upgrade(database.engine)
        assert await current_revisions(database.engine) == head_revisions()

        def _diff(connection):
            return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

        async with database.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        await database.dispose()
        if pg_name:
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()
