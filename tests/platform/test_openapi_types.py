"""The PWA's API types (pwa/src/api/schema.d.ts) are generated from /openapi.json and committed:
this fails when a route or schema changed without regenerating them.

`make test` builds the PWA (npm ci) before running pytest, so the generator is present under
CI, where .ci/run sets LANTERN_REQUIRE_BROWSER whenever the PWA exists: there a missing
generator fails. Only a local checkout without pwa/node_modules skips.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("lantern_openapi_script", ROOT / "scripts" / "openapi.py")
assert _spec and _spec.loader
openapi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openapi)

_REQUIRED = os.environ.get("LANTERN_REQUIRE_BROWSER") == "1"
needs_generator = pytest.mark.skipif(
    not openapi.GENERATOR.exists() and not _REQUIRED, reason="pwa/node_modules absent: run `npm ci` in pwa/"
)


@needs_generator
def test_committed_types_match_the_openapi_document(tmp_path):
    fresh = openapi.generate(tmp_path / "schema.d.ts").read_text()
    assert openapi.GENERATED.read_text() == fresh, "stale: run `python scripts/openapi.py`"


@needs_generator
def test_a_changed_schema_makes_the_committed_types_stale(tmp_path):
    """The check can fail: a field added to a response model changes the generated file."""
    document = openapi.openapi_document()
    document["components"]["schemas"]["Liveness"]["properties"]["uptime"] = {"type": "integer"}
    changed = openapi.generate(tmp_path / "schema.d.ts", document).read_text()
    assert "uptime" in changed
    assert openapi.GENERATED.read_text() != changed
