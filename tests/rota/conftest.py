"""Fixtures of the rota tests."""

from __future__ import annotations

import pytest


@pytest.fixture
async def team(world):
    """The team whose rota the tests edit."""
    return world.teams["city-cce"]
