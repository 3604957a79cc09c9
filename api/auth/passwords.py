"""Argon2 password hashing (pwdlib)."""

from __future__ import annotations

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()
# A real hash to verify against when the user does not exist, so timing does not reveal which
# usernames are valid. Made once with `_hasher` (Argon2id at pwdlib's recommended cost) and
# kept as text: verifying costs what the parameters inside it say, as for a real user's hash,
# while hashing it again at every start cost each process (server, worker, CLI) a fifth of a
# second of CPU. tests/test_auth.py checks it still carries the production cost.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$hTnvjpplyLpMmBmNjVFJ1g$HXDrU6/yU9Z2ilfQLVuJp+YQ7KsXXz5Qyf5fshZMmZA"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)
