"""Operator settings: lists as operators write them, one clear line for a bad value, and the
project's own PWA build whatever folder `lantern` starts in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No LANTERN_* from the caller's environment, no .env from the repository."""
    for name in list(os.environ):
        if name.startswith("LANTERN_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("localhost,127.0.0.1", ["localhost", "127.0.0.1"]),
        (" localhost , 127.0.0.1 ,", ["localhost", "127.0.0.1"]),
        ("push.example.org", ["push.example.org"]),
        ('["localhost", "127.0.0.1"]', ["localhost", "127.0.0.1"]),
    ],
)
def test_list_settings_accept_comma_separated_values_and_json(clean_env, raw, expected):
    clean_env.setenv("LANTERN_PUSH_ALLOWED_HOSTS", raw)
    assert load_settings().push_allowed_hosts == expected


def test_list_settings_read_from_a_dotenv_file_too(clean_env, tmp_path):
    (tmp_path / ".env").write_text("LANTERN_PUSH_ALLOWED_HOSTS=localhost,127.0.0.1\n")
    assert load_settings().push_allowed_hosts == ["localhost", "127.0.0.1"]


@pytest.mark.parametrize(
    "variable, value, complaint",
    [
        ("LANTERN_PUSH_ALLOWED_HOSTS", '["localhost"', "JSON list"),
        ("LANTERN_WORKER_CONCURRENCY", "lots", "integer"),
        ("LANTERN_ACCESS_TOKEN_MINUTES", "0", "greater than or equal to 1"),
        ("LANTERN_ENV", "prod", "'development', 'test' or 'production'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(clean_env, variable, value, complaint):
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{variable}: ")
    assert complaint in message
    assert "pydantic" not in message


def test_a_bad_secret_is_named_but_never_printed(clean_env):
    clean_env.setenv("LANTERN_ENV", "production")
    clean_env.setenv("LANTERN_SECRET_KEY", "short-secret-value")
    clean_env.setenv("LANTERN_VAPID_PRIVATE_KEY", "x")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "LANTERN_SECRET_KEY" in str(raised.value)
    assert "short-secret-value" not in str(raised.value)


def test_pwa_dist_defaults_to_the_projects_own_build_whatever_the_folder(clean_env, tmp_path):
    settings = Settings()
    assert settings.pwa_dist.is_absolute()
    assert settings.pwa_dist == REPO / "pwa" / "dist" == PROJECT_ROOT / "pwa" / "dist"
    assert not settings.pwa_dist.is_relative_to(tmp_path)  # not the current folder
    clean_env.setenv("LANTERN_PWA_DIST", "/srv/lantern/pwa")
    assert Settings().pwa_dist == Path("/srv/lantern/pwa")


def _lantern(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_") and k != "DATABASE_URL"}
    clean.update(LANTERN_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "workers.cli", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"], ["vapid"]])
def test_the_cli_stops_on_a_bad_setting_with_one_line(tmp_path, command):
    done = _lantern(tmp_path, *command, LANTERN_WORKER_CONCURRENCY="lots")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "LANTERN_WORKER_CONCURRENCY" in lines[0] and "integer" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def test_the_cli_starts_with_a_comma_separated_list(tmp_path):
    done = _lantern(tmp_path, "vapid", LANTERN_PUSH_ALLOWED_HOSTS="localhost,127.0.0.1")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) > 40  # the VAPID public key
    assert "Traceback" not in done.stderr


def test_passwords_are_hashed_at_the_production_cost_unless_a_test_lowers_it(clean_env):
    """LANTERN_PASSWORD_HASH_COST (the test suite's `lantern` subprocesses) is refused outside
    LANTERN_ENV=test, so no deployment can store cheap hashes; unset, the cost is production's."""
    assert load_settings().password_hash_cost == "production"
    clean_env.setenv("LANTERN_ENV", "test")
    assert load_settings().password_hash_cost == "production"
    clean_env.setenv("LANTERN_PASSWORD_HASH_COST", "test-minimum")
    assert load_settings().password_hash_cost == "test-minimum"
    for env in ("development", "production"):
        clean_env.setenv("LANTERN_ENV", env)
        with pytest.raises(SettingsError, match="LANTERN_PASSWORD_HASH_COST=test-minimum is only allowed"):
            load_settings(secret_key="k" * 40, vapid_private_key="unused")
