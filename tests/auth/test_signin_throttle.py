"""Sign-in throttling by (username, client address): an attacker never locks the real user out.

Time is a clock injected into the app (no sleeping); client addresses are the ASGI
connection's peer (`request.client.host`), set per client through httpx's ASGITransport.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.auth.models import SigninFailure, User
from api.auth.runtime import auth_runtime
from api.main import create_app
from tests.conftest import PASSWORD

WRONG = "not-the-password-at-all"
# These tests check hundreds of passwords; the throttle is what is under test, not Argon2's
# cost, so their users carry a cheap Argon2 hash (verification reads the cost from the hash).
CHEAP_HASH = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)).hash(PASSWORD)


@pytest.fixture
def staff(db):
    async def _make(*usernames: str) -> None:
        async with db.session() as session:
            for username in usernames:
                session.add(
                    User(username=username, display_name="Test", roles=["worker"], password_hash=CHEAP_HASH)
                )

    return _make


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app) -> FakeClock:
    fake = FakeClock()
    auth_runtime(app).clock = fake
    return fake


@asynccontextmanager
async def from_address(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://lantern.test") as c:
        yield c


async def attempt(client, username: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_failures_slow_only_that_pair_with_doubling_waits(app, clock, staff, settings):
    await staff("sam.worker")
    async with from_address(app, "203.0.113.66") as attacker, from_address(app, "198.51.100.7") as sam:
        for _ in range(settings.signin_max_failures):
            assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 401
        waits = []
        for _ in range(4):
            refused = await attempt(attacker, "sam.worker", PASSWORD)  # not even checked while waiting
            assert refused.status_code == 429
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["status"] == 429
            waits.append(int(refused.headers["retry-after"]))
            # The real user, from their own address, is never held up.
            assert (await attempt(sam, "sam.worker", PASSWORD)).status_code == 200
            clock.advance(waits[-1] - 0.5)
            assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 429
            clock.advance(0.5)
            assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 401
        assert waits == [1, 2, 4, 8]
        # Capped: however long the attack, the wait never exceeds the cap.
        for _ in range(12):
            clock.advance(settings.signin_backoff_cap_seconds)
            assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 401
        refused = await attempt(attacker, "sam.worker", WRONG)
        assert int(refused.headers["retry-after"]) == int(settings.signin_backoff_cap_seconds)
        # Once the wait is over, the right password from that address gets in and clears the pair.
        clock.advance(settings.signin_backoff_cap_seconds)
        assert (await attempt(attacker, "sam.worker", PASSWORD)).status_code == 200
        assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 401
        assert (await attempt(attacker, "sam.worker", WRONG)).status_code == 401


async def test_one_person_failing_behind_a_nat_does_not_lock_out_their_colleagues(app, clock, staff):
    await staff("sam.worker", "kim.worker", "ali.worker", "jo.manager")
    async with from_address(app, "192.0.2.10") as custody_suite:
        for _ in range(20):
            assert (await attempt(custody_suite, "sam.worker", WRONG)).status_code in (401, 429)
            clock.advance(30)
        for name in ("kim.worker", "ali.worker", "jo.manager"):
            assert (await attempt(custody_suite, name, PASSWORD)).status_code == 200, name
        # Three colleagues mistyping once each, too: still far from slowing the address.
        for name in ("kim.worker", "ali.worker", "jo.manager"):
            assert (await attempt(custody_suite, name, WRONG)).status_code == 401
            assert (await attempt(custody_suite, name, PASSWORD)).status_code == 200


async def test_an_address_is_slowed_only_after_failures_across_many_usernames(app, clock, staff, settings):
    threshold = settings.signin_address_usernames
    await staff("sam.worker", *(f"guess{i}" for i in range(threshold)))
    async with from_address(app, "203.0.113.99") as sprayer, from_address(app, "198.51.100.7") as elsewhere:
        for i in range(threshold - 1):
            assert (await attempt(sprayer, f"guess{i}", WRONG)).status_code == 401
        # Below the threshold a correct password from that address still gets straight in.
        assert (await attempt(sprayer, "sam.worker", PASSWORD)).status_code == 200
        # The threshold-th username need not exist: unknown usernames count the same.
        assert (await attempt(sprayer, "nobody-at-all", WRONG)).status_code == 401
        refused = await attempt(sprayer, "sam.worker", PASSWORD)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        # Another address is untouched.
        assert (await attempt(elsewhere, "sam.worker", PASSWORD)).status_code == 200
        # The spray keeps doubling the address's wait.
        clock.advance(int(refused.headers["retry-after"]))
        assert (await attempt(sprayer, f"guess{threshold - 1}", WRONG)).status_code == 401
        second = await attempt(sprayer, "sam.worker", PASSWORD)
        assert second.status_code == 429
        assert int(second.headers["retry-after"]) > int(refused.headers["retry-after"])
        # Forgotten after the quiet period.
        clock.advance(settings.signin_backoff_cap_seconds + settings.signin_window_seconds + 1)
        assert (await attempt(sprayer, "sam.worker", PASSWORD)).status_code == 200


async def test_sustained_attack_never_stops_the_real_user(app, clock, staff, settings, db):
    """An attacker tries a wrong password every 3 seconds for 10 minutes from one address; the
    worker signs in from the custody suite every 30 seconds, and a colleague behind the
    attacker's own address signs in every minute. Every real sign-in succeeds."""
    await staff("sam.worker", "kim.worker")
    attacker_outcomes: dict[int, int] = {}
    real = colleague = 0
    async with (
        from_address(app, "203.0.113.66") as attacker,
        from_address(app, "192.0.2.10") as custody,
    ):
        for step in range(200):  # 200 × 3 s = 10 minutes
            status = (await attempt(attacker, "sam.worker", WRONG)).status_code
            attacker_outcomes[status] = attacker_outcomes.get(status, 0) + 1
            if step % 10 == 0:
                assert (await attempt(custody, "sam.worker", PASSWORD)).status_code == 200, step
                real += 1
            if step % 20 == 0:
                assert (await attempt(attacker, "kim.worker", PASSWORD)).status_code == 200, step
                colleague += 1
            clock.advance(3)
    assert real == 20 and colleague == 10
    assert set(attacker_outcomes) == {401, 429}
    # 5 free guesses, then waits of 1, 2, 4 … 256 s, then one per 5-minute cap.
    assert attacker_outcomes[401] <= settings.signin_max_failures + 12, attacker_outcomes
    assert attacker_outcomes[429] >= 180
    async with db.session() as session:
        counted = (
            await session.execute(
                select(func.count()).where(
                    AuditEvent.action == "auth.signin_failed", AuditEvent.actor_username == "sam.worker"
                )
            )
        ).scalar_one()
    assert counted == attacker_outcomes[401]  # every password check that failed is audited


