"""The Content-Security-Policy of the PWA's shell pages (issue 16: the first paint). The build
writes the page's small stylesheet into index.html (and its per-screen copies) as one `<style>`
element, so the first paint needs no second request (pwa/vite.config.ts). The policy stays
`style-src 'self'` for everything else; a shell page's own answer also allows exactly the
`<style>` elements it contains, by their SHA-256 (CSP level 2 hash sources), read from the file
being sent and read again when that file changes. No inline script is allowed by this."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from api.platform.middleware import BASE_CSP

_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def style_sources(html: bytes) -> list[bytes]:
    """`'sha256-…'` for each `<style>` element of the page, in order, without repeats."""
    sources: list[bytes] = []
    for match in _STYLE.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest())
        source = b"'sha256-" + digest + b"'"
        if source not in sources:
            sources.append(source)
    return sources


def policy_for(html: bytes) -> bytes:
    """The base policy, with the page's own `<style>` elements added to `style-src`."""
    sources = style_sources(html)
    if not sources:
        return BASE_CSP
    return BASE_CSP.replace(b"style-src 'self'", b" ".join([b"style-src 'self'", *sources]), 1)


class ShellPolicies:
    """The policy of each shell page of one build, kept until the file changes (its mtime)."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[float, str]] = {}

    def for_file(self, file: Path) -> str:
        stamp = file.stat().st_mtime
        cached = self._cache.get(file)
        if cached is None or cached[0] != stamp:
            cached = (stamp, policy_for(file.read_bytes()).decode("ascii"))
            self._cache[file] = cached
        return cached[1]
