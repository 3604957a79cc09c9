"""Fixtures of the handover tests (the people and helpers shared with other domains are in
tests/conftest.py and tests/handover_helpers.py)."""

from __future__ import annotations

import pytest

from tests.handover_helpers import rename


@pytest.fixture
async def day(world, make_user, db):
    """A member of the City CCE day team, named so the queue and report can show the name."""
    person = await make_user("day_team", teams_=["city-cce"])
    await rename(db, person, "Dana Day")
    return person
