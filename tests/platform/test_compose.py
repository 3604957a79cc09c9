"""compose.yaml can start: checked by the compose tool itself (`docker compose config`, or the
older `docker-compose`), and for what its validation does not catch: a replicated service that
publishes a fixed host port, a proxy that buffers the live event stream, an API that believes
forwarded addresses from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    **os.environ,
    "POSTGRES_PASSWORD": "compose-check",
    "LANTERN_SECRET_KEY": "compose-check-" + "x" * 32,
    "LANTERN_VAPID_PRIVATE_KEY": "compose-check",
}


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def resolved() -> dict:
    command = compose_command()
    if command is None:
        if os.environ.get("LANTERN_REQUIRE_COMPOSE") == "1":
            pytest.fail("no compose tool (docker compose or docker-compose) on this machine")
        pytest.skip("no compose tool here (CI installs one)")
    done = subprocess.run(
        [*command, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_the_compose_tool_accepts_the_file():
    assert {"proxy", "api", "worker", "db"} <= set(resolved()["services"])


def test_no_replicated_service_publishes_a_fixed_host_port():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        replicas = service.get("deploy", {}).get("replicas", 1)
        if replicas > 1:
            assert not service.get("ports"), f"{name}: {replicas} replicas cannot share a host port"
    assert services["proxy"]["ports"], "the proxy is the only way in"


def test_the_api_believes_forwarded_addresses_only_from_the_proxy_network():
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    trusted = spec["x-lantern-env"]["LANTERN_TRUSTED_PROXIES"]
    subnet = spec["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert trusted == subnet
    assert spec["services"]["proxy"]["networks"]["edge"]["ipv4_address"].startswith(subnet.rsplit(".", 1)[0])
    assert "edge" not in spec["services"]["db"]["networks"], "the database is not beside the proxy"


def test_the_proxy_streams_live_events_and_keeps_no_access_log():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "flush_interval -1" in caddyfile
    assert "output discard" in caddyfile
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
