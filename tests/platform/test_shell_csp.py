"""The shell pages carry their stylesheet inline (issue 16: the first paint needs no second
request), and their Content-Security-Policy allows exactly that `<style>` element by its SHA-256;
every other answer keeps `style-src 'self'`, and no page gets an inline script allowed."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from api.platform.shell_csp import policy_for
from tests.conftest import one_database

CSS = ":root{color-scheme:dark}body{margin:0;background:#0f1420}"
SHELL = f"<!doctype html><html><head><style>{CSS}</style></head><body><p>app</p></body></html>"
SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode() + "'"


def _style_src(policy: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("style-src"))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    (out / "assets").mkdir(parents=True)
    (out / "index.html").write_text(SHELL)
    (out / "assets" / "index-AbCdEf12.js").write_text("export {};")
    return out


@one_database
async def test_the_shell_allows_its_own_style_element_and_nothing_else(pwa_client):
    for path in ("/", "/board", "/index.html"):
        answer = await pwa_client.get(path)
        assert answer.status_code == 200
        policies = answer.headers.get_list("content-security-policy")
        assert len(policies) == 1, "one policy: a second would forbid the inline style again"
        assert _style_src(policies[0]) == f"style-src 'self' {SOURCE}"
        assert "script-src 'self';" in policies[0]
        assert "unsafe-inline" not in policies[0]


@one_database
async def test_other_answers_keep_the_strict_policy(pwa_client):
    for path in ("/assets/index-AbCdEf12.js", "/api/health"):
        answer = await pwa_client.get(path)
        policies = answer.headers.get_list("content-security-policy")
        assert len(policies) == 1
        assert _style_src(policies[0]) == "style-src 'self'"


@one_database
async def test_a_new_build_brings_a_new_hash(pwa_client, dist):
    index = dist / "index.html"
    index.write_text(SHELL.replace(CSS, CSS + "p{margin:0}"))
    stamp = index.stat().st_mtime + 5
    os.utime(index, (stamp, stamp))
    answer = await pwa_client.get("/")
    assert SOURCE not in answer.headers["content-security-policy"]
    assert "'sha256-" in answer.headers["content-security-policy"]


def test_a_page_without_a_style_element_keeps_the_base_policy():
    policy = policy_for(b"<html><head></head><body><p style='x'>a</p></body></html>").decode()
    assert _style_src(policy) == "style-src 'self'"
