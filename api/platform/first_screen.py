"""The shell's copy for the screen an address opens (issue 16: each role's first screen). The PWA
build writes, for every screen whose code is a chunk loaded on first use, a copy of index.html
that names that chunk in `<link rel="modulepreload">` (pwa/scripts/first-screens.mjs), and a
table of the route patterns: `first-screen/routes.json`, `[{"pattern": "/board", "html":
"first-screen/3.html"}, ...]`. For an address the app itself routes (the SPA fallback), the
server sends the matching copy instead of the plain index.html, so the browser fetches the
screen's code alongside the shell's, not after the shell has run. Same cache rules as
index.html; pre-compressed like it. Without the table (an older build), index.html as before."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

TABLE = Path("first-screen") / "routes.json"


def matches(pattern: str, path: str) -> bool:
    """`/incidents/:id` matches `/incidents/abc` (one non-empty segment per parameter), as the
    PWA's router does (pwa/src/router.ts)."""
    want = pattern.strip("/").split("/")
    got = path.strip("/").split("/")
    if len(want) != len(got):
        return False
    return all(w == g or (w.startswith(":") and g != "") for w, g in zip(want, got, strict=True))


@dataclass
class FirstScreens:
    """The table of one build, read again when the build changes (its file's mtime)."""

    dist: Path
    _stamp: float | None = None
    _routes: list[tuple[str, Path]] = field(default_factory=list)

    def _load(self) -> list[tuple[str, Path]]:
        table = self.dist / TABLE
        try:
            stamp = table.stat().st_mtime
        except OSError:
            self._stamp, self._routes = None, []
            return self._routes
        if stamp != self._stamp:
            routes: list[tuple[str, Path]] = []
            try:
                rows = json.loads(table.read_text(encoding="utf-8"))
                for row in rows:
                    html = (self.dist / str(row["html"])).resolve()
                    if html.is_relative_to(self.dist) and html.is_file():
                        routes.append((str(row["pattern"]), html))
            except (OSError, ValueError, KeyError, TypeError):
                routes = []
            self._stamp, self._routes = stamp, routes
        return self._routes

    def shell_for(self, path: str, index: Path) -> Path:
        """The copy of the shell to send for the app address `path` (without its query)."""
        address = "/" + path.lstrip("/")
        for pattern, html in self._load():
            if matches(pattern, address):
                return html
        return index
