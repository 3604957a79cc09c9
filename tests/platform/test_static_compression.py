"""The PWA's files go out pre-compressed: Brotli when the browser accepts it, else gzip, else
as they are, always with the original's type, `Vary: Accept-Encoding`, and the cache lifetimes
of the file (hashed assets immutable for a year; the shell revalidated). The variants are made
by the build's own script (pwa/scripts/compress.mjs), run here on a small build."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import brotli
import pytest

from tests.conftest import one_database

ROOT = Path(__file__).resolve().parents[2]
SHELL = "<!doctype html><title>Lantern</title>" + "<p>app shell</p>" * 200
SCRIPT = "export const lantern = 'night';\n" * 400


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    if shutil.which("node") is None:
        pytest.fail("node is required (the PWA is built with it)")
    out = tmp_path / "dist"
    (out / "assets").mkdir(parents=True)
    (out / "index.html").write_text(SHELL)
    (out / "assets" / "index-AbCdEf12.js").write_text(SCRIPT)
    (out / "icon.png").write_bytes(b"\x89PNG not text")
    (out / "tiny.json").write_text("{}")
    done = subprocess.run(
        ["node", str(ROOT / "pwa" / "scripts" / "compress.mjs"), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_build_script_writes_smaller_variants_only_for_text(dist):
    script = dist / "assets" / "index-AbCdEf12.js"
    assert brotli.decompress((dist / "assets" / "index-AbCdEf12.js.br").read_bytes()) == script.read_bytes()
    assert gzip.decompress((dist / "assets" / "index-AbCdEf12.js.gz").read_bytes()) == script.read_bytes()
    assert not (dist / "icon.png.br").exists()
    assert not (dist / "tiny.json.br").exists(), "kept only when smaller"


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
    ],
)
@one_database
async def test_assets_go_out_in_the_best_accepted_coding(pwa_client, accept, coding):
    answer = await pwa_client.get("/assets/index-AbCdEf12.js", headers={"Accept-Encoding": accept})
    assert answer.status_code == 200
    assert answer.headers.get("content-encoding") == coding
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.text == SCRIPT  # httpx undoes the coding: the content is the original's
    if coding:
        assert int(answer.headers["content-length"]) < len(SCRIPT) / 5


@one_database
async def test_the_shell_and_the_spa_fallback_are_compressed_and_revalidated(pwa_client):
    for path in ("/", "/incidents/some-route"):
        answer = await pwa_client.get(path, headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == "br"
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text == SHELL


@one_database
async def test_files_without_variants_go_out_as_they_are(pwa_client):
    answer = await pwa_client.get("/icon.png", headers={"Accept-Encoding": "br, gzip"})
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert "vary" not in answer.headers
    assert answer.content == b"\x89PNG not text"


@one_database
async def test_the_variants_are_not_files_of_their_own(pwa_client):
    answer = await pwa_client.get("/assets/index-AbCdEf12.js.br")
    assert answer.status_code == 404
