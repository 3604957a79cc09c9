"""End-to-end fixtures: a real `lantern serve` on loopback and headless Debian Chromium.

The browser suite needs /usr/bin/chromium (Debian's package; `.ci/run` installs it) and
the built PWA (`make test` builds it). Without them the suite is skipped locally, and
fails when LANTERN_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import launcher as launchers
from tests.launcher import Launched, Launcher
from tests.ports import ReservedPort

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LANTERN_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("LANTERN_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_PASSWORD = "lantern-demo-night"
# `lantern demo` hashes the demo's passwords at the lowest Argon2id cost (about 2 s of CPU less
# a load); sign-ins still verify real Argon2id hashes. The variable is refused outside
# LANTERN_ENV=test, which changes nothing else (api/settings.py).
DEMO_AT_TEST_HASH_COST = {"LANTERN_ENV": "test", "LANTERN_PASSWORD_HASH_COST": "test-minimum"}
# The TLS settings every HTTP client of the suite shares. The servers are plain HTTP on loopback,
# but each new httpx client builds its default TLS context (loading the CA bundle): about 30 ms
# of CPU, per API call of a browser test before they shared this one.
TLS = httpx.create_ssl_context()
# `lantern serve` and `lantern demo` are forked from a process that imported Lantern once
# (tests/launcher.py); LANTERN_TEST_SPAWN=1 starts each as a new `python -m workers.cli` instead.
_launcher: Launcher | None = None


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    if not (ROOT / "pwa" / "dist" / "index.html").exists():
        return "the PWA is not built (make pwa)"
    return None


@pytest.fixture(scope="session")
def browser_ready():
    reason = _missing()
    if reason:
        if REQUIRE:
            pytest.fail(f"browser tests required but {reason}")
        pytest.skip(reason)


class LiveServer:
    """`lantern serve` on a loopback port reserved for it (until `close()`) over its own SQLite
    database in `tmp`.

    With `template` (a directory where `lantern demo` already ran), the demo database and the
    generated keys are copied from it instead of loading the demo again: the same fresh demo
    data, without paying for the migrations and the password hashing in every test.
    """

    def __init__(
        self, tmp: Path, push_allowed_hosts: str | None = None, template: Path | None = None
    ) -> None:
        self.tmp = tmp
        self.template = template
        self._reserved = ReservedPort()
        self.port = self._reserved.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'e2e.db'}",
            LANTERN_VAR_DIR=str(tmp / "var"),
            LANTERN_PWA_DIST=str(ROOT / "pwa" / "dist"),
            LANTERN_LOG_LEVEL="WARNING",
            LANTERN_PUBLIC_URL=self.url,
        )
        if push_allowed_hosts:
            self.env["LANTERN_PUSH_ALLOWED_HOSTS"] = push_allowed_hosts
        self.proc: subprocess.Popen | Launched | None = None

    def cli(self, *args: str, **env: str) -> str:
        if _launcher is not None:
            out, err = self.tmp / "cli.out", self.tmp / "cli.err"
            for path in (out, err):
                path.unlink(missing_ok=True)
            process = _launcher.spawn(list(args), env={**self.env, **env}, cwd=ROOT, stderr=err, stdout=out)
            try:
                process.wait(120)
            finally:
                process.kill()  # a no-op once it has exited
            assert process.returncode == 0, err.read_text(errors="replace")[-2000:]
            return out.read_text()
        result = subprocess.run(
            [sys.executable, "-m", "workers.cli", *args],
            env={**self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def start(self) -> None:
        if self.template is None:
            self.cli("demo", **DEMO_AT_TEST_HASH_COST)
        else:
            for db_file in self.template.glob("e2e.db*"):
                shutil.copy2(db_file, self.tmp / db_file.name)
            if (self.template / "var").is_dir():
                shutil.copytree(self.template / "var", self.tmp / "var", dirs_exist_ok=True)
        self.serve()

    def serve(self) -> None:
        """Run `lantern serve` over this server's database (again, after `stop()`: same port,
        same data, same keys, so tokens stay valid)."""
        # The log goes to a file: a pipe nobody reads would block the server once full.
        log = self.tmp / "serve.log"
        command = ["serve", "--port", str(self.port)]
        if _launcher is not None:
            self.proc = _launcher.spawn(command, env=self.env, cwd=ROOT, stderr=log)
        else:
            with open(log, "ab") as sink:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "workers.cli", *command],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=sink,
                )
        deadline = time.monotonic() + 120  # a cold start on a busy 2-core machine can take a minute
        # One client for the whole wait: a new one per try (`httpx.get`) builds a TLS context
        # each time, which cost more CPU than the server's own start while the machine was busy.
        with httpx.Client(timeout=1, verify=TLS) as http:
            while time.monotonic() < deadline:
                try:
                    if http.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if self.proc.poll() is not None:
                    raise RuntimeError(log.read_text(errors="replace")[-3000:])
                time.sleep(0.05)
        raise RuntimeError("lantern serve did not become ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def close(self) -> None:
        """Stop the server and give its port back."""
        self.stop()
        self._reserved.release()

    def token(self, username: str) -> str:
        response = httpx.post(
            f"{self.url}/api/v1/auth/token",
            data={"username": username, "password": DEMO_PASSWORD},
            verify=TLS,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="session")
def _server_launcher(browser_ready):
    """The launcher every `LiveServer` of this test process forks `lantern` from (None: spawn)."""
    global _launcher
    _launcher = launchers.shared()
    try:
        yield _launcher
    finally:
        _launcher = None  # closed with the session (tests/conftest.py)


@pytest.fixture(scope="session")
def demo_template(browser_ready, _server_launcher, tmp_path_factory) -> Path:
    """A directory where `lantern demo` ran once: each test's server starts from a copy."""
    template = tmp_path_factory.mktemp("demo-template")
    loader = LiveServer(template)
    try:
        loader.cli("demo", **DEMO_AT_TEST_HASH_COST)
    finally:
        loader.close()
    return template


