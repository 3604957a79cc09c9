"""A new deployment set up from a file (`lantern setup import`): areas, stations, teams and
users from deploy/setup.example.yaml on an empty database, then a police report goes all the
way to the imported team's on-call worker. A second run changes nothing; a bad file changes
nothing and names the field; a password never sits in the file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.auth.models import User
from api.paging.models import Delivery
from api.teams.models import Area, Membership, Station, Team
from tests.incident_payloads import report
from tests.launcher import run_lantern
from tests.paging_helpers import bounded

pytestmark = pytest.mark.fake_push

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "setup.example.yaml"


# Argon2id as `lantern` makes it when LANTERN_PASSWORD_HASH_COST is unset, and at the test cost.
PRODUCTION_COST = "$argon2id$v=19$m=65536,t=3,p=4$"
TEST_COST = "$argon2id$v=19$m=8,t=1,p=1$"


def lantern(
    settings, tmp_path: Path, *args: str, production_cost: bool = False
) -> subprocess.CompletedProcess:
    """Run `lantern` as a deployment would. Its first passwords are hashed at the lowest Argon2id
    cost (LANTERN_PASSWORD_HASH_COST=test-minimum: a production hash costs about 0.2 s of CPU),
    unless `production_cost`: then the variable is unset, as in production."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "LANTERN_PASSWORD_HASH_COST"},
        "DATABASE_URL": settings.database_url,
        "LANTERN_ENV": "test",
        "LANTERN_SECRET_KEY": "cli-test-secret-" + "x" * 40,
        "LANTERN_VAR_DIR": str(tmp_path / "cli-var"),
        "LANTERN_LOG_LEVEL": "WARNING",
    }
    if not production_cost:
        env["LANTERN_PASSWORD_HASH_COST"] = "test-minimum"
    return run_lantern(list(args), cwd=ROOT, env=env, timeout=120)


async def _counts(db) -> dict[str, int]:
    async with db.session() as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Area, Station, Team, User, Membership, AuditEvent)
        }


async def _sign_in(client, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@bounded(120)
async def test_a_fresh_deployment_set_up_from_the_example_file_takes_a_report_to_the_paged_team(
    client, db, settings, tmp_path, worker
):
    assert (await _counts(db))["areas"] == 0
    first = await asyncio.to_thread(lantern, settings, tmp_path, "setup", "import", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    assert "users     created   6" in first.stdout
    passwords = dict(re.findall(r"^  (\S+)\s+(\S{16})$", first.stdout, re.MULTILINE))
    assert set(passwords) == {"custody.northgate", "a.okafor", "s.patel", "j.morgan", "day.cce", "it.admin"}
    after_first = await _counts(db)
    assert after_first["areas"] == 2 and after_first["stations"] == 2 and after_first["teams"] == 3
    async with db.session() as session:
        stored = (await session.execute(select(User.password_hash))).scalars().all()
    assert all(h.startswith("$argon2") for h in stored)
    assert all(h.startswith(TEST_COST) for h in stored)
    assert not any(p in h for p in passwords.values() for h in stored)

    # The same file again (through the contract's name for the command): nothing changes.
    second = await asyncio.to_thread(lantern, settings, tmp_path, "import", str(EXAMPLE))
    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout and "First passwords" not in second.stdout
    assert await _counts(db) == after_first

    # The imported manager puts the imported worker on call; custody report; the worker is paged.
    manager = await _sign_in(client, "j.morgan", passwords["j.morgan"])
    teams = {t["slug"]: t for t in (await client.get("/api/v1/teams", headers=manager)).json()}
    me = (await client.get("/api/v1/me", headers=manager)).json()
    assert {t["slug"] for t in me["teams"]} == {"north-city-cce", "north-city-cse"}
    users = {
        u["username"]: u
        for u in (
            await client.get(
                "/api/v1/users", headers=await _sign_in(client, "it.admin", passwords["it.admin"])
            )
        ).json()
    }
    now = datetime.now(UTC)
    shift = await client.post(
        f"/api/v1/teams/{teams['north-city-cce']['id']}/shifts",
        json={
            "user_id": users["a.okafor"]["id"],
            "level": "primary",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=8)).isoformat(),
        },
        headers=manager,
    )
    assert shift.status_code == 201, shift.text

    custody = await _sign_in(client, "custody.northgate", passwords["custody.northgate"])
    created = await client.post(
        "/api/v1/incidents",
        json=report(
            police_station="northgate-custody",
            location={"description": "Found at the bus station", "area": "northshire-city"},
        ),
        headers=custody,
    )
    assert created.status_code == 201, created.text
    assert [t["slug"] for t in created.json()["teams"]] == ["north-city-cce"]
    assert created.json()["state"] == "paging"

    await worker.drain()
    async with db.session() as session:
        paged = (await session.execute(select(Delivery.user_id, Delivery.channel, Delivery.outcome))).all()
    assert [(str(u), c, o) for u, c, o in paged] == [(users["a.okafor"]["id"], "log", "accepted")]


