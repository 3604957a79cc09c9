"""Argon2 password hashing (pwdlib)."""

from __future__ import annotations

from typing import Literal

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# `production`: pwdlib's recommended Argon2id cost, always outside tests. `test-minimum`: the
# lowest cost Argon2id's parameters allow (LANTERN_PASSWORD_HASH_COST, refused by the settings
# unless LANTERN_ENV=test), for the test suite's `lantern` subprocesses: a production hash costs
# about 0.2 s of CPU, and `lantern setup import` of the example file hashes six.
HashCost = Literal["production", "test-minimum"]

_hasher = PasswordHash.recommended()
# A real hash to verify against when the user does not exist, so timing does not reveal which
# usernames are valid. Made once with `_hasher` (Argon2id at pwdlib's recommended cost) and
# kept as text: verifying costs what the parameters inside it say, as for a real user's hash,
# while hashing it again at every start cost each process (server, worker, CLI) a fifth of a
# second of CPU. tests/auth/test_auth.py checks it still carries the production cost.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$hTnvjpplyLpMmBmNjVFJ1g$HXDrU6/yU9Z2ilfQLVuJp+YQ7KsXXz5Qyf5fshZMmZA"
)


def use_cost(cost: HashCost) -> None:
    """Hash new passwords at `cost` in this process from now on (a `lantern` command calls it
    once with its settings). Verifying still reads the cost from each stored hash; the timing
    equaliser is made again at the same cost, so an unknown username costs what a known one does."""
    global _hasher, _DUMMY_HASH
    if cost == "test-minimum":
        _hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
        _DUMMY_HASH = _hasher.hash("lantern-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)
