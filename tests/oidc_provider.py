"""A real OpenID provider on loopback: the npm `oidc-provider` (tests/oidc/provider.mjs).

Its static clients are `lantern` and `other-app` (secret CLIENT_SECRET), its accounts `alice`
(group lantern-cse-workers), `morgan` (lantern-managers and lantern-cse-workers), `nobody`
(canteen) and `robin` (lantern-cse-workers, given only in the userinfo answer, never in the ID
token); any password is accepted by its development login form. It stops when its stdin
closes, so it never outlives the test process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent / "oidc"
CLIENT_SECRET = "lantern-test-secret"


@dataclass
class Provider:
    issuer: str

    def rotate(self) -> str:
        """Sign with a new key from now on (the old one stays published); its kid."""
        return httpx.post(self.issuer + "/__rotate").json()["kid"]


@contextmanager
def running_provider(*redirect_uris: str) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        reason = "node or tests/oidc/node_modules missing (cd tests/oidc && npm ci)"
        if os.environ.get("LANTERN_REQUIRE_OIDC_PROVIDER") == "1":
            pytest.fail(f"the OpenID provider is required but {reason}")
        pytest.skip(reason)
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs")],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        },
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY "), f"the provider did not start: {line!r}"
        yield Provider(line.split()[1])
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the provider exits when its stdin closes
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