async def test_an_edited_file_changes_only_what_differs(db, settings, tmp_path):
    """Also: without LANTERN_PASSWORD_HASH_COST the first passwords are hashed at the production cost."""
    data = yaml.safe_load(EXAMPLE.read_text())
    assert (
        await asyncio.to_thread(
            lantern, settings, tmp_path, "setup", "import", str(EXAMPLE), production_cost=True
        )
    ).returncode == 0
    async with db.session() as session:
        stored = (await session.execute(select(User.password_hash))).scalars().all()
    assert len(stored) == 6 and all(h.startswith(PRODUCTION_COST) for h in stored)
    data["users"][1]["display_name"] = "Ada Okafor-Smith"
    data["users"][1]["teams"] = ["north-city-cce", "north-city-cse"]
    data["stations"][1]["active"] = False
    data["users"].append(
        {
            "username": "new.worker",
            "display_name": "New Worker",
            "roles": ["worker"],
            "teams": ["north-city-cse"],
            "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        }
    )
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    result = await asyncio.to_thread(lantern, settings, tmp_path, "setup", "import", str(edited))
    assert result.returncode == 0, result.stderr
    assert "stations  created   0  changed   1  unchanged   1" in result.stdout
    assert "users     created   1  changed   1  unchanged   5" in result.stdout
    assert "First passwords" not in result.stdout  # the new user came with a hash
    async with db.session() as session:
        ada = (await session.execute(select(User).where(User.username == "a.okafor"))).scalar_one()
        assert ada.display_name == "Ada Okafor-Smith"
        assert (
            await session.execute(
                select(func.count()).select_from(Membership).where(Membership.user_id == ada.id)
            )
        ).scalar_one() == 2
        station = (
            await session.execute(select(Station).where(Station.slug == "riverside-custody"))
        ).scalar_one()
        assert station.active is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["users"][0].update(password="correct horse battery"), "users.0.password"),
        (lambda d: d["users"][1].update(teams=["no-such-team"]), "users.1.teams.0"),
        (lambda d: d["users"][2].update(password_hash="plain-text-password"), "users.2.password_hash"),
        (lambda d: d["stations"].append({**d["stations"][0]}), "stations.2.slug"),
        (lambda d: d["teams"][0].update(specialism="drugs"), "teams.0.specialism"),
        (lambda d: d["users"][0].pop("station"), "users.0.station"),
    ],
)
async def test_a_bad_file_changes_nothing_and_names_the_field(db, settings, tmp_path, change, field):
    data = yaml.safe_load(EXAMPLE.read_text())
    change(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    before = await _counts(db)
    result = await asyncio.to_thread(lantern, settings, tmp_path, "setup", "import", str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  {field}:" in result.stderr
    assert "nothing was changed" in result.stderr
    assert "correct horse" not in result.stdout + result.stderr
    assert await _counts(db) == before