async def test_parallel_guesses_cannot_slip_past_the_first_failures(app, clock, staff, settings):
    """Twenty guesses sent at once: the pair's row lock queues them, so only the free ones are
    checked and the rest wait (without the lock all twenty would be tried)."""
    await staff("sam.worker")
    async with from_address(app, "203.0.113.66") as attacker:
        responses = await asyncio.gather(*(attempt(attacker, "sam.worker", WRONG) for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(401) == settings.signin_max_failures, statuses
    assert statuses.count(429) == 20 - settings.signin_max_failures


async def test_the_count_is_shared_by_replicas(app, clock, staff, settings):
    """Two API processes on one database: failures counted by one hold on the other."""
    await staff("sam.worker")
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        auth_runtime(other).clock = clock
        async with from_address(app, "203.0.113.66") as one, from_address(other, "203.0.113.66") as two:
            for i in range(settings.signin_max_failures):
                replica = one if i % 2 else two
                assert (await attempt(replica, "sam.worker", WRONG)).status_code == 401
            assert (await attempt(one, "sam.worker", PASSWORD)).status_code == 429
            assert (await attempt(two, "sam.worker", PASSWORD)).status_code == 429


async def test_failures_are_audited_with_the_wait_and_a_success_clears_the_pair(app, clock, staff, db):
    await staff("sam.worker")
    async with from_address(app, "203.0.113.66") as client:
        for _ in range(6):
            await attempt(client, "sam.worker", WRONG)
            clock.advance(10)
        assert (await attempt(client, "sam.worker", PASSWORD)).status_code == 200
    async with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == "auth.signin_failed").order_by(AuditEvent.at)
        failed = (await session.execute(query)).scalars().all()
        pairs = (await session.execute(select(SigninFailure))).scalars().all()
    assert [e.detail["failures"] for e in failed] == [1, 2, 3, 4, 5, 6]
    assert [e.detail["wait_seconds"] for e in failed] == [0, 0, 0, 0, 1, 2]
    assert {e.client_ip for e in failed} == {"203.0.113.66"}
    assert pairs == []  # the success forgot the pair; nothing about sam.worker is kept
