"""An address whose screen is a chunk loaded on first use gets the shell's copy that names that
chunk in `<link rel="modulepreload">` (issue 16: the chunk loads with the shell, not after it).
The copies and their table are made by the build's own script (pwa/scripts/first-screens.mjs),
run here on a small build with a Vite manifest and routes written like pwa/src/app.tsx's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api.platform.first_screen import matches
from tests.conftest import one_database

ROOT = Path(__file__).resolve().parents[2]
SHELL = (
    "<!doctype html><html><head><title>Lantern</title>"
    '<script type="module" crossorigin src="/assets/index-AbCdEf12.js"></script>'
    '<link rel="modulepreload" crossorigin href="/assets/bits-AbCdEf12.js">'
    "</head><body>" + "<p>app shell</p>" * 200 + "</body></html>"
)
APP = """
const loadBoard = () => import('./screens/Board').then((m) => m.Board);
const loadIncident = () => import('./screens/IncidentDetail').then((m) => m.IncidentDetail);
export const ROUTES: RouteDef[] = [
  { pattern: '/on-call', roles: ['worker'], render: () => <WorkerHome /> },
  { pattern: '/incidents/:id', roles: ['worker'], load: loadIncident, render: (p) => <Lazy /> },
  { pattern: '/board', roles: ['manager'], load: loadBoard, render: () => <Lazy /> },
];
"""
MANIFEST = {
    "index.html": {"file": "assets/index-AbCdEf12.js", "imports": ["_bits-AbCdEf12.js"]},
    "_bits-AbCdEf12.js": {"file": "assets/bits-AbCdEf12.js"},
    "_Updates-AbCdEf12.js": {"file": "assets/Updates-AbCdEf12.js", "imports": ["_bits-AbCdEf12.js"]},
    # The board is also imported by another screen: a shared chunk, keyed without its source.
    "_Board-AbCdEf12.js": {
        "file": "assets/Board-AbCdEf12.js",
        "name": "Board",
        "imports": ["_bits-AbCdEf12.js", "index.html"],
    },
    "src/screens/IncidentDetail.tsx": {
        "file": "assets/IncidentDetail-AbCdEf12.js",
        "src": "src/screens/IncidentDetail.tsx",
        "isDynamicEntry": True,
        "imports": ["_bits-AbCdEf12.js", "index.html", "_Updates-AbCdEf12.js"],
    },
}


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None:
        pytest.fail("node is required (the PWA is built with it)")
    return subprocess.run(["node", *args], capture_output=True, text=True, timeout=60, check=False)


def _build(tmp_path: Path, app: str = APP) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path / "dist"
    (out / ".vite").mkdir(parents=True)
    (out / "assets").mkdir()
    (out / "index.html").write_text(SHELL)
    (out / ".vite" / "manifest.json").write_text(json.dumps(MANIFEST))
    source = tmp_path / "app.tsx"
    source.write_text(app)
    done = _node(str(ROOT / "pwa" / "scripts" / "first-screens.mjs"), str(out), str(source))
    return out, done


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    out, done = _build(tmp_path)
    assert done.returncode == 0, done.stderr
    packed = _node(str(ROOT / "pwa" / "scripts" / "compress.mjs"), str(out))
    assert packed.returncode == 0, packed.stderr
    return out


def _preloads(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('rel="modulepreload" crossorigin href="')[1:]]


def test_the_build_script_names_each_lazy_screens_chunks(dist):
    table = json.loads((dist / "first-screen" / "routes.json").read_text())
    assert [row["pattern"] for row in table] == ["/incidents/:id", "/board"]
    by_pattern = {row["pattern"]: (dist / row["html"]).read_text() for row in table}
    # The shell's own preload stays; the screen's chunk and what it imports are added, once.
    assert _preloads(by_pattern["/incidents/:id"]) == [
        "/assets/bits-AbCdEf12.js",
        "/assets/IncidentDetail-AbCdEf12.js",
        "/assets/Updates-AbCdEf12.js",
    ]
    assert _preloads(by_pattern["/board"]) == ["/assets/bits-AbCdEf12.js", "/assets/Board-AbCdEf12.js"]
    assert not (dist / ".vite").exists(), "the build manifest is not served"


def test_the_build_fails_when_a_lazy_screens_chunk_is_unknown(tmp_path):
    app = APP + (
        "const loadRota = () => import('./screens/Rota');\n"
        "{ pattern: '/rota', roles: ['manager'], load: loadRota, render: () => null },\n"
    )
    _, done = _build(tmp_path, app)
    assert done.returncode != 0
    assert "/rota" in done.stderr


@pytest.mark.parametrize(
    ("path", "chunk"),
    [
        ("/board", "/assets/Board-AbCdEf12.js"),
        ("/board?x=1", "/assets/Board-AbCdEf12.js"),
        ("/incidents/0b9f3c1e", "/assets/IncidentDetail-AbCdEf12.js"),
        ("/", None),
        ("/on-call", None),
        ("/incidents", None),
        ("/incidents/a/b", None),
        ("/nowhere", None),
    ],
)
@one_database
async def test_an_address_gets_the_shell_that_preloads_its_screen(pwa_client, path, chunk):
    answer = await pwa_client.get(path, headers={"Accept-Encoding": "br"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "br"
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["content-type"].startswith("text/html")
    preloads = _preloads(answer.text)
    if chunk is None:
        assert answer.text == SHELL
    else:
        assert chunk in preloads
        assert answer.text.replace("\n", "").count("<p>app shell</p>") == 200


@one_database
async def test_without_the_table_every_address_gets_the_plain_shell(pwa_client, dist):
    shutil.rmtree(dist / "first-screen")
    answer = await pwa_client.get("/board")
    assert answer.status_code == 200
    assert answer.text == SHELL


def test_patterns_match_like_the_pwas_router():
    assert matches("/incidents/:id", "/incidents/abc")
    assert matches("/board", "/board/")
    assert not matches("/incidents/:id", "/incidents/")
    assert not matches("/incidents/:id", "/incidents")
    assert not matches("/board", "/boards")