@pytest.fixture
def live_server(demo_template, tmp_path):
    server = LiveServer(tmp_path, template=demo_template)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
async def _playwright(browser_ready):
    """One Playwright driver per test process (starting one costs about a second of CPU)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
async def _shared_chromium(_playwright):
    """One headless Chromium per test process; each test gets its own contexts in it (see
    `chromium`). Launching Chromium for every test cost about 1.3 s of CPU each."""
    browser = await _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        await browser.close()


class _TestsBrowser:
    """The shared Chromium as one test sees it: every context the test opens is closed when
    the test ends (contexts share no cookies, storage, cache or service workers), so the next
    test starts as with a browser of its own. Everything else is the Playwright `Browser`."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self._contexts: list = []

    async def new_context(self, **options):
        context = await self._browser.new_context(**options)
        self._contexts.append(context)
        return context

    async def new_page(self, **options):
        context = await self.new_context(**options)
        return await context.new_page()

    def __getattr__(self, name: str):
        return getattr(self._browser, name)

    async def close_contexts(self) -> None:
        for context in self._contexts:
            await context.close()  # a no-op for one the test closed itself
        self._contexts.clear()


@pytest.fixture
async def chromium(_shared_chromium):
    browser = _TestsBrowser(_shared_chromium)
    try:
        yield browser
    finally:
        await browser.close_contexts()


@pytest.fixture
async def persistent_chromium(_playwright, tmp_path):
    """A launcher for a browser profile on disk, to close and relaunch the same phone."""
    profile = tmp_path / "profile"
    launched: list = []

    async def launch(**kwargs):
        context = await _playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **kwargs
        )
        launched.append(context)
        return context

    try:
        yield launch
    finally:
        for context in launched:
            await context.close()  # a no-op for one the test closed itself


def axe_source() -> str:
    path = ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.fail("axe-core is missing: run npm ci in pwa/")
    return path.read_text()


__all__ = ["DEMO_PASSWORD", "TLS", "LiveServer", "axe_source", "shutil"]
